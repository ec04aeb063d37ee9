import ArgumentParser
import Foundation
import NodeService
import Records
import Replica
import SyncCore

struct RequestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Information requests between centres, with the time limits of Directive (EU) 2023/977.",
        subcommands: [New.self, Answer.self, Close.self, List.self]
    )

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a request to another centre; prints its id.")
        @OptionGroup var staff: StaffOptions
        @Option(help: "The requested centre's node id.") var to: String
        @Option(help: "urgent_direct (8 hours), urgent_indirect (3 days) or standard (7 days).") var urgency: String
        @Option(name: .customLong("subject"), help: "The id of a record the request is about, repeatable.") var subjects: [String] = []
        @Option(help: "What the requested centre is asked.") var question: String
        @Option(help: "The sharing group to send it in (default: the smallest group holding both centres).") var group: String?

        func run() throws {
            let session = try staff.open()
            let id = try session.replica.sendRequest(
                to: NodeID(to), urgency: urgency, subjects: subjects, question: question, group: group.map { GroupID($0) }, auditedAs: session.actor
            )
            print(id)
        }
    }

    struct Answer: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Answer a request this centre received.")
        @Argument(help: "The request id.") var id: String
        @OptionGroup var staff: StaffOptions
        @Option(help: "The answer.") var text: String

        func run() throws {
            let requestID = try parseID(id)
            let session = try staff.open()
            try session.replica.answerRequest(requestID, text: text, auditedAs: session.actor)
        }
    }

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close a request this centre sent.")
        @Argument(help: "The request id.") var id: String
        @OptionGroup var staff: StaffOptions

        func run() throws {
            let requestID = try parseID(id)
            let session = try staff.open()
            try session.replica.closeRequest(requestID, auditedAs: session.actor)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List requests sent and received, with their deadlines.")
        @OptionGroup var staff: StaffOptions
        @Flag(help: "Only requests past their due time and not yet answered.") var overdue = false
        @Flag(help: "Only requests this centre received.") var incoming = false
        @Flag(help: "Only requests this centre sent.") var outgoing = false
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            if incoming && outgoing { throw ValidationError("--incoming and --outgoing exclude each other; give neither for both") }
        }

        func run() throws {
            let session = try staff.open()
            let direction: RequestDirection? = incoming ? .incoming : outgoing ? .outgoing : nil
            let filters = [overdue ? "overdue" : nil, incoming ? "incoming" : nil, outgoing ? "outgoing" : nil].compactMap { $0 }
            let (requests, now) = try session.replica.listRequests(
                direction, overdueOnly: overdue, auditedAs: session.actor,
                detail: "requests" + (filters.isEmpty ? "" : " " + filters.joined(separator: " "))
            )
            let me = session.replica.configuration.nodeID
            if json {
                try printJSON(requests.map { $0.json(me: me, now: now) })
                return
            }
            if requests.isEmpty { print(overdue ? "no request is overdue" : "no request") }
            for request in requests {
                let party = request.to == me ? "from \(request.from)" : "to \(request.to)"
                print("\(request.id)  \(party)  \(request.urgency)  \(request.status)  \(Self.deadline(request, now: now))  \(request.question)")
            }
        }

        static func deadline(_ request: RequestSummary, now: UInt64) -> String {
            guard let due = request.dueAt else { return "not yet received by \(request.to)" }
            let dueText = "due " + Timestamps.iso8601(milliseconds: due)
            if request.status == "answered" || request.status == "closed" { return dueText }
            return RequestDeadline.isOverdue(status: request.status, dueAt: due, now: now)
                ? "\(dueText) (OVERDUE by \(span(now - due)))" : "\(dueText) (in \(span(due - now)))"
        }

        static func span(_ milliseconds: UInt64) -> String {
            let minutes = milliseconds / 60_000
            if minutes >= 24 * 60 { return "\(minutes / (24 * 60))d \(minutes / 60 % 24)h" }
            return minutes >= 60 ? "\(minutes / 60)h \(minutes % 60)m" : "\(minutes)m"
        }
    }
}
