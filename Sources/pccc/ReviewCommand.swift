import ArgumentParser
import Foundation
import Records
import Replica
import SyncCore

struct ReviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Records of this centre due for review: keep each until a date with a reason, or erase it.",
        discussion: """
            A record is due its kind's review_months after creation (docs/SCHEMA.md); a closed \
            request, and each record it concerned, at most six months after the closure; a kept \
            record, on the date its last review kept it until.
            """,
        subcommands: [List.self, Keep.self, Erase.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the records due for review now, oldest date first.")
        @OptionGroup var staff: StaffOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let session = try staff.open()
            let (due, _) = try session.replica.listReviewsDue(auditedAs: session.actor)
            if json {
                try printJSON(due.map(\.json))
                return
            }
            if due.isEmpty { print("no record is due for review") }
            for review in due {
                let why = review.keptReason.map { "kept: \($0)" } ?? review.basis.rawValue
                print("\(review.id)  \(review.kind)  \(review.group)  due \(Timestamps.iso8601(milliseconds: review.reviewAt))  (\(why))  \(review.label)")
            }
        }
    }

    struct Keep: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Keep a record this centre owns until a date, for a reason.")
        @Argument(help: "The record id.") var id: String
        @OptionGroup var staff: StaffOptions
        @Option(help: "The day to keep it until, YYYY-MM-DD: at most the kind's review period ahead.") var until: String
        @Option(help: "Why it is still needed.") var reason: String

        func run() throws {
            let recordID = try parseID(id)
            let session = try staff.open()
            try session.replica.keep(recordID, until: until, reason: reason, auditedAs: session.actor)
        }
    }

    struct Erase: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Erase a record this centre owns at its review, with reason retention_expired.")
        @Argument(help: "The record id.") var id: String
        @OptionGroup var staff: StaffOptions

        func run() throws {
            let recordID = try parseID(id)
            let session = try staff.open()
            try session.replica.erase(recordID, reason: Replica.retentionExpired, auditedAs: session.actor)
        }
    }
}
