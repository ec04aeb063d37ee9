import Foundation
import GRDB
import Records
import SyncCore

/// A request this centre must act on, with the colleague who holds it: an incoming request not
/// yet answered, refused or closed (one waiting for the requester's clarification is not this
/// centre's to act on), or an outgoing one whose requested centre asked for a clarification.
public struct HeldRequest: Equatable, Sendable {
    /// The request.
    public let request: RequestSummary
    /// The local user who took it or was handed it; nil while nobody has.
    public let holder: String?
    /// Since when (Unix milliseconds).
    public let heldSince: UInt64?
    /// Whether its answer falls due within the handover's window (or is overdue).
    public let dueSoon: Bool
}

/// Who at this centre holds each request it must act on. Holders are local, like users: they
/// are never replicated, and every change is audited (docs/AUDIT.md).
extension Replica {
    /// The hours ahead a shift handover looks by default.
    public static let handoverHours = 12

    /// Whether this centre must act next on `request`.
    static func awaitsThisCentre(_ request: RequestSummary, me: NodeID) -> Bool {
        switch request.thread.state {
        case .sent, .received, .delayed, .partiallyAnswered: request.to == me
        case .clarificationRequested: request.from == me
        case .answered, .refused, .closed: false
        }
    }

    /// The holder of each request that has one, by request id.
    func requestHolders() throws -> [String: (holder: String, since: UInt64)] {
        try writer.read { db in
            var holders: [String: (String, UInt64)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT request_id, holder, since FROM request_holder") {
                holders[row["request_id"]] = (row["holder"], UInt64(row["since"] as Int64))
            }
            return holders
        }
    }

    /// The holder of one request, if any.
    public func holder(of id: RecordID) throws -> (holder: String, since: UInt64)? {
        try writer.read { db in
            try Row.fetchOne(db, sql: "SELECT holder, since FROM request_holder WHERE request_id = ?", arguments: [id.description]).map {
                ($0["holder"], UInt64($0["since"] as Int64))
            }
        }
    }

    /// The caller takes request `id`, from whoever held it; refused unless this centre must act
    /// on it. Audited as `request_take`.
    public func takeRequest(_ id: RecordID, auditedAs actor: AuditActor) throws {
        try assignRequests([id], to: actor.user, action: "request_take", auditedAs: actor)
    }

    /// The caller hands request `id` to `colleague`, an enabled user here. Audited as
    /// `request_hand`.
    public func handRequest(_ id: RecordID, to colleague: String, auditedAs actor: AuditActor) throws {
        try assignRequests([id], to: colleague, action: "request_hand", auditedAs: actor)
    }

    /// The incoming operator of a shift accepts `ids`, which become theirs. Audited as one
    /// `handover_accept` naming every request.
    public func acceptHandover(_ ids: [RecordID], auditedAs actor: AuditActor) throws {
        guard !ids.isEmpty else { throw ReplicaError(.invalid, "name at least one request to accept", field: "ids") }
        try assignRequests(ids, to: actor.user, action: "handover_accept", auditedAs: actor)
    }

    private func assignRequests(_ ids: [RecordID], to holder: String, action: String, auditedAs actor: AuditActor) throws {
        _ = try actingUser(named: holder, requiring: .staff)
        let me = configuration.nodeID
        for id in ids {
            let request = try heldRequest(id)
            guard Self.awaitsThisCentre(request, me: me) else {
                throw ReplicaError(.invalid, "request \(id) is \(request.status) and waits for nothing from this centre", field: "ids")
            }
        }
        let now = configuration.wallClock()
        try writer.write { db in
            let previous = try ids.compactMap { id in
                try String.fetchOne(db, sql: "SELECT holder FROM request_holder WHERE request_id = ?", arguments: [id.description])
            }
            for id in ids {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO request_holder (request_id, holder, since) VALUES (?, ?, ?)",
                    arguments: [id.description, holder, Int64(now)])
            }
            let from = previous.isEmpty ? "" : " from \(Set(previous).sorted().joined(separator: ", "))"
            try appendAudit(
                AuditEvent(user: actor.user, action: action, recordIDs: ids.map(\.description), purpose: actor.purpose, detail: "to \(holder)\(from)"),
                now: now, db: db)
        }
    }

    /// The requests this centre must act on, each with its holder, most urgent first (overdue,
    /// then by due time, then the newest); `dueSoon` when due within `hours`. Logged as a
    /// `list` of them (detail `handover`).
    public func handover(withinHours hours: Int = handoverHours, auditedAs actor: AuditActor) throws -> (items: [HeldRequest], now: UInt64) {
        guard (1...168).contains(hours) else { throw ReplicaError(.invalid, "a handover looks 1 to 168 hours ahead, not \(hours)", field: "hours") }
        try requirePurpose(of: actor, for: "list")
        try acknowledgeReceivedRequests()
        let items = try heldRequests(withinHours: hours)
        try recordAudit(AuditEvent(user: actor.user, action: "list", recordIDs: items.items.map(\.request.id), purpose: actor.purpose, detail: "handover"))
        return items
    }

    /// How many urgent requests to this centre nobody here holds: the dashboards' highlight.
    /// Holds no personal data, so it is not logged.
    public func unheldUrgentCount() throws -> Int {
        try heldRequests(withinHours: Self.handoverHours).items.filter {
            $0.holder == nil && $0.request.thread.urgencyClass != "standard" && $0.request.to == configuration.nodeID
        }.count
    }

    /// Reads only: the count polled by dashboards writes nothing (the node's heartbeat
    /// acknowledges received requests), the handover acknowledges first, as listings do.
    private func heldRequests(withinHours hours: Int) throws -> (items: [HeldRequest], now: UInt64) {
        let me = configuration.nodeID
        let now = configuration.wallClock()
        let holders = try requestHolders()
        let horizon = now + UInt64(hours) * 3_600_000
        let items = try requests().filter { Self.awaitsThisCentre($0, me: me) }.map { request in
            let held = holders[request.id]
            return HeldRequest(request: request, holder: held?.holder, heldSince: held?.since, dueSoon: request.dueAt.map { $0 <= horizon } ?? false)
        }
        let ordered = items.sorted { left, right in
            let (l, r) = (left.request.thread.isOverdue(now: now), right.request.thread.isOverdue(now: now))
            if l != r { return l }
            switch (left.request.dueAt, right.request.dueAt) {
            case (let a?, let b?) where a != b: return a < b
            case (.some, nil): return true
            case (nil, .some): return false
            default: return left.request.createdAt > right.request.createdAt
            }
        }
        return (ordered, now)
    }
}
