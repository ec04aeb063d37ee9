import Foundation
import GRDB
import Records
import SyncCore

/// The batch log, stream heads and leaf index; owns redaction of stored batches.
enum BatchStore {
    struct StreamHead {
        let seq: UInt64
        let headerHash: [UInt8]
    }

    /// The head of `stream`; the replica's stream tables name a stream by its origin key.
    static func head(of stream: StreamID, db: Database) throws -> StreamHead? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT seq, header_hash FROM stream_head WHERE origin = ? AND sharing_group = ?"),
            arguments: [stream.originKey, stream.group]
        ).map { row in
            let seq: Int64 = row["seq"]
            let hash: Data = row["header_hash"]
            return StreamHead(seq: UInt64(seq), headerHash: Array(hash))
        }
    }

    static func headerHash(of stream: StreamID, seq: UInt64, db: Database) throws -> [UInt8]? {
        try Data.fetchOne(
            db.cachedStatement(sql: "SELECT header_hash FROM batch_log WHERE origin = ? AND sharing_group = ? AND seq = ?"),
            arguments: [stream.originKey, stream.group, Int64(seq)]
        ).map { Array($0) }
    }

    /// Stores a batch whose changes were just applied and advances its stream head. Leaves of
    /// records already erased here, and of hits and notes of erased records, are stored redacted.
    static func store(_ batch: SignedBatch, leaves: [BatchLeaf], receivedAt: UInt64, db: Database) throws {
        var stored = batch
        var redactedAny = false
        var storedLeaves = leaves
        if try ChangeApplier.anyTombstones(db: db) {
            for (index, leaf) in leaves.enumerated() where isRedactable(leaf) {
                if try isErased(leaf, db: db) {
                    storedLeaves[index] = leaf.redacted
                    redactedAny = true
                }
            }
        }
        if redactedAny { stored = batch.replacingLeaves(storedLeaves) }
        let header = batch.header
        let hash = header.hash
        try db.cachedStatement(
            sql: """
                INSERT INTO batch_log (origin, sharing_group, seq, header, signature, payload, raw_length, header_hash,
                                       hlc_max, change_count, received_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            header.stream.originKey, header.group, Int64(header.seq), Data(header.encoded), Data(stored.signature),
            Data(stored.payload), stored.rawLength, Data(hash), Int64(header.hlcMax.rawValue),
            Int(header.changeCount), Int64(receivedAt),
        ])
        try indexLeaves(storedLeaves, of: header, db: db)
        try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO stream_head (origin, sharing_group, seq, header_hash) VALUES (?, ?, ?, ?)"
        ).execute(arguments: [header.stream.originKey, header.group, Int64(header.seq), Data(hash)])
    }

    /// Indexes which records the batch's full leaves write, eight rows a statement; the stream
    /// and seq are shared numbered parameters.
    static func indexLeaves(_ leaves: [BatchLeaf], of header: BatchHeader, db: Database) throws {
        let indexed = leaves.filter { leaf in
            guard case .full = leaf else { return false }
            return isRedactable(leaf)
        }
        for start in stride(from: 0, to: indexed.count, by: 8) {
            let chunk = indexed[start..<min(start + 8, indexed.count)]
            let rows = chunk.indices.map { index -> String in
                let first = 4 + 2 * (index - start)
                return "(?\(first), ?\(first + 1), ?1, ?2, ?3)"
            }.joined(separator: ", ")
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO batch_leaf (kind, record_id, origin, sharing_group, seq) VALUES \(rows)")
                .executeBinding { binder in
                    binder.bind(header.stream.originKey)
                    binder.bind(header.group)
                    binder.bind(Int64(header.seq))
                    for leaf in chunk {
                        binder.bind(leaf.kind)
                        binder.bind(leaf.recordID.description)
                    }
                }
        }
    }

    /// Removes what erased records left in stored batches and in the name index.
    static func purgeErased(_ records: [ErasedRecord], db: Database) throws {
        guard !records.isEmpty else { return }
        for record in records {
            try redact(record, db: db)
        }
        try redactQuarantined(records, db: db)
        try compactNameIndex(db: db)
    }

    /// Redacts the erased records' leaves in quarantined (forked) envelopes too, which are kept
    /// as evidence, not applied. An envelope whose payload does not verify holds nothing a
    /// receiver could read as a change, and stays as it came.
    private static func redactQuarantined(_ records: [ErasedRecord], db: Database) throws {
        let rows = try Row.fetchAll(db, sql: "SELECT id, envelope FROM quarantine")
        guard !rows.isEmpty else { return }
        let erased = Set(records)
        for row in rows {
            let envelope: Data = row["envelope"]
            guard let batch = try? SignedBatch.decode(envelope: Array(envelope), limits: .default),
                let leaves = try? batch.verifiedLeaves()
            else { continue }
            let redacted = leaves.map { leaf in
                erased.contains(ErasedRecord(kind: leaf.kind, id: leaf.recordID.description)) && isRedactable(leaf) ? leaf.redacted : leaf
            }
            guard redacted != leaves else { continue }
            let id: Int64 = row["id"]
            try db.execute(
                sql: "UPDATE quarantine SET envelope = ? WHERE id = ?",
                arguments: [Data(batch.replacingLeaves(redacted).envelope), id]
            )
        }
    }

    /// Replaces every stored leaf of an erased record by its redacted form. Headers and
    /// signatures are untouched and still verify, since both leaf forms hash the same.
    private static func redact(_ record: ErasedRecord, db: Database) throws {
        let locations = try Row.fetchAll(
            db,
            sql: "SELECT origin, sharing_group, seq FROM batch_leaf WHERE kind = ? AND record_id = ?",
            arguments: [record.kind, record.id]
        )
        for location in locations {
            let originKey: String = location["origin"]
            let group: GroupID = location["sharing_group"]
            let seq: Int64 = location["seq"]
            guard let batch = try load(try StreamID(originKey: originKey, group: group), seq: UInt64(seq), db: db) else { continue }
            let leaves = try batch.verifiedLeaves().map { leaf in
                leaf.kind == record.kind && leaf.recordID.description == record.id && isRedactable(leaf) ? leaf.redacted : leaf
            }
            let redacted = batch.replacingLeaves(leaves)
            try db.execute(
                sql: "UPDATE batch_log SET payload = ?, raw_length = ? WHERE origin = ? AND sharing_group = ? AND seq = ?",
                arguments: [Data(redacted.payload), redacted.rawLength, originKey, group, seq]
            )
        }
        try db.execute(sql: "DELETE FROM batch_leaf WHERE kind = ? AND record_id = ?", arguments: [record.kind, record.id])
    }

    /// Rewrites the FTS5 index without the tokens of deleted rows, which otherwise stay in old
    /// index segments: after an erasure not even a folded name may remain.
    ///
    /// FTS5 before SQLite 3.44 (Debian 12 ships 3.40.1) gives the index one more level at
    /// almost every 'optimize' once a few hundred have run between other writes, and takes an
    /// index of over 2,000 levels as corrupt: after some 1,500 erasures a node could store no
    /// batch that touches a name. An index past ``maxNameIndexLevels`` levels is rebuilt from
    /// `name_key`, which drops every segment as 'optimize' does and starts the levels afresh.
    private static func compactNameIndex(db: Database) throws {
        try db.execute(sql: "INSERT INTO name_index (name_index) VALUES ('optimize')")
        if try nameIndexLevels(db) ?? Int.max > maxNameIndexLevels {
            try db.execute(sql: "INSERT INTO name_index (name_index) VALUES ('rebuild')")
        }
    }

    /// The most levels the name index keeps before a compaction rebuilds it; FTS5 refuses more
    /// than 2,000, and automatic merges alone keep far fewer.
    static let maxNameIndexLevels = 400

    /// How many levels FTS5's structure record of `name_index` holds (row 10 of
    /// `name_index_data`: a 4-byte cookie, in later versions a 4-byte `FF 00 00 01` mark, then
    /// the count as an SQLite varint); nil when the record is missing or does not read so.
    static func nameIndexLevels(_ db: Database) throws -> Int? {
        guard let block = try Data.fetchOne(db.cachedStatement(sql: "SELECT block FROM name_index_data WHERE id = 10")) else { return nil }
        let bytes = [UInt8](block)
        var index = bytes.count >= 8 && bytes[4..<8] == [0xFF, 0x00, 0x00, 0x01] ? 8 : 4
        var value = 0
        for _ in 0..<9 {
            guard index < bytes.count else { return nil }
            let byte = bytes[index]
            index += 1
            value = (value << 7) | Int(byte & 0x7F)
            if byte < 0x80 { return value }
        }
        return nil
    }

    /// Drops the batches of `stream` after `seq` and moves its head back to `seq` (no head at
    /// 0): a restored node's own batches the region may hold otherwise (Replica+Epochs).
    static func truncate(_ stream: StreamID, after seq: UInt64, db: Database) throws {
        let arguments: StatementArguments = [stream.originKey, stream.group, Int64(seq)]
        try db.execute(sql: "DELETE FROM batch_log WHERE origin = ? AND sharing_group = ? AND seq > ?", arguments: arguments)
        try db.execute(sql: "DELETE FROM batch_leaf WHERE origin = ? AND sharing_group = ? AND seq > ?", arguments: arguments)
        try db.execute(sql: "DELETE FROM redaction_pending WHERE origin = ? AND sharing_group = ? AND seq > ?", arguments: arguments)
        try db.execute(sql: "DELETE FROM deferred_batch WHERE origin = ? AND sharing_group = ? AND seq > ?", arguments: arguments)
        if let hash = try headerHash(of: stream, seq: seq, db: db) {
            try db.execute(
                sql: "UPDATE stream_head SET seq = ?, header_hash = ? WHERE origin = ? AND sharing_group = ?",
                arguments: [Int64(seq), Data(hash), stream.originKey, stream.group]
            )
        } else {
            try db.execute(sql: "DELETE FROM stream_head WHERE origin = ? AND sharing_group = ?", arguments: [stream.originKey, stream.group])
        }
    }

    /// A stored batch, exactly as it would be sent.
    static func load(_ stream: StreamID, seq: UInt64, db: Database) throws -> SignedBatch? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT header, signature, payload, raw_length FROM batch_log WHERE origin = ? AND sharing_group = ? AND seq = ?"
                ),
                arguments: [stream.originKey, stream.group, Int64(seq)]
            )
        else { return nil }
        return try signedBatch(from: row)
    }

    /// The last seq held of every stream, with the header hash of the batch there.
    static func streamHeads(_ db: Database) throws -> [(position: StreamPosition, headerHash: [UInt8])] {
        try Row.fetchAll(db, sql: "SELECT origin, sharing_group, seq, header_hash FROM stream_head ORDER BY origin, sharing_group").map { row in
            let seq: Int64 = row["seq"]
            let hash: Data = row["header_hash"]
            return (StreamPosition(try StreamID(originKey: row["origin"], group: row["sharing_group"]), seq: UInt64(seq)), Array(hash))
        }
    }

    /// The last seq held of every stream.
    static func streamPositions(_ db: Database) throws -> [StreamPosition] {
        try streamHeads(db).map(\.position)
    }

    /// Stored batches of one stream after `seq`, oldest first, exactly as they are sent.
    static func batches(_ db: Database, of stream: StreamID, after seq: UInt64, limit: Int) throws -> [SignedBatch] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT header, signature, payload, raw_length FROM batch_log
                WHERE origin = ? AND sharing_group = ? AND seq > ? ORDER BY seq LIMIT ?
                """,
            arguments: [stream.originKey, stream.group, Int64(seq), limit]
        ).map(signedBatch(from:))
    }

    static func signedBatch(from row: Row) throws -> SignedBatch {
        let headerBytes: Data = row["header"]
        var reader = ByteReader(Array(headerBytes))
        let header = try BatchHeader.decode(from: &reader)
        let signature: Data = row["signature"]
        let payload: Data = row["payload"]
        return SignedBatch(header: header, signature: Array(signature), payload: Array(payload), rawLength: row["raw_length"])
    }

    /// Erase leaves carry no personal data and must stay readable, so later receivers apply them.
    private static func isRedactable(_ leaf: BatchLeaf) -> Bool {
        if case .full(let change) = leaf, case .erase = change.operation { return false }
        return true
    }

    private static func isErased(_ leaf: BatchLeaf, db: Database) throws -> Bool {
        var ids = [leaf.recordID.description]
        if case .full(let change) = leaf, case .append(let writes) = change.operation,
            let parent = RecordKind.parentRecordID(in: writes)
        {
            ids.append(parent)
        }
        return try ids.contains { try ChangeApplier.isErased(anyKindID: $0, db: db) }
    }
}
