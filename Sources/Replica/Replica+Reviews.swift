import Foundation
import GRDB
import Records
import SyncCore

/// A record of this node due for review (Directive (EU) 2016/680 Art. 5; Art. 16(3)-(4) of
/// Directive (EU) 2023/977): its owner's staff keep it until a date, with a reason, or erase it.
public struct ReviewDue: Sendable, Equatable {
    /// Why the record is reviewed at that date.
    public enum Basis: String, Sendable {
        /// Its kind's period after its creation.
        case created
        /// Its request's period after the request was closed (the request itself, or a record
        /// it concerned).
        case requestClosed = "request_closed"
        /// The date a previous review kept it until.
        case kept
    }

    /// The record's id.
    public let id: String
    /// Its kind.
    public let kind: RecordKind
    /// Its sharing group.
    public let group: GroupID
    /// Its main values, as listings show them.
    public let label: String
    /// When it is due for review (Unix milliseconds).
    public let reviewAt: UInt64
    /// Why then.
    public let basis: Basis
    /// The reason the last review kept it, if one did.
    public let keptReason: String?
}

extension Replica {
    /// The erasure reason of a record erased at its review.
    public static let retentionExpired = "retention_expired"

    /// Records this node owns whose review date is at or before `now`, oldest date first
    /// (``reviewDates(now:)``).
    public func reviewsDue(now: UInt64) throws -> [ReviewDue] {
        try reviewDates().filter { $0.reviewAt <= now }.sorted { ($0.reviewAt, $0.id) < ($1.reviewAt, $1.id) }
    }

    /// The review date of every record this node owns (docs/PROTOCOL.md §5.12): its kind's
    /// `review_months` after creation; a closed request its period after the closure, and each
    /// record it concerned by then at the latest; a kept record the date its owner's last
    /// review kept it until, unless a request about it closed since and brings that forward.
    func reviewDates() throws -> [ReviewDue] {
        let me = configuration.nodeID
        let schema = tables.schema
        let calendar = reviewCalendar
        return try writer.read { db in
            // The owner's last decision per record: by its stamp, the same at every node.
            var kept: [String: (until: UInt64, reason: String, decidedAt: UInt64)] = [:]
            let decisions = try Row.fetchCursor(
                db,
                sql: """
                    SELECT review.record_id, review.keep_until, review.reason, review.last_hlc FROM review
                    WHERE review.origin = ?1 ORDER BY review.last_hlc, review.id
                    """,
                arguments: [me])
            while let row = try decisions.next() {
                guard let day: String = row["keep_until"], let until = Self.startOfDay(day, calendar: calendar), let hlc: Int64 = row["last_hlc"]
                else { continue }
                kept[row["record_id"]] = (until, row["reason"] ?? "", HybridTimestamp(rawValue: UInt64(bitPattern: hlc)).milliseconds)
            }
            let closures = try closedRequestReviews(db)
            var dates: [ReviewDue] = []
            for kind in schema.kinds where !kind.isAppendOnly {
                let rows = try Row.fetchCursor(db, sql: "SELECT * FROM \"\(kind.tableName)\" WHERE origin = ?", arguments: [me])
                while let row = try rows.next() {
                    let id: String = row["id"]
                    var date: UInt64?
                    var basis = ReviewDue.Basis.created
                    if let months = kind.reviewMonths, let created = Timestamps.milliseconds(fromISO8601: row["created_at"]) {
                        date = Self.adding(months: months, to: created, calendar: calendar)
                    }
                    let closure = closures[id]
                    // A closed request is reviewed after its closure; a record it concerned by
                    // then at the latest.
                    if let closure, kind.kind == .request || closure.due < (date ?? .max) {
                        date = closure.due
                        basis = .requestClosed
                    }
                    var reason: String?
                    if let decision = kept[id] {
                        // A keep stands, unless a request about the record closed after it.
                        if let closure, closure.closedAt > decision.decidedAt, closure.due < decision.until {
                            date = closure.due
                        } else {
                            date = decision.until
                            basis = .kept
                            reason = decision.reason
                        }
                    }
                    guard let date else { continue }
                    var values: [String: String] = [:]
                    for field in kind.fields {
                        if let value: String = row[field.name] { values[field.name] = value }
                    }
                    dates.append(
                        ReviewDue(
                            id: id, kind: kind.kind, group: row["sharing_group"], label: kind.label(of: values, origin: me), reviewAt: date, basis: basis,
                            keptReason: reason))
                }
            }
            return dates
        }
    }

    /// The review date a closed request this node sent brings for itself and each record it
    /// concerned (its closure plus the request kind's period; the earliest when several), with
    /// the closure. Another centre's requests bring nothing forward here: they are its to review.
    func closedRequestReviews(_ db: Database) throws -> [String: (due: UInt64, closedAt: UInt64)] {
        guard let months = tables.schema[.request]?.reviewMonths else { return [:] }
        let closed = try Self.requestSummaries(
            db,
            where: """
                request.from_node = ?1 AND (request.status = 'closed'
                OR EXISTS (SELECT 1 FROM request_entry WHERE request_entry.record_id = request.id AND request_entry.type = 'close'))
                """,
            arguments: [configuration.nodeID])
        var closures: [String: (due: UInt64, closedAt: UInt64)] = [:]
        for request in closed where request.thread.state == .closed {
            let closedAt = request.thread.entries.first { $0.step == .close }?.at ?? Timestamps.milliseconds(fromISO8601: request.createdAt) ?? 0
            let due = Self.adding(months: months, to: closedAt, calendar: reviewCalendar)
            for id in [request.id] + request.subjectIDs where due < closures[id]?.due ?? .max { closures[id] = (due, closedAt) }
        }
        return closures
    }

    /// The calendar review periods count months in: the node's time zone.
    var reviewCalendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = configuration.timeZone
        return calendar
    }

    static func adding(months: Int, to milliseconds: UInt64, calendar: Calendar) -> UInt64 {
        let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
        guard let later = calendar.date(byAdding: .month, value: months, to: date) else { return milliseconds }
        return UInt64((later.timeIntervalSince1970 * 1000).rounded())
    }

    /// `reviewsDue(now:)` at this moment, logged as a listing of the records found.
    public func listReviewsDue(auditedAs actor: AuditActor) throws -> (reviews: [ReviewDue], now: UInt64) {
        let now = configuration.wallClock()
        let due = try reviewsDue(now: now)
        try recordAudit(AuditEvent(user: actor.user, action: "list", recordIDs: due.map(\.id), purpose: actor.purpose, detail: "reviews due"))
        return (due, now)
    }

    /// How many records are due for review now: a count, with no personal data, so not logged.
    public func reviewsDueCount() throws -> Int {
        try reviewsDue(now: configuration.wallClock()).count
    }

    /// The owner's decision at a review to keep record `id` until `day` (`YYYY-MM-DD`), for
    /// `reason`: a `review` appended to the record, which replicates to its group. The date
    /// must lie after today and at most the kind's review period ahead (six months for a
    /// request and the records a closed request concerned).
    @discardableResult
    public func keep(_ id: RecordID, until day: String, reason: String, auditedAs actor: AuditActor) throws -> RecordID {
        let calendar = reviewCalendar
        guard let until = Self.startOfDay(day, calendar: calendar) else {
            throw ReplicaError(.invalid, "until must be a date written YYYY-MM-DD, not \(day)", field: "until")
        }
        guard !reason.allSatisfy(\.isWhitespace) else { throw ReplicaError(.invalid, "a review that keeps a record gives the reason", field: "reason") }
        let (kind, group, owner) = try writer.read { db -> (KindSchema, GroupID, NodeID?) in
            let (kind, group) = try locate(id, db: db)
            let owner = try NodeID.fetchOne(db, sql: "SELECT origin FROM \"\(kind.tableName)\" WHERE id = ?", arguments: [id.description])
            return (kind, group, owner)
        }
        guard owner == configuration.nodeID else {
            throw ReplicaError(.notAllowed, "record \(id) belongs to \(owner?.rawValue ?? "another centre"), whose staff review it")
        }
        guard !kind.isAppendOnly, let kindMonths = kind.reviewMonths ?? tables.schema[.request]?.reviewMonths else {
            throw ReplicaError(.invalid, "a \(kind.kind) is reviewed with the record it is about")
        }
        let now = configuration.wallClock()
        // A request, and a record a closed request concerned, is kept at most the request's period.
        let concerned = try writer.read { db in try closedRequestReviews(db)[id.description] != nil }
        let months = kind.kind == .request || concerned ? tables.schema[.request]?.reviewMonths ?? kindMonths : kindMonths
        let cap = calendar.date(byAdding: .month, value: months, to: Date(timeIntervalSince1970: Double(now) / 1000))!
        guard until > now else { throw ReplicaError(.invalid, "until must be a day after today", field: "until") }
        guard Double(until) / 1000 <= cap.timeIntervalSince1970 else {
            let last = Self.civilDay(cap, calendar: calendar)
            throw ReplicaError(.invalid, "a review keeps a \(kind.kind) for at most \(months) months, until \(last) at the latest", field: "until")
        }
        var entry: RecordID?
        try transact(in: group, auditedAs: actor) { transaction in
            entry = transaction.append(.review, [FieldWrite("record_id", id.description), FieldWrite("keep_until", day), FieldWrite("reason", reason)])
        }
        return entry!
    }

    /// The start of `day` (`YYYY-MM-DD`) in `calendar`'s time zone, or nil for no date.
    static func startOfDay(_ day: String, calendar: Calendar) -> UInt64? {
        let parts = day.split(separator: "-", omittingEmptySubsequences: false).compactMap { Int($0) }
        guard day.utf8.count == 10, parts.count == 3, let date = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])),
            civilDay(date, calendar: calendar) == day
        else { return nil }
        return UInt64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// `date` as `YYYY-MM-DD` in `calendar`'s time zone.
    static func civilDay(_ date: Date, calendar: Calendar) -> String {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }
}
