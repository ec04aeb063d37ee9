import ArgumentParser
import NodeService
import Records
import Replica

struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find records by name, alias, plate, VIN or number, in any script, by word prefixes; best matches first."
    )

    @Argument(help: "What to look for, e.g. Djordjevic or \"SK 123\".") var text: String
    @OptionGroup var staff: StaffOptions
    @Option(help: "Only this kind: a kind with searchable fields, such as person, vehicle, document, firearm, organisation or object.") var kind: String?
    @Option(help: "Most results to show.") var limit = 50
    @Flag(help: "Follow each record found to the records linked to it.") var followLinks = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        guard limit > 0 else { throw CLIError("--limit must be a positive number") }
        let session = try staff.open()
        var only: RecordKind?
        if let kind {
            let schema = session.replica.recordSchema
            guard let parsed = schema.kind(named: kind, for: .search) else {
                throw CLIError("--kind must be \(schema.names(for: .search)), not \(kind)")
            }
            only = parsed.kind
        }
        let hits = try session.replica.search(text, kind: only, limit: limit, followLinks: followLinks, auditedAs: session.actor)
        if json {
            try printJSON(hits.map(\.json))
            return
        }
        if hits.isEmpty { print("no record matches \"\(text)\"") }
        for hit in hits {
            let cluster = hit.sameAs.isEmpty ? "" : "  (also recorded as \(hit.sameAs.joined(separator: ", ")))"
            let indent = hit.linkedFrom.map { "  \($0.role) of \($0.id): " } ?? ""
            print("\(indent)\(hit.kind.rawValue)  \(hit.id)  \(hit.group)  \(hit.label)\(cluster)")
        }
    }
}
