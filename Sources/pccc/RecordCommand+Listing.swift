import ArgumentParser
import Foundation
import NodeService
import Records
import Replica
import SyncCore

extension RecordCommand {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List records, most recently changed first.")
        @OptionGroup var staff: StaffOptions
        @Option(help: "Only this kind: person, vehicle, document, firearm or request.") var kind: String?
        @Option(help: "Only records of this sharing group.") var group: String?
        @Option(help: "Only persons or vehicles with this alert, such as wanted.") var alert: String?
        @Option(help: "Only documents, firearms or requests with this status, such as stolen.") var status: String?
        @Option(help: "Only records created by this node.") var origin: String?
        @Option(help: "Only records changed at or after this date or time (ISO 8601).") var changedSince: String?
        @Option(help: "Most records to show.") var limit = 200
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            var filter = RecordFilter()
            let session = try staff.open()
            let schema = session.replica.recordSchema
            if let kind {
                guard let parsed = schema.kind(named: kind, for: .list) else {
                    throw CLIError("--kind must be \(schema.names(for: .list)), not \(kind)")
                }
                filter.kinds = [parsed.kind]
            }
            if let alert { try filter.require("alert", alert, kindNamed: kind != nil, schema: schema) }
            if let status { try filter.require("status", status, kindNamed: kind != nil, schema: schema) }
            if let changedSince {
                guard let since = Timestamps.milliseconds(fromISO8601: changedSince) else {
                    throw CLIError("--changed-since must be a date (2026-11-22) or a time (2026-11-22T08:00:00Z), not \(changedSince)")
                }
                filter.changedSince = since
            }
            guard limit > 0 else { throw CLIError("--limit must be a positive number") }
            (filter.group, filter.origin, filter.limit) = (group.map { GroupID($0) }, origin.map { NodeID($0) }, limit)
            let records = try session.replica.list(filter, auditedAs: session.actor, detail: describe())
            if json {
                try printJSON(records.map(\.json))
                return
            }
            if records.isEmpty { print("no record matches") }
            for record in records {
                let cluster = record.sameAs.isEmpty ? "" : "  (also recorded as \(record.sameAs.joined(separator: ", ")))"
                print(
                    "\(record.kind.rawValue)  \(record.id)  \(record.group)  \(record.origin)  "
                        + "\(Timestamps.iso8601(milliseconds: record.lastChangedAt))  \(record.label)\(cluster)"
                )
            }
        }

        func describe() -> String {
            let parts: [(String, String?)] = [
                ("kind", kind), ("group", group), ("alert", alert), ("status", status), ("origin", origin), ("changed-since", changedSince),
            ]
            let set = parts.compactMap { name, value in value.map { "\(name)=\($0)" } }
            return set.isEmpty ? "all records" : set.joined(separator: " ")
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export every record of a sharing group, with hits and notes, as JSON or CSV for hand-over to other systems."
        )
        @OptionGroup var staff: StaffOptions
        @Option(help: "The sharing group to export.") var group: String
        @Option(help: "json or csv.") var format: String
        @Option(help: "Write to this file (created readable by you only) instead of standard output.") var out: String?

        func run() throws {
            guard format == "json" || format == "csv" else {
                throw CLIError("--format must be json or csv, not \(format)")
            }
            let session = try staff.open()
            if let out, FileManager.default.fileExists(atPath: out) {
                throw CLIError("\(out) already exists; choose a new file")
            }
            let records = try session.replica.export(group: GroupID(group), format: format, auditedAs: session.actor)
            let text = format == "json" ? try RecordExport.json(records) : RecordExport.csv(records, schema: session.replica.recordSchema)
            if let out {
                // Personal data: readable by its owner only.
                guard FileManager.default.createFile(atPath: out, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                    throw CLIError("cannot write \(out)")
                }
                FileHandle.standardError.write(Data("exported \(records.count) records of group \(group) to \(out)\n".utf8))
            } else {
                print(text, terminator: "")
            }
        }
    }
}
