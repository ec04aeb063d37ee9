import SyncCore

/// The grounds on which Art. 6(1) of Directive (EU) 2023/977 lets a requested centre refuse.
public enum RefusalGround: String, CaseIterable, Sendable, Comparable {
    /// (a) The information is not available to the requested state's authorities.
    case a
    /// (b) The request does not meet the requirements of Art. 4.
    case b
    /// (c) The judicial authorisation national law requires was refused.
    case c
    /// (d) The information is personal data outside the categories of Art. 10(b).
    case d
    /// (e) The information is inaccurate, incomplete or out of date.
    case e
    /// (f) Providing it would harm national security, an investigation, an individual's
    /// safety, or a legal person's protected interests.
    case f
    /// (g) The offence carries at most one year, or is not an offence in the requested state.
    case g
    /// (h) The information came from another state or a third country that did not consent.
    case h

    /// The ground in a few words, as reports and the web UI show it.
    public var summary: String {
        switch self {
        case .a: "not available"
        case .b: "request does not meet Art. 4"
        case .c: "judicial authorisation refused"
        case .d: "personal data outside Art. 10(b)"
        case .e: "inaccurate, incomplete or out of date"
        case .f: "security, investigation or safety"
        case .g: "offence of one year or less, or none"
        case .h: "originating state did not consent"
        }
    }

    /// Orders the grounds (a) to (h).
    public static func < (lhs: RefusalGround, rhs: RefusalGround) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The grounds written as a thread entry holds them, `a,f`: nil unless every one is a
    /// ground and none repeats.
    public static func parseList(_ text: String) -> [RefusalGround]? {
        var grounds: [RefusalGround] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let ground = RefusalGround(rawValue: String(part)), !grounds.contains(ground) else { return nil }
            grounds.append(ground)
        }
        return grounds.isEmpty ? nil : grounds.sorted()
    }
}

/// One step of a request's thread, as a `request_entry` record holds it.
public struct RequestEntry: Sendable, Equatable {
    /// What a step does, and who may take it (``party``).
    public enum Step: String, Sendable, CaseIterable {
        /// The requested centre says whether the information is directly or indirectly
        /// accessible, which sets an urgent request's limit to 8 hours or 3 days.
        case classification
        /// The information, in full: the clock stops.
        case answer
        /// Part of the information; the clock runs on.
        case partialAnswer = "partial_answer"
        /// A refusal, whole (the clock stops) or partial, on grounds of Art. 6(1) with reasons.
        case refusal
        /// The requested centre asks for clarification: the clock pauses once the requester
        /// has it.
        case clarificationAsked = "clarification_asked"
        /// The requester's clarification: the clock resumes once the requested centre has it.
        case clarificationGiven = "clarification_given"
        /// A delay for judicial authorisation (Art. 5(2)), with its reason and expected end.
        case delay
        /// The node noting when a clarification or its reply reached it.
        case receipt
        /// The requester closes the request.
        case close

        /// The centre that takes this step; a receipt is noted by the centre the entry it notes
        /// was addressed to (``RequestThread`` checks that).
        public var party: RequestWorkflow.Party? {
            switch self {
            case .clarificationGiven, .close: .requester
            case .receipt: nil
            default: .requested
            }
        }
    }

    /// The entry's record id.
    public let id: String
    /// The centre that wrote it: its batch's origin.
    public let author: NodeID
    /// Its hybrid timestamp, which orders the thread.
    public let hlc: HybridTimestamp
    /// What it does.
    public let step: Step
    /// The answer, the reasons, the clarification or the delay's reason.
    public let text: String?
    /// A classification's `direct` or `indirect`.
    public let access: String?
    /// A classification's due time, as the requested centre computed it (Unix milliseconds).
    public let dueAt: UInt64?
    /// A refusal's extent: `whole` or `partial`.
    public let extent: String?
    /// A refusal's grounds.
    public let grounds: [RefusalGround]
    /// A delay's expected end (Unix milliseconds).
    public let until: UInt64?
    /// A receipt's entry.
    public let entryID: String?
    /// A receipt's time (Unix milliseconds).
    public let receivedAt: UInt64?

    /// An entry from a `request_entry` row's values; nil when `type` is no step.
    public init?(id: String, author: NodeID, hlc: HybridTimestamp, values: [String: String]) {
        guard let type = values["type"], let step = Step(rawValue: type) else { return nil }
        self.id = id
        self.author = author
        self.hlc = hlc
        self.step = step
        text = values["text"]
        access = values["access"]
        dueAt = values["due_at"].flatMap(Timestamps.milliseconds(fromISO8601:))
        extent = values["extent"]
        grounds = values["grounds"].flatMap(RefusalGround.parseList) ?? []
        until = values["until"].flatMap(Timestamps.milliseconds(fromISO8601:))
        entryID = values["entry_id"]
        receivedAt = values["received_at"].flatMap(Timestamps.milliseconds(fromISO8601:))
    }

    /// When it was written (Unix milliseconds).
    public var at: UInt64 { hlc.milliseconds }
}

/// Where a request stands, as its thread says.
public enum RequestState: String, Sendable, Comparable, CaseIterable {
    /// Not yet received by the requested centre.
    case sent
    /// Received; the clock runs.
    case received
    /// A delay for judicial authorisation is announced.
    case delayed
    /// Part of the information was given or refused.
    case partiallyAnswered = "partially_answered"
    /// The requested centre waits for a clarification; the clock is paused.
    case clarificationRequested = "clarification_requested"
    /// The information was given.
    case answered
    /// The request was refused as a whole.
    case refused
    /// The requester closed it.
    case closed

    /// Orders states by how far a request has come: the thread's state is the furthest its
    /// entries reach.
    public static func < (lhs: RequestState, rhs: RequestState) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// A request's thread folded into its state and clocks: a pure function of the request's
/// fixed fields and the set of its entries, so every node holding the same entries, whatever
/// order they arrived in, shows the same thread, state and due time (docs/PROTOCOL.md §5.12).
public struct RequestThread: Sendable, Equatable {
    /// What the fold needs of the request itself.
    public struct Request: Sendable, Equatable {
        /// The requesting centre.
        public let from: NodeID
        /// The requested centre.
        public let to: NodeID
        /// `urgent`, `standard`, or an earlier release's `urgent_direct` / `urgent_indirect`.
        public let urgency: String
        /// When it reached the requested centre (Unix milliseconds), once known.
        public let receivedAt: UInt64?
        /// The due time the requested centre wrote on receipt, once known.
        public let dueAtOnReceipt: UInt64?
        /// The `status` field earlier releases move (`answered`, `closed`).
        public let legacyStatus: String?

        /// Creates the request's part of a fold.
        public init(from: NodeID, to: NodeID, urgency: String, receivedAt: UInt64?, dueAtOnReceipt: UInt64?, legacyStatus: String?) {
            self.from = from
            self.to = to
            self.urgency = urgency
            self.receivedAt = receivedAt
            self.dueAtOnReceipt = dueAtOnReceipt
            self.legacyStatus = legacyStatus
        }
    }

    /// The entries that count, in thread order: by hybrid timestamp, then author, then id.
    public let entries: [RequestEntry]
    /// Where the request stands.
    public let state: RequestState
    /// `urgent_direct`, `urgent_indirect` or `standard` once the limit is known; `urgent`
    /// while an urgent request is unclassified (it counts down from 8 hours).
    public let urgencyClass: String
    /// When the answer is due (Unix milliseconds), with every clarification's pause added;
    /// nil until the request is received. The time statistics measure against.
    public let dueAt: UInt64?
    /// The expected end of an announced delay: overdue is measured against it meanwhile.
    public let delayedUntil: UInt64?
    /// When the open clarification paused the clock, if one is open.
    public let pausedSince: UInt64?
    /// How long clarifications paused the clock, in milliseconds (an open one up to its start).
    public let pausedFor: UInt64
    /// When the first answer or whole refusal was written.
    public let respondedAt: UInt64?
    /// How the request was responded to, whether or not it was closed since: `answered` or
    /// `refused` by the last answer or whole refusal (an earlier release's `answered` status
    /// counts), nil while neither came.
    public let outcome: RequestState?
    /// The grounds of every refusal, whole or partial.
    public let refusalGrounds: [RefusalGround]
    /// When the first delay was announced.
    public let firstDelayAt: UInt64?
    /// The clarifications that opened a pause and the replies that closed one: the entries whose
    /// receipt moves the clock, which a node notes when they reach it.
    public let pauseBoundaries: Set<String>

    /// The limit of an urgent request the requested centre has not classified yet.
    public static let unclassifiedLimit: UInt64 = 8 * 3_600_000

    /// Folds `entries` of `request`. Merge already leaves out an entry from a centre its step
    /// does not belong to; the fold checks again, so it is a function of the entries alone.
    public init(request: RequestThread.Request, entries: [RequestEntry]) {
        let ordered = entries.sorted { ($0.hlc, $0.author, $0.id) < ($1.hlc, $1.author, $1.id) }
        var byID: [String: RequestEntry] = [:]
        for entry in ordered { byID[entry.id] = entry }
        let valid = ordered.filter { entry in
            switch entry.step.party {
            case .requester: return entry.author == request.from
            case .requested: return entry.author == request.to
            case nil:
                // A receipt notes a clarification or its reply, by the other centre, at a time
                // between the noted entry's and its own: no centre can claim a receipt before the
                // entry was written or after it said so.
                guard let noted = entry.entryID.flatMap({ byID[$0] }), noted.step == .clarificationAsked || noted.step == .clarificationGiven,
                    let receivedAt = entry.receivedAt, receivedAt >= noted.at, receivedAt <= entry.at
                else { return false }
                let addressee = noted.author == request.from ? request.to : request.from
                return entry.author == addressee && (noted.author == request.from || noted.author == request.to)
            }
        }
        var receipts: [String: UInt64] = [:]
        for entry in valid where entry.step == .receipt {
            // The first receipt of an entry counts; a later one changes nothing.
            if receipts[entry.entryID!] == nil { receipts[entry.entryID!] = entry.receivedAt! }
        }
        self.entries = valid

        var state: RequestState = request.receivedAt == nil ? .sent : .received
        switch request.legacyStatus {
        case "answered": state = .answered
        case "closed": state = .closed
        default: break
        }
        var classification: RequestEntry?
        var openAsk: UInt64?
        var paused: UInt64 = 0
        var responded: RequestEntry?
        var outcome: RequestEntry?
        var grounds = Set<RefusalGround>()
        var firstDelay: UInt64?
        var delayedUntil: UInt64?
        var partial = false
        var delayed = false
        var boundaries = Set<String>()
        for entry in valid {
            switch entry.step {
            case .classification:
                if entry.access == "direct" || entry.access == "indirect", entry.dueAt != nil { classification = entry }
            case .answer:
                if responded == nil { responded = entry }
                outcome = entry
            case .refusal:
                grounds.formUnion(entry.grounds)
                if entry.extent == "whole" {
                    if responded == nil { responded = entry }
                    outcome = entry
                } else {
                    partial = true
                }
            case .partialAnswer:
                partial = true
            case .clarificationAsked:
                if openAsk == nil {
                    openAsk = receipts[entry.id] ?? entry.at
                    boundaries.insert(entry.id)
                }
            case .clarificationGiven:
                if let start = openAsk {
                    let end = receipts[entry.id] ?? entry.at
                    // A pause that ends before it starts lasts nothing; the sum saturates.
                    paused = Self.saturatingSum(paused, end > start ? end - start : 0)
                    openAsk = nil
                    boundaries.insert(entry.id)
                }
            case .delay:
                delayed = true
                if firstDelay == nil { firstDelay = entry.at }
                delayedUntil = entry.until
            case .receipt:
                break
            case .close:
                state = .closed
            }
        }
        if state != .closed {
            var reached = state
            if let outcome { reached = max(reached, outcome.step == .answer ? .answered : .refused) }
            if openAsk != nil { reached = max(reached, .clarificationRequested) }
            if partial { reached = max(reached, .partiallyAnswered) }
            if delayed { reached = max(reached, .delayed) }
            state = reached
        }
        self.state = state

        // The requested centre's own figures: its classification, else the due time it wrote on
        // receipt (from the urgency it saw then), so no later write of the requester (a second
        // create re-grading the request) moves them.
        if let classification {
            urgencyClass = classification.access == "direct" ? "urgent_direct" : "urgent_indirect"
        } else {
            urgencyClass = request.urgency
        }
        let baseDue: UInt64?
        if let classification {
            baseDue = classification.dueAt
        } else if let written = request.dueAtOnReceipt {
            baseDue = written
        } else if request.urgency == "urgent", let received = request.receivedAt {
            baseDue = Self.saturatingSum(received, Self.unclassifiedLimit)
        } else {
            baseDue = nil
        }
        dueAt = baseDue.map { Self.saturatingSum($0, paused) }
        pauseBoundaries = boundaries
        // A request answered, refused or closed waits for nothing any more.
        pausedSince = [.answered, .refused, .closed].contains(state) ? nil : openAsk
        pausedFor = paused
        self.delayedUntil = delayedUntil
        respondedAt = responded?.at
        if let outcome {
            self.outcome = outcome.step == .answer ? .answered : .refused
        } else {
            self.outcome = request.legacyStatus == "answered" ? .answered : nil
        }
        refusalGrounds = grounds.sorted()
        firstDelayAt = firstDelay
    }

    /// Whether the request is past its time at `now`: received, not answered (by an entry or,
    /// before threads, by its status), refused as a whole or closed, its clock not paused, and
    /// past the announced delay's end if there is one, else past its due time.
    public func isOverdue(now: UInt64) -> Bool {
        guard let dueAt, respondedAt == nil, outcome == nil, state != .closed, pausedSince == nil else { return false }
        return now > (delayedUntil ?? dueAt)
    }

    /// `a + b`, or the greatest time when that overflows: a hostile centre's times cannot trap
    /// the fold.
    static func saturatingSum(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }
}
