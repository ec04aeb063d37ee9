import ArgumentParser
import Foundation
import NodeService
import Records
import Replica
import SyncCore

extension RecordCommand {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create records from a CSV or JSON file, 1,000 to a transaction, skipping likely duplicates.",
            discussion: """
                A CSV file starts with a header of field names; a list's entries share one cell, \
                separated by ';'. A JSON file is an array of objects; a list is an array of texts. \
                Rows refused or skipped are reported with their numbers; running the same import \
                again creates nothing twice.
                """
        )
        @Argument(help: "The file.") var file: String
        @OptionGroup var staff: StaffOptions
        @Option(help: "The sharing group the records live in.") var group: String
        @Option(help: "The kind of record each row makes.") var kind: String = "person"
        @Option(help: "csv or json.") var format: String
        @Flag(help: "Create rows that are likely duplicates too.") var createDuplicates = false
        @Flag(help: "Print the report as JSON.") var json = false

        func run() throws {
            guard let fileFormat = ImportFileReader.Format(rawValue: format) else { throw CLIError("--format must be csv or json, not \(format)") }
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: file), options: .mappedIfSafe)
            } catch {
                throw CLIError("cannot read \(file): \(error.localizedDescription)")
            }
            let session = try staff.open()
            let schema = session.replica.recordSchema
            guard schema.kind(named: kind, for: .create) != nil else { throw CLIError("--kind must be \(schema.names(for: .create)), not \(kind)") }
            let bar = ProgressBar(enabled: isatty(STDERR_FILENO) == 1 && !json)
            let report: ImportReport
            do {
                report = try session.replica.importRecords(
                    data, format: fileFormat, kind: RecordKind(kind), group: GroupID(group), createDuplicates: createDuplicates,
                    auditedAs: session.actor
                ) { fraction, report in
                    bar.show(fraction, "\(report.rows) rows, \(report.created) created")
                }
            } catch let error as ReplicaError where error.code == .invalid {
                bar.finish()
                throw CLIError("\(file): \(error.reason)")
            }
            bar.finish()
            if json { return try printJSON(report.json) }
            for refused in report.refused { print("row \(refused.row) refused: \(refused.reason)") }
            for skipped in report.skipped { print("row \(skipped.row) skipped: \(skipped.reason)") }
            print(
                "\(report.rows) rows: \(report.created) created, \(report.alreadyImported) created by an earlier run, "
                    + "\(report.skipped.count) skipped as likely duplicates\(createDuplicates ? "" : " (--create-duplicates creates them)"), \(report.refused.count) refused"
            )
        }
    }
}

/// A one-line progress bar on standard error, redrawn in place; nothing when not a terminal.
final class ProgressBar {
    let enabled: Bool
    private var lastDrawn = -1

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ fraction: Double, _ text: String) {
        guard enabled else { return }
        let percent = Int((min(max(fraction, 0), 1) * 100).rounded(.down))
        guard percent != lastDrawn else { return }
        lastDrawn = percent
        let filled = percent * 30 / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled)
        FileHandle.standardError.write(Data("\r[\(bar)] \(percent)%  \(text)".utf8))
    }

    func finish() {
        guard enabled, lastDrawn >= 0 else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
