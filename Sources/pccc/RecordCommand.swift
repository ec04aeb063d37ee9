import ArgumentParser
import Foundation
import NodeService
import Records
import Replica
import SyncCore

struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Create, change, erase and show records.",
        subcommands: [
            Add.self, Update.self, Import.self, Link.self, Duplicates.self, Erase.self, RequestErasure.self, ErasureRequests.self, Show.self, List.self,
            Export.self,
        ]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a record; prints its new id.")
        @Argument(help: "person, vehicle, document or firearm.") var kind: String
        @OptionGroup var staff: StaffOptions
        @Option(help: "The sharing group the record lives in (fixed at creation).") var group: String
        @Option(name: .customLong("set"), help: "FIELD=VALUE, repeatable.") var assignments: [String] = []
        @Option(name: .customLong("add"), help: "LIST=ENTRY: an entry of a list such as names, repeatable.") var additions: [String] = []
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            if kind == RecordKind.request.rawValue {
                throw CLIError("requests are made with pccc request new, which sets the sender and the status")
            }
            let session = try staff.open()
            let schema = session.replica.recordSchema
            guard let recordKind = schema.kind(named: kind, for: .create)?.kind else {
                throw CLIError("kind must be \(schema.names(for: .create)), not \(kind)")
            }
            let writes = try FieldAssignment.writes(set: assignments, clear: [])
            let sets = try FieldAssignment.setEdits(add: additions, remove: [])
            let id = try session.replica.create(recordKind, in: GroupID(group), writes, sets: sets, auditedAs: session.actor)
            let matches = try session.replica.checkDuplicates(of: id, savedBy: session.actor)
            if json {
                try printJSON(CreatedRecordJSON(id: id.description, possibleMatches: matches.map(\.json)))
            } else {
                print(id.description)
                // On standard error, so a script reading the new id reads only it.
                for match in matches { printError("possible match (\(match.strength), \(match.reason)): \(Self.line(match))") }
                if !matches.isEmpty {
                    printError("mark one the same subject with pccc record link \(id) ID --role same_as, or different with --role not_same")
                }
            }
        }

        static func line(_ match: PossibleMatch) -> String {
            "\(match.kind.rawValue) \(match.id)  \(match.label)  group \(match.group), owned by \(match.origin)"
        }
    }

    struct Link: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Link two records of one group: owner, driver, holder, associate, member, same_as (the same subject) or not_same; prints the link's id."
        )
        @Argument(help: "The record the link is from (the person, for an owner or driver).") var from: String
        @Argument(help: "The record it is to.") var to: String
        @OptionGroup var staff: StaffOptions
        @Option(help: "owner, driver, holder, associate, member, same_as or not_same.") var role: String
        @Option(help: "Where the link comes from, such as a report's number.") var source: String?

        func run() throws {
            let fromID = try parseID(from)
            let toID = try parseID(to)
            let session = try staff.open()
            var fields = [FieldWrite("from_id", fromID.description), FieldWrite("to_id", toID.description), FieldWrite("role", role)]
            if let source { fields.append(FieldWrite("source", source)) }
            let id = try session.replica.create(.link, in: try session.replica.liveGroup(of: fromID), fields, auditedAs: session.actor)
            print(id.description)
        }
    }

    struct Duplicates: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List records of two centres that share an identification, document, plate, VIN or serial number, one of them this centre's."
        )
        @OptionGroup var staff: StaffOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let session = try staff.open()
            let pairs = try session.replica.possibleDuplicates(auditedAs: session.actor)
            if json { return try printJSON(pairs.map(\.json)) }
            guard !pairs.isEmpty else { return print("no possible duplicates") }
            for pair in pairs {
                print("\(pair.key.replacingOccurrences(of: ":", with: " ")):")
                print("  \(Add.line(pair.first))")
                print("  \(Add.line(pair.second))")
            }
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change fields of a record.")
        @Argument(help: "The record id.") var id: String
        @OptionGroup var staff: StaffOptions
        @Option(name: .customLong("set"), help: "FIELD=VALUE, repeatable.") var assignments: [String] = []
        @Option(help: "A field to clear, repeatable.") var clear: [String] = []
        @Option(name: .customLong("add"), help: "LIST=ENTRY: an entry to add to a list, repeatable.") var additions: [String] = []
        @Option(name: .customLong("remove"), help: "LIST=ENTRY: an entry to remove from a list, repeatable.") var removals: [String] = []

        func run() throws {
            let recordID = try parseID(id)
            let writes = try FieldAssignment.writes(set: assignments, clear: clear)
            let sets = try FieldAssignment.setEdits(add: additions, remove: removals)
            let session = try staff.open()
            try session.replica.update(recordID, writes, sets: sets, auditedAs: session.actor)
        }
    }

    struct Erase: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Erase a record everywhere, keeping only a tombstone.")
        @Argument(help: "The record id.") var id: String
        @OptionGroup var staff: StaffOptions
        @Option(help: "The reason code, such as court_order or retention_expired.") var reason: String

        func run() throws {
            let recordID = try parseID(id)
            let session = try staff.open()
            try session.replica.erase(recordID, reason: reason, auditedAs: session.actor)
        }
    }

    struct RequestErasure: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "request-erasure",
            abstract: "Ask the centre that owns a record to erase it; prints the erasure request's id."
        )
        @Argument(help: "The record id.") var id: String
        @OptionGroup var staff: StaffOptions
        @Option(help: "The reason code, such as court_order or retention_expired.") var reason: String
        @Option(help: "What the owner should know, in words.") var text: String?

        func run() throws {
            let recordID = try parseID(id)
            let session = try staff.open()
            print(try session.replica.requestErasure(of: recordID, reason: reason, text: text, auditedAs: session.actor))
        }
    }

    struct ErasureRequests: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "erasure-requests",
            abstract: "List what other centres asked this centre to erase; `record erase` acts on one."
        )
        @OptionGroup var staff: StaffOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let session = try staff.open()
            let requests = try session.replica.erasureRequests()
            if json {
                try printJSON(requests.map(\.json))
                return
            }
            for request in requests {
                let words = request.text.map { " · \($0)" } ?? ""
                print("\(request.recordKind.rawValue) \(request.recordID)  asked by \(request.from) \(request.createdAt)  reason \(request.reason)\(words)")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a record with the centre and time behind each value.")
        @Argument(help: "The record id.") var id: String
        @OptionGroup var staff: StaffOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let recordID = try parseID(id)
            let session = try staff.open()
            switch try session.replica.consult(recordID, auditedAs: session.actor) {
            case .erased(let tombstone):
                if json {
                    try printJSON(tombstone.json)
                } else {
                    print(
                        "\(tombstone.kind.rawValue) \(id): erased by \(tombstone.stamp.origin) at "
                            + "\(Timestamps.iso8601(milliseconds: tombstone.stamp.hlc.milliseconds)), reason \(tombstone.reason)")
                }
            case .live(let record, let attachments, let links):
                if json {
                    let object = record.json(attached: attachments, links: links)
                    try printJSON(object)
                } else {
                    Self.printText(record, schema: session.replica.recordSchema, indent: "")
                    for link in links {
                        let arrow = link.isOutgoing ? "→" : "←"
                        print("  \(arrow) \(link.role) \(link.otherKind.rawValue) \(link.otherID)  \(link.otherLabel)  (link \(link.linkID))")
                    }
                    for attachment in attachments {
                        Self.printText(attachment, schema: session.replica.recordSchema, indent: "  ")
                    }
                }
            }
        }

        static func printText(_ record: RecordSnapshot, schema: RecordSchema, indent: String) {
            print("\(indent)\(record.kind.rawValue) \(record.id)  group \(record.group)  origin \(record.origin)  created \(record.createdAt)")
            for spec in schema[record.kind]?.fields ?? [] {
                guard let stamp = record.provenance[spec.name] else { continue }
                let value =
                    record.lists.contains(spec.name)
                    ? record.entries(of: spec.name).joined(separator: "; ") : record.values[spec.name] ?? "(cleared)"
                print("\(indent)  \(spec.name): \(value)    [\(stamp.origin), \(Timestamps.iso8601(milliseconds: stamp.hlc.milliseconds))]")
            }
        }
    }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

func parseID(_ text: String) throws -> RecordID {
    guard let id = RecordID(text) else { throw CLIError("\(text) is not a record id") }
    return id
}

/// Prints one of the shared JSON shapes (`JSONShapes`), as the API answers it but indented.
func printJSON(_ value: some Encodable) throws {
    print(String(decoding: try JSONShapes.encode(value, pretty: true), as: UTF8.self))
}
