import Records
import SyncCore

/// A record as a user sees it: live with its hits and notes, or only its tombstone.
public enum ConsultedRecord: Sendable {
    /// The merged record, the hits and notes about it, oldest first, and the records linked to it.
    case live(RecordSnapshot, attachments: [RecordSnapshot], links: [LinkedRecord])
    /// All that remains of an erased record.
    case erased(TombstoneSnapshot)
}

// Reads by a local user: each logs its audit entry before it returns anything, so the command
// line and the HTTP API cannot show data without logging it.
extension Replica {
    /// One record with its hits and notes, logged as a consultation; an unknown id is refused
    /// and logs nothing.
    public func consult(_ id: RecordID, auditedAs actor: AuditActor) throws -> ConsultedRecord {
        let consulted: ConsultedRecord
        switch try lookup(id) {
        case .unknown: throw ReplicaError(.notFound, "no record has id \(id)")
        case .erased(let tombstone): consulted = .erased(tombstone)
        case .live(let record): consulted = .live(record, attachments: try attachments(of: id), links: try linkedRecords(of: id))
        }
        // The records linked to it are shown by their labels: they are consulted too.
        var shown = [id.description]
        if case .live(_, _, let links) = consulted { shown += links.map(\.otherID.description) }
        try recordAudit(AuditEvent(user: actor.user, action: "consult", recordIDs: shown, purpose: actor.purpose))
        return consulted
    }

    /// `search`, logged with the query and every record found.
    public func search(_ text: String, kind: RecordKind?, limit: Int, followLinks: Bool = false, auditedAs actor: AuditActor) throws -> [SearchHit] {
        let hits = try search(text, kind: kind, limit: limit, followLinks: followLinks)
        var detail = kind.map { "\(text) (kind \($0.rawValue))" } ?? text
        if followLinks { detail += ", following links" }
        try recordAudit(
            AuditEvent(user: actor.user, action: "search", recordIDs: hits.flatMap { [$0.id] + $0.sameAs }, purpose: actor.purpose, detail: detail))
        return hits
    }

    /// `list`, logged with every record listed; `detail` says which filters were asked for.
    public func list(_ filter: RecordFilter, auditedAs actor: AuditActor, detail: String) throws -> [RecordSummary] {
        let records = try list(filter)
        try recordAudit(
            AuditEvent(user: actor.user, action: "list", recordIDs: records.flatMap { [$0.id] + $0.sameAs }, purpose: actor.purpose, detail: detail))
        return records
    }

    /// Every live record of a group this node belongs to, logged as an export in `format`.
    public func export(group: GroupID, format: String, auditedAs actor: AuditActor) throws -> [RecordSnapshot] {
        guard configuration.roster.isMember(configuration.nodeID, of: group) else {
            throw ReplicaError(.notMember, "node \(configuration.nodeID) is not a member of group \(group), so it holds nothing of it")
        }
        let records = try records(inGroup: group)
        try recordAudit(
            AuditEvent(
                user: actor.user, action: "export", recordIDs: records.map(\.id.description), purpose: actor.purpose,
                detail: "group \(group) as \(format), \(records.count) records"
            )
        )
        return records
    }

    /// Requests of this node after acknowledging any just received, only the overdue ones
    /// when asked, logged as a listing; also returns the time they were judged at.
    public func listRequests(
        _ direction: RequestDirection?,
        overdueOnly: Bool,
        auditedAs actor: AuditActor,
        detail: String
    ) throws -> (requests: [RequestSummary], now: UInt64) {
        try requirePurpose(of: actor, for: "list")
        try acknowledgeReceivedRequests()
        let now = configuration.wallClock()
        let requests = try requests(direction).filter { !overdueOnly || $0.thread.isOverdue(now: now) }
        try recordAudit(AuditEvent(user: actor.user, action: "list", recordIDs: requests.map(\.id), purpose: actor.purpose, detail: detail))
        return (requests, now)
    }

    /// One request to or from this node with its thread, after acknowledging any just
    /// received, logged as a consultation; also returns the time it was judged at.
    public func consultRequest(
        _ id: RecordID, auditedAs actor: AuditActor
    ) throws -> (
        request: RequestSummary, now: UInt64, subjectMatches: [SubjectMatches]
    ) {
        try requirePurpose(of: actor, for: "consult")
        try acknowledgeReceivedRequests()
        let request = try heldRequest(id)
        // What this node holds that may be the request's subjects: shown with it, so logged with it.
        let matches = try writer.read { db in try subjectMatches(ofRequest: id.description, db: db) }
        let shown = matches.flatMap { $0.matches.map(\.id.description) }
        try recordAudit(AuditEvent(user: actor.user, action: "consult", recordIDs: [id.description] + shown, purpose: actor.purpose))
        return (request, configuration.wallClock(), matches)
    }

    /// `auditEntries`, itself logged: reading the log is a consultation of personal data.
    public func auditEntries(user: String?, since: UInt64?, limit: Int, auditedAs actor: AuditActor, detail: String) throws -> [AuditEntry] {
        try recordAudit(AuditEvent(user: actor.user, action: "audit_list", purpose: actor.purpose, detail: detail))
        return try auditEntries(user: user, since: since, limit: limit)
    }
}
