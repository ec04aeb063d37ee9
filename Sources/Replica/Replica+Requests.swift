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
    public let group: GroupID
    /// The requesting node.
    public let from: NodeID
    /// The requested node.
    public let to: NodeID
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
    /// Only a create that merge accepted counts: the row must be held, from the batch's origin.
    static func recordRequestReceipts(in leaves: [BatchLeaf], origin: NodeID, nodeID: NodeID, now: UInt64, db: Database) throws {
        for case .full(let change) in leaves where change.kind == RecordKind.request.rawValue {
            guard case .create(let writes) = change.operation, writes.contains(FieldWrite("to_node", nodeID.rawValue)) else { continue }
            try db.cachedStatement(
                sql: """
                    INSERT OR IGNORE INTO request_receipt (request_id, received_at)
                    SELECT id, ?1 FROM request WHERE id = ?2 AND origin = ?3 AND to_node = ?4
                    """
            ).execute(arguments: [Int64(now), change.recordID.description, origin, nodeID])
        }
    }

    /// Acknowledges every request received but not yet acknowledged: sets its status to
    /// `acknowledged` with the receipt time and the due time, so the requesting node sees the
    /// deadline too. All the requests of one group are acknowledged in one batch (of at most
    /// ``acknowledgementsPerBatch``), so however many requests a peer sends, this node answers
    /// with a bounded number of batches. Returns how many it acknowledged.
    @discardableResult
    public func acknowledgeReceivedRequests() throws -> Int {
        let pending = try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT request_receipt.request_id, request_receipt.received_at, request.sharing_group, request.urgency
                    FROM request_receipt LEFT JOIN request ON request.id = request_receipt.request_id
                    WHERE request_receipt.acknowledged = 0 ORDER BY request_receipt.received_at, request_receipt.request_id
                    """
            )
        }
        var byGroup: [GroupID: [(id: RecordID, writes: [FieldWrite])]] = [:]
        var nothingToDo: [String] = []
        for row in pending {
            let requestID: String = row["request_id"]
            let receivedAt = UInt64(row["received_at"] as Int64)
            guard let id = RecordID(requestID), let group: GroupID = row["sharing_group"],
                let due = RequestDeadline.due(urgency: row["urgency"] ?? "", receivedAt: receivedAt, timeZone: configuration.timeZone)
            else {
                // Erased since, or not a request this node can answer: nothing to acknowledge.
                nothingToDo.append(requestID)
                continue
            }
            let writes = [
                FieldWrite("status", "acknowledged"), FieldWrite("received_at", Timestamps.iso8601(milliseconds: receivedAt)),
                FieldWrite("due_at", Timestamps.iso8601(milliseconds: due)),
            ]
            byGroup[group, default: []].append((id, writes))
        }
        if !nothingToDo.isEmpty {
            try writer.write { db in try Self.markAcknowledged(nothingToDo, db: db) }
        }
        var acknowledged = 0
        for group in byGroup.keys.sorted() {
            let requests = byGroup[group]!
            for start in stride(from: 0, to: requests.count, by: Self.acknowledgementsPerBatch) {
                let chunk = requests[start..<min(start + Self.acknowledgementsPerBatch, requests.count)]
                let ids = chunk.map(\.id.description)
                // Another process (a `pccc request list` while the node serves) may have
                // acknowledged some since they were read: then this batch is not made at all,
                // and what is still pending is acknowledged at the next call.
                let markDone: (Database) throws -> Void = { db in
                    guard try Self.stillPending(ids, db: db) else { throw AcknowledgedMeanwhile() }
                    try Self.markAcknowledged(ids, db: db)
                }
                do {
                    try transact(in: group, auditedAs: nil, byNode: true, also: markDone) { transaction in
                        for request in chunk { transaction.update(request.id, request.writes) }
                    }
                } catch is AcknowledgedMeanwhile {
                    continue
                }
                acknowledged += chunk.count
            }
        }
        return acknowledged
    }

    /// The most requests one acknowledgement batch covers, well inside the batch limits.
    static let acknowledgementsPerBatch = 500

    /// Thrown inside an acknowledgement's transaction to roll it back: someone else did it.
    private struct AcknowledgedMeanwhile: Error {}

    /// Whether none of the requests has been acknowledged yet.
    private static func stillPending(_ requestIDs: [String], db: Database) throws -> Bool {
        let statement = try db.cachedStatement(sql: "SELECT acknowledged FROM request_receipt WHERE request_id = ?")
        for requestID in requestIDs where try Int.fetchOne(statement, arguments: [requestID]) != 0 {
            return false
        }
        return true
    }

    private static func markAcknowledged(_ requestIDs: [String], db: Database) throws {
        for requestID in requestIDs {
            try db.execute(sql: "UPDATE request_receipt SET acknowledged = 1 WHERE request_id = ?", arguments: [requestID])
        }
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

extension Replica {
    /// Sends an information request to another centre and returns its id. Without `group`, the
    /// request goes in the smallest group holding both centres; every subject must be a record
    /// held here.
    public func sendRequest(
        to requested: NodeID,
        urgency: String,
        subjects: [String],
        question: String,
        group: GroupID? = nil,
        auditedAs actor: AuditActor
    ) throws -> RecordID {
        let me = configuration.nodeID
        let roster = configuration.roster
        guard requested != me else { throw ReplicaError(.invalid, "a request goes to another centre, not to this node \(me)", field: "to") }
        guard roster.signingKeys[requested] != nil || roster.groups.values.contains(where: { $0.contains(requested) }) else {
            throw ReplicaError(.invalid, "\(requested) is not a node of the topology", field: "to")
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
        for subject in subjects {
            guard let id = RecordID(subject), case .live = try lookup(id) else {
                throw ReplicaError(.invalid, "subject \(subject) is not a record held at this node", field: "subjects")
            }
        }
        var writes = [
            FieldWrite("from_node", me.rawValue), FieldWrite("to_node", requested.rawValue), FieldWrite("urgency", urgency),
            FieldWrite("question", question), FieldWrite("status", "open"),
        ]
        if !subjects.isEmpty { writes.append(FieldWrite("subject_ids", subjects.joined(separator: ","))) }
        return try create(.request, in: chosen, writes, auditedAs: actor)
    }

    /// Answers a request this centre received.
    public func answerRequest(_ id: RecordID, text: String, auditedAs actor: AuditActor) throws {
        let request = try heldRequest(id)
        guard request.to == configuration.nodeID else {
            throw ReplicaError(.notAllowed, "request \(id) was sent to \(request.to); only \(request.to) answers it")
        }
        guard request.status != "closed" else { throw ReplicaError(.invalid, "request \(id) is closed") }
        try update(id, [FieldWrite("answer", text), FieldWrite("status", "answered")], auditedAs: actor)
    }

    /// Closes a request this centre sent.
    public func closeRequest(_ id: RecordID, auditedAs actor: AuditActor) throws {
        let request = try heldRequest(id)
        guard request.from == configuration.nodeID else {
            throw ReplicaError(.notAllowed, "request \(id) was sent by \(request.from); only \(request.from) closes it")
        }
        try update(id, [FieldWrite("status", "closed")], auditedAs: actor)
    }

    private func heldRequest(_ id: RecordID) throws -> RequestSummary {
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
