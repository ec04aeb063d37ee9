import GRDB
import Records
import SyncCore

/// A group member's request that this centre erase one of its records.
public struct ErasureRequestSummary: Equatable, Sendable {
    /// The erasure request's own id.
    public let id: String
    /// The record to erase, owned by this centre.
    public let recordID: String
    /// The record's kind.
    public let recordKind: RecordKind
    /// The centre that asks.
    public let from: NodeID
    /// The reason code, such as `court_order`.
    public let reason: String
    /// Free text from the asking centre, if any.
    public let text: String?
    /// The asking user, if the centre named one.
    public let author: String?
    /// When it was asked (ISO 8601).
    public let createdAt: String
}

extension Replica {
    /// Asks the owner of record `id` to erase it: only a record's origin erases it, so other
    /// members of its group ask. The request travels in the record's group; the owner's staff
    /// see it with `erasureRequests()` and act on it with `erase`, which removes it too.
    public func requestErasure(of id: RecordID, reason: String, text: String?, auditedAs actor: AuditActor) throws -> RecordID {
        // The caller's input is judged before the record's state.
        guard Self.isValidReasonCode(reason) else { throw Self.malformedReason }
        let record: RecordSnapshot
        switch try lookup(id) {
        case .live(let live): record = live
        case .erased: throw ReplicaError(.erased, "record \(id) has been erased")
        case .unknown: throw ReplicaError(.notFound, "no record has id \(id)")
        }
        guard try !kindSchema(record.kind).isAppendOnly else {
            throw ReplicaError(.invalid, "a \(record.kind.rawValue) goes with its record; ask for the erasure of the record it is about")
        }
        guard record.origin != configuration.nodeID else {
            throw ReplicaError(.invalid, "record \(id) is this centre's own; erase it with `pccc record erase`")
        }
        var writes = [FieldWrite("record_id", id.description), FieldWrite("reason", reason), FieldWrite("author", actor.user)]
        if let text, !text.isEmpty { writes.append(FieldWrite("text", text)) }
        return try append(.erasureRequest, writes, auditedAs: actor)
    }

    /// The erasure requests other centres made of this centre's live records, oldest first.
    /// Reading them discloses no personal data of the records, so it is not a consultation.
    public func erasureRequests() throws -> [ErasureRequestSummary] {
        let me = configuration.nodeID
        return try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM erasure_request ORDER BY id").compactMap { row in
                let recordID: String = row["record_id"] ?? ""
                guard let target = RecordID(recordID), let held = try? locate(target, db: db),
                    try NodeID.fetchOne(db, sql: "SELECT origin FROM \"\(held.kind.tableName)\" WHERE id = ?", arguments: [recordID]) == me
                else { return nil }
                return ErasureRequestSummary(
                    id: row["id"], recordID: recordID, recordKind: held.kind.kind, from: row["origin"], reason: row["reason"] ?? "",
                    text: row["text"], author: row["author"], createdAt: row["created_at"]
                )
            }
        }
    }
}
