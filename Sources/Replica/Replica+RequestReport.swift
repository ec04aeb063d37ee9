import Foundation
import GRDB
import Records
import SyncCore

extension Replica {
    /// This centre's report of Art. 18 of Directive (EU) 2023/977 for `year`, from the requests
    /// it holds and the counted facts of those erased since; logged as a report (it holds no
    /// personal data, but who reads what is always logged).
    public func requestReport(year: Int, auditedAs actor: AuditActor) throws -> RequestReport {
        let me = configuration.nodeID
        let facts = try writer.read { db -> [RequestFact] in
            let live = try Self.requestSummaries(db, where: "(request.to_node = ?1 OR request.from_node = ?1)", arguments: [me])
            var facts = live.map(RequestFact.init)
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT * FROM request_statistic WHERE (to_node = ?1 OR from_node = ?1)
                    AND NOT EXISTS (SELECT 1 FROM request WHERE request.id = request_statistic.request_id)
                    """,
                arguments: [me])
            while let row = try rows.next() { facts.append(Self.requestFact(row)) }
            return facts
        }
        let roster = configuration.roster
        let report = RequestReport(year: year, node: me, facts: facts, timeZone: configuration.timeZone, country: roster.country(of:))
        try recordAudit(AuditEvent(user: actor.user, action: "report", purpose: actor.purpose, detail: "requests of \(year)"))
        return report
    }

    private static func requestFact(_ row: Row) -> RequestFact {
        func time(_ column: String) -> UInt64? { (row[column] as Int64?).map(UInt64.init) }
        let grounds: String = row["grounds"]
        let outcome: String = row["outcome"]
        return RequestFact(
            from: NodeID(row["from_node"] as String), to: NodeID(row["to_node"] as String), urgency: row["urgency"],
            createdAt: time("created_at") ?? 0, receivedAt: time("received_at"), dueAt: time("due_at"), respondedAt: time("responded_at"),
            outcome: RequestState(rawValue: outcome), grounds: grounds.isEmpty ? [] : RefusalGround.parseList(grounds) ?? [],
            delayedAt: time("delayed_at"), pausedFor: time("paused_for") ?? 0)
    }
}
