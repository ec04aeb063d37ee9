import Foundation
import GRDB
import Records
import SyncCore

/// Which requests to list, seen from this node.
public enum RequestDirection: Sendable {
    /// Requests this node received.
    case incoming
    /// Requests this node sent.
    case outgoing
}

/// An information request as this node holds it.
public struct RequestSummary: Equatable, Sendable {
    /// The request's id.
    public let id: String
    /// Its sharing group.
    public let group: String
    /// The requesting node.
    public let from: String
    /// The requested node.
    public let to: String
    /// `urgent_direct`, `urgent_indirect` or `standard`.
    public let urgency: String
    /// `open`, `acknowledged`, `answered` or `closed`.
    public let status: String
    /// The question.
    public let question: String
    /// The answer, once given.
    public let answer: String?
    /// The records the request is about.
    public let subjectIDs: [String]
    /// When it reached the requested node (Unix milliseconds), once known here.
    public let receivedAt: UInt64?
    /// When the answer is due (Unix milliseconds), once known here.
    public let dueAt: UInt64?
    /// When it was created (ISO 8601).
    public let createdAt: String
}

extension Replica {
    /// Notes the receipt time of requests addressed to this node, in the transaction that
    /// applies them: the deadline runs from this moment.
    static func recordRequestReceipts(in leaves: [BatchLeaf], nodeID: String, now: UInt64, db: Database) throws {
        for case .full(let change) in leaves where change.kind == RecordKind.request.rawValue {
            guard case .create(let writes) = change.operation, writes.contains(FieldWrite("to_node", nodeID)) else { continue }
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO request_receipt (request_id, received_at) VALUES (?, ?)")
                .execute(arguments: [change.recordID.description, Int64(now)])
        }
    }

    /// Acknowledges every request received but not yet acknowledged: sets its status to
    /// `acknowledged` with the receipt time and the due time, so the requesting node sees the
    /// deadline too. Returns how many it acknowledged.
    @discardableResult
    public func acknowledgeReceivedRequests() throws -> Int {
        let pending = try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT request_id, received_at FROM request_receipt WHERE acknowledged = 0")
        }
        var acknowledged = 0
        for row in pending {
            let requestID: String = row["request_id"]
            let receivedAt = UInt64(row["received_at"] as Int64)
            let markDone: (Database) throws -> Void = { db in
                try db.execute(sql: "UPDATE request_receipt SET acknowledged = 1 WHERE request_id = ?", arguments: [requestID])
            }
            let found = try writer.read { db in
                try Row.fetchOne(db, sql: "SELECT sharing_group, urgency FROM request WHERE id = ?", arguments: [requestID])
            }
            guard let id = RecordID(requestID), let found,
                let due = RequestDeadline.due(urgency: found["urgency"], receivedAt: receivedAt, timeZone: configuration.timeZone)
            else {
                // Erased since, or not a request this node can answer: nothing to acknowledge.
                try writer.write(markDone)
                continue
            }
            try transact(in: found["sharing_group"], auditedAs: nil, byNode: true, also: markDone) { transaction in
                transaction.update(
                    id,
                    [
                        FieldWrite("status", "acknowledged"), FieldWrite("received_at", Timestamps.iso8601(milliseconds: receivedAt)),
                        FieldWrite("due_at", Timestamps.iso8601(milliseconds: due)),
                    ]
                )
            }
            acknowledged += 1
        }
        return acknowledged
    }

    /// Requests this node sent or received, or only one direction, or only the one with `id`;
    /// newest first.
    public func requests(_ direction: RequestDirection? = nil, id: RecordID? = nil) throws -> [RequestSummary] {
        let nodeID = configuration.nodeID
        return try writer.read { db in
            var filter: String
            switch direction {
            case .incoming: filter = "to_node = ?1"
            case .outgoing: filter = "from_node = ?1"
            case nil: filter = "(to_node = ?1 OR from_node = ?1)"
            }
            if id != nil { filter += " AND request.id = ?2" }
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT request.*, request_receipt.received_at AS receipt FROM request
                    LEFT JOIN request_receipt ON request_receipt.request_id = request.id
                    WHERE \(filter) ORDER BY request.id DESC
                    """,
                arguments: StatementArguments([nodeID] + (id.map { [$0.description] } ?? []))
            ).map { row in
                let receipt: Int64? = row["receipt"]
                let receivedAt = (row["received_at"] as String?).flatMap(Timestamps.milliseconds(fromISO8601:)) ?? receipt.map(UInt64.init)
                var dueAt = (row["due_at"] as String?).flatMap(Timestamps.milliseconds(fromISO8601:))
                if dueAt == nil, let receivedAt {
                    dueAt = RequestDeadline.due(urgency: row["urgency"] ?? "", receivedAt: receivedAt, timeZone: configuration.timeZone)
                }
                let subjects: String = row["subject_ids"] ?? ""
                return RequestSummary(
                    id: row["id"], group: row["sharing_group"], from: row["from_node"] ?? "", to: row["to_node"] ?? "",
                    urgency: row["urgency"] ?? "", status: row["status"] ?? "open", question: row["question"] ?? "",
                    answer: row["answer"], subjectIDs: subjects.split(separator: ",").map(String.init),
                    receivedAt: receivedAt, dueAt: dueAt, createdAt: row["created_at"]
                )
            }
        }
    }
}
