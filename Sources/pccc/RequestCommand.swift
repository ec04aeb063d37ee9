import ArgumentParser
import Foundation
import NodeService
import Records
import Replica
import SyncCore

struct RequestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Information requests between centres, as Directive (EU) 2023/977 shapes them.",
        discussion: """
            The requesting centre sends (new), clarifies and closes; the requested centre classifies an \
            urgent request, answers, refuses, asks for clarification and announces delays. Each step \
            is an entry of the request's thread, which both centres see (show).
            """,
        subcommands: [
            New.self, Show.self, List.self, Take.self, Hand.self, Classify.self, Answer.self, Refuse.self, AskClarification.self, Clarify.self,
            Delay.self, Close.self,
        ]
    )

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a request to another centre; prints its id.")
        @OptionGroup var staff: StaffOptions
        @Option(help: "The requested centre's node id.") var to: String
        @Option(help: "urgent (8 hours, or 3 days once the requested centre classifies it) or standard (7 days).") var urgency: String?
        @Option(help: "The information sought.") var question: String?
        @Option(name: .customLong("request-purpose"), help: "The purpose of the request, with the facts (Art. 4(3)); --purpose is the audit log's.")
        var requestPurpose: String?
        @Option(help: "The offence the facts concern.") var offence: String?
        @Option(help: "Why the requested state is believed to hold the information.") var availabilityReasons: String?
        @Option(name: .customLong("subject"), help: "The id of a record the request is about, repeatable.") var subjects: [String] = []
        @Option(help: "How the subjects relate to the purpose (required with --subject).") var subjectRelation: String?
        @Option(help: "An urgent request's ground: public_security, life_or_integrity, deprivation_of_liberty or loss_of_relevance.")
        var urgentGround: String?
        @Option(help: "Why the urgent ground applies.") var urgentReasons: String?
        @Option(help: "Restrictions on the use of the information.") var useRestrictions: String?
        @Option(help: "The language of the request, ISO 639-1; one the requested centre accepts (the topology lists them).") var language = "en"
        @Option(help: "The requesting authority or officer.") var authority: String?
        @Option(help: "The national case number.") var caseNumber: String?
        @Option(
            help:
                "sent when the national SPOC got a copy, else not_sent_sensitive_investigation, not_sent_terrorism or not_sent_safety (Art. 8(3))."
        )
        var spocCopy: String?
        @Option(help: "sent when Europol was copied, else not_needed (with --europol-reason).") var europolCopy: String?
        @Option(help: "Why Europol was not copied.") var europolReason: String?
        @Option(help: "The sharing group to send it in (default: the smallest group holding both centres).") var group: String?

        func run() throws {
            let session = try staff.open()
            let form = RequestForm(
                question: question ?? "", urgency: urgency ?? "", purpose: requestPurpose ?? "", offence: offence ?? "",
                availabilityReasons: availabilityReasons ?? "", subjects: subjects, subjectRelation: subjectRelation, urgentGround: urgentGround,
                urgentReasons: urgentReasons, useRestrictions: useRestrictions, language: language, requestingAuthority: authority ?? "",
                caseNumber: caseNumber ?? "", spocCopy: spocCopy ?? "", europolCopy: europolCopy ?? "", europolReason: europolReason)
            let id = try session.replica.sendRequest(to: NodeID(to), form: form, group: group.map { GroupID($0) }, auditedAs: session.actor)
            print(id)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a request with its form and thread.")
        @Argument(help: "The request id.") var id: String
        @OptionGroup var staff: StaffOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let requestID = try parseID(id)
            let session = try staff.open()
            let (request, now, matches) = try session.replica.consultRequest(requestID, auditedAs: session.actor)
            let me = session.replica.configuration.nodeID
            if json {
                var object = request.json(me: me, now: now)
                object.subjectMatches = matches.map(\.json)
                try printJSON(object)
                return
            }
            print("request \(request.id) from \(request.from) to \(request.to), \(request.thread.urgencyClass), \(request.status)")
            print("  \(List.deadline(request, now: now))")
            print("  question: \(request.question)")
            for field in request.form.keys.sorted() { print("  \(field): \(request.form[field]!)") }
            if !request.subjectIDs.isEmpty { print("  subjects: \(request.subjectIDs.joined(separator: ", "))") }
            for subject in matches {
                for match in subject.matches {
                    print("  subject \(subject.subject) may be \(RecordCommand.Add.line(match)) (\(match.strength), \(match.reason))")
                }
            }
            for entry in request.thread.entries {
                var line = "  \(Timestamps.iso8601(milliseconds: entry.at))  \(entry.author)  \(entry.step.rawValue)"
                if let access = entry.access { line += " \(access)" }
                if let extent = entry.extent { line += " \(extent)" }
                if !entry.grounds.isEmpty { line += " on grounds \(entry.grounds.map(\.rawValue).joined(separator: ","))" }
                if let until = entry.until { line += " until \(Timestamps.iso8601(milliseconds: until))" }
                if let received = entry.receivedAt { line += " of \(entry.entryID ?? "?") at \(Timestamps.iso8601(milliseconds: received))" }
                if let text = entry.text { line += ": \(text)" }
                print(line)
            }
        }
    }

    /// A thread step taken from the command line: parses the id, opens the node, acts.
    static func act(_ id: String, _ staff: StaffOptions, _ action: RequestAction) throws {
        let requestID = try parseID(id)
        let session = try staff.open()
        try session.replica.act(on: requestID, action, auditedAs: session.actor)
    }

    struct Take: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take a request this centre must act on: you hold it from now on.")
        @Argument(help: "The request id.") var id: String
        @OptionGroup var staff: StaffOptions

        func run() throws {
            let requestID = try parseID(id)
            let session = try staff.open()
            try session.replica.takeRequest(requestID, auditedAs: session.actor)
            print("\(session.actor.user) holds request \(requestID)")
        }
    }

    struct Hand: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Hand a request this centre must act on to a colleague.")
        @Argument(help: "The request id.") var id: String
        @Option(help: "The colleague's user name.") var to: String
        @OptionGroup var staff: StaffOptions

        func run() throws {
            let requestID = try parseID(id)
            let session = try staff.open()
            try session.replica.handRequest(requestID, to: to, auditedAs: session.actor)
            print("\(to) holds request \(requestID)")
        }
    }

    struct Classify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Classify an urgent request this centre received: 8 hours when the information is directly accessible, 3 days when not.")
        @Argument(help: "The request id.") var id: String
        @OptionGroup var staff: StaffOptions
        @Flag(help: "The information is directly accessible (8 hours).") var direct = false
        @Flag(help: "The information is indirectly accessible (3 calendar days).") var indirect = false

        func validate() throws {
            guard direct != indirect else { throw ValidationError("give one of --direct and --indirect") }
        }

        func run() throws { try RequestCommand.act(id, staff, .classify(direct: direct)) }
    }

    struct Answer: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Answer a request this centre received.")
        @Argument(help: "The request id.") var id: String
        @OptionGroup var staff: StaffOptions
        @Option(help: "The answer.") var text: String
        @Flag(help: "Only part of the information; the clock runs on.") var partial = false

        func run() throws { try RequestCommand.act(id, staff, partial ? .partialAnswer(text) : .answer(text)) }
    }

    struct Refuse: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Refuse a request this centre received, on grounds of Art. 6(1).")
        @Argument(help: "The request id.") var id: String
        @OptionGroup var staff: StaffOptions
        @Option(help: "The grounds, letters a to h separated by commas, such as a,f.") var grounds: String
        @Option(help: "The reasons, which the requester sees.") var reasons: String
        @Flag(help: "Refuse only part of the request; the clock runs on.") var partial = false

        func run() throws {
            guard let parsed = RefusalGround.parseList(grounds) else {
                throw CLIError("--grounds must be distinct letters a to h separated by commas, such as a,f, not \(grounds)")
            }
            try RequestCommand.act(id, staff, .refuse(whole: !partial, grounds: parsed, reasons: reasons))
        }
    }

    struct AskClarification: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ask-clarification", abstract: "Ask the requesting centre to clarify; the clock pauses once it has the question.")
        @Argument(help: "The request id.") var id: String
        @OptionGroup var staff: StaffOptions
        @Option(help: "What needs clarifying.") var text: String

        func run() throws { try RequestCommand.act(id, staff, .askClarification(text)) }
    }

    struct Clarify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give the clarification the requested centre asked for; the clock resumes once it has it.")
        @Argument(help: "The request id.") var id: String
        @OptionGroup var staff: StaffOptions
        @Option(help: "The clarification.") var text: String

        func run() throws { try RequestCommand.act(id, staff, .giveClarification(text)) }
    }

    struct Delay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Announce, or update, a delay for judicial authorisation (Art. 5(2)); overdue counts from its end meanwhile.")
        @Argument(help: "The request id.") var id: String
        @OptionGroup var staff: StaffOptions
        @Option(help: "Why the answer waits.") var reason: String
        @Option(help: "When the answer is expected, such as 2026-12-04T12:00:00+01:00.") var until: String

        func run() throws {
            guard let end = Timestamps.milliseconds(fromISO8601: until) else {
                throw CLIError("--until must be a time such as 2026-12-04T12:00:00+01:00, not \(until)")
            }
            try RequestCommand.act(id, staff, .announceDelay(reason: reason, until: end))
        }
    }

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close a request this centre sent.")
        @Argument(help: "The request id.") var id: String
        @OptionGroup var staff: StaffOptions

        func run() throws { try RequestCommand.act(id, staff, .close) }
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
                print("\(request.id)  \(party)  \(request.thread.urgencyClass)  \(request.status)  \(Self.deadline(request, now: now))  \(request.question)")
            }
        }

        static func deadline(_ request: RequestSummary, now: UInt64) -> String {
            let thread = request.thread
            guard let due = thread.dueAt else { return "not yet received by \(request.to)" }
            var text = "due " + Timestamps.iso8601(milliseconds: due)
            if thread.urgencyClass == "urgent" { text += " (unclassified: 8 hours until the requested centre classifies it)" }
            if thread.respondedAt != nil || thread.state == .closed || thread.state == .answered || thread.state == .refused { return text }
            if let paused = thread.pausedSince { return text + " (paused for clarification since \(Timestamps.iso8601(milliseconds: paused)))" }
            let limit = thread.delayedUntil ?? due
            if let until = thread.delayedUntil { text += ", delayed until \(Timestamps.iso8601(milliseconds: until))" }
            return thread.isOverdue(now: now) ? "\(text) (OVERDUE by \(span(now - limit)))" : "\(text) (in \(span(limit > now ? limit - now : 0)))"
        }

        static func span(_ milliseconds: UInt64) -> String {
            let minutes = milliseconds / 60_000
            if minutes >= 24 * 60 { return "\(minutes / (24 * 60))d \(minutes / 60 % 24)h" }
            return minutes >= 60 ? "\(minutes / 60)h \(minutes % 60)m" : "\(minutes)m"
        }
    }
}
