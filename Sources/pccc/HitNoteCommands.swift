import ArgumentParser
import Records
import Replica
import SyncCore

struct HitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hit", abstract: "Log hits on records.", subcommands: [Add.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Log a hit (append-only); prints its id.")
        @Argument(help: "The id of the record that was hit.") var record: String
        @Option(help: "The node folder.") var data: String
        @Option(help: "Where the check happened.") var place: String
        @Option(help: "What came of it.") var outcome: String
        @Option(help: "When the check happened (ISO 8601); now when omitted.") var checkedAt: String?

        func run() throws {
            let replica = try NodeDirectory(data).open()
            let when = checkedAt ?? Timestamps.iso8601(milliseconds: replica.configuration.wallClock())
            let id = try replica.append(
                .hit,
                [
                    FieldWrite("record_id", try parseID(record).description), FieldWrite("place", place),
                    FieldWrite("outcome", outcome), FieldWrite("checked_at", when),
                ]
            )
            print(id)
        }
    }
}

struct NoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "note", abstract: "Add notes to records.", subcommands: [Add.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a note (append-only); prints its id.")
        @Argument(help: "The id of the record the note is about.") var record: String
        @Option(help: "The node folder.") var data: String
        @Option(help: "The note.") var text: String
        @Option(help: "Who wrote it.") var author: String?

        func run() throws {
            var writes = [FieldWrite("record_id", try parseID(record).description), FieldWrite("text", text)]
            if let author { writes.append(FieldWrite("author", author)) }
            print(try NodeDirectory(data).open().append(.note, writes))
        }
    }
}
