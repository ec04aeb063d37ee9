import ArgumentParser
import NodeService
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
            let id = try session.replica.logHit(on: recordID, place: place, outcome: outcome, checkedAt: checkedAt, auditedAs: session.actor)
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
            print(try session.replica.addNote(to: recordID, text: text, auditedAs: session.actor))
        }
    }
}
