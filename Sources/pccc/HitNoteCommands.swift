import ArgumentParser
import Records
import Replica
import SyncCore

struct HitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hit", abstract: "Log hits on records.", subcommands: [Add.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Log a hit (append-only); prints its id.")
        @Argument(help: "The id of the record that was hit.") var record: String
        @OptionGroup var staff: StaffOptions
        @Option(help: "Where the check happened.") var place: String
        @Option(help: "What came of it.") var outcome: String
        @Option(help: "When the check happened (ISO 8601); now when omitted.") var checkedAt: String?

        func run() throws {
            let recordID = try parseID(record)
            let session = try staff.open()
            let when = checkedAt ?? Timestamps.iso8601(milliseconds: session.replica.configuration.wallClock())
            let id = try session.replica.append(
                .hit,
                [
                    FieldWrite("record_id", recordID.description), FieldWrite("place", place),
                    FieldWrite("outcome", outcome), FieldWrite("checked_at", when),
                ],
                auditedAs: session.actor
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
        @OptionGroup var staff: StaffOptions
        @Option(help: "The note.") var text: String

        func run() throws {
            let recordID = try parseID(record)
            let session = try staff.open()
            // The author is the acting user, so a note cannot be signed with someone else's name.
            let writes = [
                FieldWrite("record_id", recordID.description), FieldWrite("text", text), FieldWrite("author", session.actor.user),
            ]
            print(try session.replica.append(.note, writes, auditedAs: session.actor))
        }
    }
}
