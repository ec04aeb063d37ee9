import ArgumentParser
import Foundation
import Records
import Replica

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "This centre's yearly request statistics (Art. 18 of Directive (EU) 2023/977).",
        discussion: """
            Requests sent, received and answered by country and urgency; refusals by country and \
            ground; delays for judicial authorisation by country; on-time rate and median response \
            time by urgency. A request counts in the year it was sent or received. Erasing a \
            request does not change the report.
            """
    )

    @OptionGroup var staff: StaffOptions
    @Option(help: "The year, such as 2026.") var year: Int
    @Option(help: "text, csv or json.") var format = "text"

    func validate() throws {
        guard (2000...9999).contains(year) else { throw ValidationError("--year must be four digits, such as 2026") }
        guard ["text", "csv", "json"].contains(format) else { throw ValidationError("--format must be text, csv or json, not \(format)") }
    }

    func run() throws {
        let session = try staff.open()
        let report = try session.replica.requestReport(year: year, auditedAs: session.actor)
        switch format {
        case "csv": print(report.csv, terminator: "")
        case "json": try printJSON(report)
        default: print(Self.text(report), terminator: "")
        }
    }

    static func text(_ report: RequestReport) -> String {
        var lines = ["requests of \(report.node) in \(report.year)"]
        func table(_ title: String, _ counts: [RequestReport.Count], by category: String) {
            lines.append("")
            lines.append("\(title), by country and \(category):")
            if counts.isEmpty { lines.append("  none") }
            for count in counts { lines.append("  \(count.country)  \(count.category)  \(count.count)") }
        }
        table("sent", report.sent, by: "urgency")
        table("received", report.received, by: "urgency")
        table("answered", report.answered, by: "urgency")
        table("refused", report.refused, by: "ground")
        table("delayed for judicial authorisation", report.delayed, by: "cause")
        lines.append("")
        lines.append("timeliness, by direction and urgency:")
        if report.timeliness.isEmpty { lines.append("  no request answered") }
        for row in report.timeliness {
            let rate = row.responded == 0 ? "-" : String(format: "%.0f %%", Double(row.onTime) * 100 / Double(row.responded))
            let median = row.medianMinutes.map { String(format: "%.0f min", $0) } ?? "-"
            lines.append("  \(row.direction)  \(row.urgency)  \(row.responded) answered, \(rate) on time, median \(median)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
