import ArgumentParser
import Foundation
import NodeService
import Records
import Replica

struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Check and print a region's record schema file (docs/SCHEMA.md).",
        subcommands: [Validate.self, Show.self]
    )

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a schema file; every error names the file, the line and what is wrong. With --data, also that the node's replica can grow to it."
        )
        @Argument(help: "The region's schema file.") var file: String
        @Option(help: "A node folder whose replica the file must grow (read only; the node may be serving).") var data: String?

        func run() throws {
            let schema = try SchemaCommand.load(file)
            let builtIn = RecordSchema.builtIn
            let newKinds = schema.kinds.filter { builtIn[$0.kind] == nil }.map(\.kind.rawValue)
            let newFields = builtIn.kinds.reduce(0) { count, kind in count + (schema[kind.kind]?.fields.count ?? 0) - kind.fields.count }
            var line = "\(file): valid: record schema version \(schema.version), \(newKinds.count) kinds added"
            if !newKinds.isEmpty { line += " (\(newKinds.joined(separator: ", ")))" }
            line += ", \(newFields) fields added to built-in kinds"
            if let data {
                let running = try Replica.recordSchema(ofReplicaAt: NodeDirectory(data).replicaPath)
                do {
                    try schema.checkGrowth(from: running, file: file)
                } catch {
                    throw CLIError(error.description)
                }
                line += "; the replica in \(data) runs version \(running.version) and can grow to it"
            }
            print(line)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a record schema in full: the built-in one, one grown by a file, or the one a node runs."
        )
        @Argument(help: "The region's schema file; without it, the built-in schema.") var file: String?
        @Option(help: "Print the schema the node in this folder runs instead (read only).") var data: String?

        func run() throws {
            if file != nil, data != nil { throw CLIError("give a schema file or --data, not both") }
            if let data {
                print(try Replica.recordSchema(ofReplicaAt: NodeDirectory(data).replicaPath).document, terminator: "")
            } else if let file {
                print(try SchemaCommand.load(file).document, terminator: "")
            } else {
                print(RecordSchema.builtIn.document, terminator: "")
            }
        }
    }

    /// The built-in schema grown by a region's schema file, as a node reads it.
    static func load(_ file: String) throws -> RecordSchema {
        try NodeDirectory.readRecordSchemaFile(file)
    }
}
