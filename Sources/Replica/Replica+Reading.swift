import Foundation
import GRDB
import Records
import SyncCore

extension Replica {
    /// Looks up one record by id.
    public func lookup(_ id: RecordID) throws -> RecordLookup {
        try writer.read { db in
            for kind in tables.schema.kinds {
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM \"\(kind.tableName)\" WHERE id = ?", arguments: [id.description]) else {
                    continue
                }
                return .live(Self.snapshot(kind: kind, id: id, row: row, provenance: try FieldClocks(storedIn: row).stamps))
            }
            if let row = try Row.fetchOne(
                db,
                sql: "SELECT kind, hlc, origin, reason FROM tombstone WHERE record_id = ? ORDER BY kind",
                arguments: [id.description]
            ) {
                let kind = RecordKind(row["kind"] as String)
                let hlc: Int64 = row["hlc"]
                return .erased(
                    TombstoneSnapshot(
                        kind: kind, id: id, stamp: WriteStamp(hlc: HybridTimestamp(rawValue: UInt64(hlc)), origin: row["origin"]),
                        reason: row["reason"]
                    )
                )
            }
            return .unknown
        }
    }

    /// The last seq held of every stream.
    public func streamPositions() throws -> [StreamPosition] {
        try writer.read(BatchStore.streamPositions)
    }

    /// The last seq held of every stream, with the header hash of the batch there.
    public func streamHeads() throws -> [(position: StreamPosition, headerHash: [UInt8])] {
        try writer.read(BatchStore.streamHeads)
    }

    /// Stored batches of one stream after `seq`, oldest first, exactly as they are sent.
    public func batches(of stream: StreamID, after seq: UInt64, limit: Int = 1000) throws -> [SignedBatch] {
        try writer.read { db in try BatchStore.batches(db, of: stream, after: seq, limit: limit) }
    }

    /// Raised alarms, newest first.
    public func alarms() throws -> [Alarm] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT code, subject, message, count FROM alarm ORDER BY last_seen DESC").map { row in
                Alarm(code: row["code"], subject: row["subject"], message: row["message"], count: row["count"])
            }
        }
    }

    /// How many batches sit in quarantine.
    public func quarantinedCount() throws -> Int {
        try writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM quarantine") ?? 0 }
    }
}
