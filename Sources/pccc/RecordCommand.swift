import ArgumentParser
import Foundation
import Records
import Replica
import SyncCore

struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Create, change, erase and show records.",
        subcommands: [Add.self, Update.self, Erase.self, Show.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a record; prints its new id.")
        @Argument(help: "person, vehicle, document, firearm or request.") var kind: String
        @Option(help: "The node folder.") var data: String
        @Option(help: "The sharing group the record lives in (fixed at creation).") var group: String
        @Option(name: .customLong("set"), help: "FIELD=VALUE, repeatable.") var assignments: [String] = []
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            guard let recordKind = RecordKind(rawValue: kind), !recordKind.isAppendOnly else {
                throw CLIError("kind must be person, vehicle, document, firearm or request, not \(kind)")
            }
            let replica = try NodeDirectory(data).open()
            var writes = try FieldAssignment.writes(set: assignments, clear: [])
            if recordKind == .request, !writes.contains(where: { $0.field == "from_node" }) {
                writes.append(FieldWrite("from_node", replica.configuration.nodeID))
            }
            if recordKind == .request, !writes.contains(where: { $0.field == "status" }) {
                writes.append(FieldWrite("status", "open"))
            }
            let id = try replica.create(recordKind, in: group, writes)
            print(json ? #"{"id":"\#(id)"}"# : id.description)
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change fields of a record.")
        @Argument(help: "The record id.") var id: String
        @Option(help: "The node folder.") var data: String
        @Option(name: .customLong("set"), help: "FIELD=VALUE, repeatable.") var assignments: [String] = []
        @Option(help: "A field to clear, repeatable.") var clear: [String] = []

        func run() throws {
            let recordID = try parseID(id)
            try NodeDirectory(data).open().update(recordID, try FieldAssignment.writes(set: assignments, clear: clear))
        }
    }

    struct Erase: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Erase a record everywhere, keeping only a tombstone.")
        @Argument(help: "The record id.") var id: String
        @Option(help: "The node folder.") var data: String
        @Option(help: "The reason code, such as court_order or retention_expired.") var reason: String

        func run() throws {
            try NodeDirectory(data).open().erase(try parseID(id), reason: reason)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a record with the centre and time behind each value.")
        @Argument(help: "The record id.") var id: String
        @Option(help: "The node folder.") var data: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let recordID = try parseID(id)
            switch try NodeDirectory(data).open().lookup(recordID) {
            case .unknown:
                throw CLIError("no record has id \(id)")
            case .erased(let tombstone):
                if json {
                    try printJSON([
                        "id": id, "kind": tombstone.kind.rawValue, "erased": true, "reason": tombstone.reason,
                        "erased_by": tombstone.stamp.origin, "erased_at": Timestamps.iso8601(milliseconds: tombstone.stamp.hlc.milliseconds),
                    ])
                } else {
                    print(
                        "\(tombstone.kind.rawValue) \(id): erased by \(tombstone.stamp.origin) at "
                            + "\(Timestamps.iso8601(milliseconds: tombstone.stamp.hlc.milliseconds)), reason \(tombstone.reason)")
                }
            case .live(let record):
                if json {
                    var fields: [String: Any] = [:]
                    for (name, stamp) in record.provenance {
                        fields[name] = [
                            "value": record.values[name] as Any? ?? NSNull(), "by": stamp.origin,
                            "at": Timestamps.iso8601(milliseconds: stamp.hlc.milliseconds),
                            // The exact clock, so the merge order of two writes can be checked.
                            "hlc": String(stamp.hlc.rawValue),
                        ]
                    }
                    try printJSON([
                        "id": id, "kind": record.kind.rawValue, "group": record.group, "origin": record.origin,
                        "created_at": record.createdAt, "fields": fields,
                    ])
                } else {
                    print("\(record.kind.rawValue) \(id)  group \(record.group)  origin \(record.origin)  created \(record.createdAt)")
                    for spec in record.kind.fields {
                        guard let stamp = record.provenance[spec.name] else { continue }
                        let value = record.values[spec.name] ?? "(cleared)"
                        print("  \(spec.name): \(value)    [\(stamp.origin), \(Timestamps.iso8601(milliseconds: stamp.hlc.milliseconds))]")
                    }
                }
            }
        }
    }
}

func parseID(_ text: String) throws -> RecordID {
    guard let id = RecordID(text) else { throw CLIError("\(text) is not a record id") }
    return id
}

func printJSON(_ object: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
    print(String(decoding: data, as: UTF8.self))
}
