import ArgumentParser
import Foundation
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
            let me = session.replica.configuration.nodeID
            let roster = session.replica.configuration.roster
            guard to != me else { throw CLIError("a request goes to another centre, not to this node \(me)") }
            guard roster.signingKeys[to] != nil || roster.groups.values.contains(where: { $0.contains(to) }) else {
                throw CLIError("\(to) is not a node of the topology")
            }
            let chosen = try group ?? Self.smallestSharedGroup(roster, me, to)
            guard roster.isMember(to, of: chosen) else {
                throw CLIError("\(to) is not a member of group \(chosen), so it would never receive the request")
            }
            for subject in subjects {
                guard case .live = try session.replica.lookup(try parseID(subject)) else {
                    throw CLIError("subject \(subject) is not a record held at this node")
                }
            }
            var writes = [
                FieldWrite("from_node", me), FieldWrite("to_node", to), FieldWrite("urgency", urgency),
                FieldWrite("question", question), FieldWrite("status", "open"),
            ]
            if !subjects.isEmpty { writes.append(FieldWrite("subject_ids", subjects.joined(separator: ","))) }
            print(try session.replica.create(.request, in: chosen, writes, auditedAs: session.actor))
        }

        static func smallestSharedGroup(_ roster: Roster, _ me: String, _ to: String) throws -> String {
            let shared = roster.groups.filter { $0.value.contains(me) && $0.value.contains(to) }
            guard let best = shared.min(by: { ($0.value.count, $0.key) < ($1.value.count, $1.key) }) else {
                throw CLIError("no sharing group holds both \(me) and \(to); the topology must put them in one")
            }
            return best.key
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
            let request = try RequestCommand.request(requestID, session)
            let me = session.replica.configuration.nodeID
            guard request.to == me else {
                throw CLIError("request \(id) was sent to \(request.to); only \(request.to) answers it")
            }
            guard request.status != "closed" else { throw CLIError("request \(id) is closed") }
            try session.replica.update(requestID, [FieldWrite("answer", text), FieldWrite("status", "answered")], auditedAs: session.actor)
        }
    }

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close a request this centre sent.")
        @Argument(help: "The request id.") var id: String
        @OptionGroup var staff: StaffOptions

        func run() throws {
            let requestID = try parseID(id)
            let session = try staff.open()
            let request = try RequestCommand.request(requestID, session)
            guard request.from == session.replica.configuration.nodeID else {
                throw CLIError("request \(id) was sent by \(request.from); only \(request.from) closes it")
            }
            try session.replica.update(requestID, [FieldWrite("status", "closed")], auditedAs: session.actor)
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
            try session.replica.acknowledgeReceivedRequests()
            let now = session.replica.configuration.wallClock()
            let direction: RequestDirection? = incoming ? .incoming : outgoing ? .outgoing : nil
            let requests = try session.replica.requests(direction).filter {
                !overdue || RequestDeadline.isOverdue(status: $0.status, dueAt: $0.dueAt, now: now)
            }
            let filters = [overdue ? "overdue" : nil, incoming ? "incoming" : nil, outgoing ? "outgoing" : nil].compactMap { $0 }
            try session.audit("list", requests.map(\.id), detail: "requests" + (filters.isEmpty ? "" : " " + filters.joined(separator: " ")))
            let me = session.replica.configuration.nodeID
            if json {
                try printJSON(requests.map { Self.jsonObject($0, me: me, now: now) })
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

        static func jsonObject(_ request: RequestSummary, me: String, now: UInt64) -> [String: Any] {
            [
                "id": request.id, "group": request.group, "from": request.from, "to": request.to, "urgency": request.urgency,
                "status": request.status, "question": request.question, "answer": request.answer as Any? ?? NSNull(),
                "subjects": request.subjectIDs, "direction": request.to == me ? "incoming" : "outgoing",
                "received_at": request.receivedAt.map(Timestamps.iso8601(milliseconds:)) as Any? ?? NSNull(),
                "due_at": request.dueAt.map(Timestamps.iso8601(milliseconds:)) as Any? ?? NSNull(),
                "overdue": RequestDeadline.isOverdue(status: request.status, dueAt: request.dueAt, now: now),
            ]
        }
    }

    /// A request held here, or a one-sentence refusal.
    static func request(_ id: RecordID, _ session: StaffSession) throws -> RequestSummary {
        switch try session.replica.lookup(id) {
        case .live(let record) where record.kind == .request:
            guard let summary = try session.replica.requests(id: id).first else {
                throw CLIError("request \(id) is neither to nor from this centre")
            }
            return summary
        case .live(let record):
            throw CLIError("\(id) is a \(record.kind.rawValue), not a request")
        case .erased:
            throw CLIError("request \(id) has been erased")
        case .unknown:
            throw CLIError("no record has id \(id)")
        }
    }
}
