import Foundation
import GRDB
import Records
import SyncCore

/// A step a centre takes in a request's thread, as staff give it.
public enum RequestAction: Sendable, Equatable {
    /// The requested centre: the information is directly or indirectly accessible (an urgent
    /// request only), which sets 8 hours or 3 calendar days.
    case classify(direct: Bool)
    /// The requested centre: the information, in full.
    case answer(String)
    /// The requested centre: part of the information.
    case partialAnswer(String)
    /// The requested centre: a refusal, whole or partial, on grounds of Art. 6(1), with reasons.
    case refuse(whole: Bool, grounds: [RefusalGround], reasons: String)
    /// The requested centre: a question back to the requester; the clock pauses.
    case askClarification(String)
    /// The requester: the clarification asked for; the clock resumes.
    case giveClarification(String)
    /// The requested centre: a delay for judicial authorisation, its reason and expected end
    /// (Unix milliseconds); announced again to update it.
    case announceDelay(reason: String, until: UInt64)
    /// The requester: the request is closed.
    case close

    /// The thread step it writes.
    var step: RequestEntry.Step {
        switch self {
        case .classify: .classification
        case .answer: .answer
        case .partialAnswer: .partialAnswer
        case .refuse: .refusal
        case .askClarification: .clarificationAsked
        case .giveClarification: .clarificationGiven
        case .announceDelay: .delay
        case .close: .close
        }
    }
}

extension Replica {
    /// Sends an information request to another centre and returns its id. Without `group`, the
    /// request goes in the smallest group holding both centres; every subject must be a record
    /// held here; the form must satisfy ``RequestForm/check(acceptedLanguages:)`` with the
    /// requested centre's languages from the topology.
    public func sendRequest(to requested: NodeID, form: RequestForm, group: GroupID? = nil, auditedAs actor: AuditActor) throws -> RecordID {
        let me = configuration.nodeID
        let roster = configuration.roster
        guard requested != me else { throw ReplicaError(.invalid, "a request goes to another centre, not to this node \(me)", field: "to") }
        guard roster.signingKeys[requested] != nil || roster.groups.values.contains(where: { $0.contains(requested) }) else {
            throw ReplicaError(.invalid, "\(requested) is not a node of the topology", field: "to")
        }
        do throws(RecordValidationError) {
            try form.check(acceptedLanguages: roster.acceptedLanguages(of: requested))
        } catch {
            throw ReplicaError(.invalid, error.reason, field: error.field)
        }
        let chosen: GroupID
        if let group {
            chosen = group
        } else {
            let shared = roster.groups.filter { $0.value.contains(me) && $0.value.contains(requested) }
            guard let smallest = shared.min(by: { ($0.value.count, $0.key) < ($1.value.count, $1.key) }) else {
                throw ReplicaError(.invalid, "no sharing group holds both \(me) and \(requested); the topology must put them in one", field: "to")
            }
            chosen = smallest.key
        }
        guard roster.isMember(requested, of: chosen) else {
            throw ReplicaError(.invalid, "\(requested) is not a member of group \(chosen), so it would never receive the request", field: "group")
        }
        for subject in form.subjects {
            guard let id = RecordID(subject), case .live = try lookup(id) else {
                throw ReplicaError(.invalid, "subject \(subject) is not a record held at this node", field: "subjects")
            }
        }
        return try create(.request, in: chosen, form.writes(from: me, to: requested), auditedAs: actor)
    }

    /// Takes `action` in the thread of request `id` and returns the entry's id. Refused in one
    /// sentence when this centre is not the one the step belongs to, when the request is closed,
    /// or when the step does not fit where the thread stands.
    @discardableResult
    public func act(on id: RecordID, _ action: RequestAction, auditedAs actor: AuditActor) throws -> RecordID {
        let request = try heldRequest(id)
        let me = configuration.nodeID
        let step = action.step
        switch step.party {
        case .requester where me != request.from:
            throw ReplicaError(.notAllowed, "request \(id) was sent by \(request.from); only \(request.from) \(Self.phrase(step)) it")
        case .requested where me != request.to:
            throw ReplicaError(.notAllowed, "request \(id) was sent to \(request.to); only \(request.to) \(Self.phrase(step)) it")
        default: break
        }
        let thread = request.thread
        guard thread.state != .closed else { throw ReplicaError(.notAllowed, "request \(id) is closed; nothing in it changes any more") }
        func text(_ value: String, _ field: String, _ what: String) throws -> String {
            guard !value.allSatisfy(\.isWhitespace) else { throw ReplicaError(.invalid, "\(field) is required: \(what)", field: field) }
            return value
        }
        let final = thread.state == .answered || thread.state == .refused
        var writes = [FieldWrite("record_id", id.description), FieldWrite("type", step.rawValue)]
        var legacy: [FieldWrite] = []
        switch action {
        case .classify(let direct):
            guard request.urgency == "urgent" else {
                throw ReplicaError(.invalid, "request \(id) is \(request.urgency); only an urgent request is classified, a standard one has 7 days")
            }
            guard let receivedAt = request.receivedAt else { throw ReplicaError(.invalid, "request \(id) has not been received here yet") }
            guard !final else { throw ReplicaError(.invalid, "request \(id) is already \(thread.state.rawValue)") }
            let urgency = direct ? "urgent_direct" : "urgent_indirect"
            let due = RequestDeadline.due(urgency: urgency, receivedAt: receivedAt, timeZone: configuration.timeZone)!
            writes += [FieldWrite("access", direct ? "direct" : "indirect"), FieldWrite("due_at", Timestamps.iso8601(milliseconds: due))]
        case .answer(let answer):
            guard !final else { throw ReplicaError(.invalid, "request \(id) is already \(thread.state.rawValue)") }
            writes.append(FieldWrite("text", try text(answer, "text", "the information given")))
            legacy = [FieldWrite("answer", answer), FieldWrite("status", "answered")]
        case .partialAnswer(let answer):
            guard !final else { throw ReplicaError(.invalid, "request \(id) is already \(thread.state.rawValue)") }
            writes.append(FieldWrite("text", try text(answer, "text", "the part of the information given")))
        case .refuse(let whole, let grounds, let reasons):
            guard !final else { throw ReplicaError(.invalid, "request \(id) is already \(thread.state.rawValue)") }
            guard !grounds.isEmpty, Set(grounds).count == grounds.count else {
                throw ReplicaError(.invalid, "a refusal needs one or more distinct grounds of Art. 6(1), from a to h", field: "grounds")
            }
            let letters = grounds.sorted().map(\.rawValue).joined(separator: ",")
            writes += [
                FieldWrite("extent", whole ? "whole" : "partial"), FieldWrite("grounds", letters),
                FieldWrite("text", try text(reasons, "reasons", "the reasons for the refusal (Art. 6(3))")),
            ]
            if whole { legacy = [FieldWrite("answer", "refused on grounds \(letters): \(reasons)"), FieldWrite("status", "answered")] }
        case .askClarification(let question):
            guard !final else { throw ReplicaError(.invalid, "request \(id) is already \(thread.state.rawValue)") }
            guard thread.pausedSince == nil else { throw ReplicaError(.invalid, "request \(id) already waits for a clarification") }
            writes.append(FieldWrite("text", try text(question, "text", "what needs clarifying")))
        case .giveClarification(let reply):
            guard thread.pausedSince != nil else { throw ReplicaError(.invalid, "request \(id) waits for no clarification") }
            writes.append(FieldWrite("text", try text(reply, "text", "the clarification")))
        case .announceDelay(let reason, let until):
            guard !final else { throw ReplicaError(.invalid, "request \(id) is already \(thread.state.rawValue)") }
            guard until > configuration.wallClock() else {
                throw ReplicaError(.invalid, "the delay's expected end must be in the future", field: "until")
            }
            writes += [
                FieldWrite("text", try text(reason, "reason", "why judicial authorisation delays the answer (Art. 5(2))")),
                FieldWrite("until", Timestamps.iso8601(milliseconds: until)),
            ]
        case .close:
            legacy = [FieldWrite("status", "closed")]
        }
        var entryID: RecordID?
        try transact(in: request.group, auditedAs: actor) { transaction in
            if !legacy.isEmpty { transaction.update(id, legacy) }
            entryID = transaction.append(.requestEntry, writes)
        }
        return entryID!
    }

    /// What the centre a step belongs to does, for a refusal's sentence.
    private static func phrase(_ step: RequestEntry.Step) -> String {
        switch step {
        case .classification: "classifies"
        case .answer, .partialAnswer: "answers"
        case .refusal: "refuses"
        case .clarificationAsked: "asks clarification of"
        case .clarificationGiven: "clarifies"
        case .delay: "delays"
        case .receipt: "notes receipt of"
        case .close: "closes"
        }
    }

    /// The request `id`, refused in one sentence when it is not a live request to or from here.
    func heldRequest(_ id: RecordID) throws -> RequestSummary {
        switch try lookup(id) {
        case .live(let record) where record.kind == .request:
            guard let summary = try requests(id: id).first else {
                throw ReplicaError(.notAllowed, "request \(id) is neither to nor from this centre")
            }
            return summary
        case .live(let record):
            throw ReplicaError(.invalid, "\(id) is a \(record.kind.rawValue), not a request")
        case .erased:
            throw ReplicaError(.erased, "request \(id) has been erased")
        case .unknown:
            throw ReplicaError(.notFound, "no record has id \(id)")
        }
    }
}
