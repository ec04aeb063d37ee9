import Foundation
import GRDB
import Records
import SyncCore

/// What a catch-up with one peer showed about redacted leaves.
public struct RedactionCheck: Equatable, Sendable {
    /// Batches that peer sent with a redaction no erasure explains: to ask every peer for, the
    /// sender included (it may hold the full batch by now).
    public var suspect: [StreamPosition] = []
    /// Batches other peers sent so, still unexplained, in streams this peer shares: to ask it for.
    public var outstanding: [StreamPosition] = []

    /// Creates a result.
    public init(suspect: [StreamPosition] = [], outstanding: [StreamPosition] = []) {
        self.suspect = suspect
        self.outstanding = outstanding
    }
}

extension Replica {
    /// Redaction is legitimate only for erased records. A received redacted leaf of a record
    /// (not a hit, note or erasure request, whose redaction follows an erasure of the record
    /// they are about, which the redacted leaf does not name) that has no tombstone here yet is
    /// noted against the peer that sent it; its erasure may still be on its way in the same
    /// catch-up.
    func notePendingRedactions(_ leaves: [BatchLeaf], of header: BatchHeader, relayedBy peer: NodeID, now: UInt64, db: Database) throws {
        var noted: Int?
        for case .redacted(let kind, let recordID, _) in leaves {
            guard let recordKind = tables.schema.kind(named: kind), !recordKind.isAppendOnly else { continue }
            let id = recordID.description
            if try ChangeApplier.hasTombstone(kind: kind, id: id, db: db) { continue }
            // Bounded per relaying peer: a peer that sends only redacted leaves fills its own
            // share, with an alarm, and no more.
            let count = try noted ?? Int.fetchOne(db, sql: "SELECT COUNT(*) FROM redaction_pending WHERE peer = ?", arguments: [peer]) ?? 0
            guard count < Self.maxPendingRedactionsPerPeer else {
                try Self.raiseAlarm(
                    code: "redactions_full",
                    subject: peer.rawValue,
                    message: "\(peer) sent \(count) redacted changes no erasure explains yet; further ones are not checked",
                    now: now,
                    db: db
                )
                return
            }
            noted = count + 1
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO redaction_pending (origin, sharing_group, seq, kind, record_id, peer, noted_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [header.stream.originKey, header.group, Int64(header.seq), kind, id, peer, Int64(now)]
            )
        }
    }

    /// How many unexplained redacted leaves are noted per relaying peer.
    static let maxPendingRedactionsPerPeer = 10_000

    /// Whether a leaf of the batch at this position is noted as unexplained.
    static func hasPendingRedaction(_ stream: StreamID, seq: UInt64, db: Database) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT 1 FROM redaction_pending WHERE origin = ? AND sharing_group = ? AND seq = ? LIMIT 1"),
            arguments: [stream.originKey, stream.group, Int64(seq)]
        ) ?? false
    }

    /// Called once this node holds everything `peer` held when the session began (`heads`, the
    /// peer's stream heads then): every leaf that peer sent redacted, in a batch within those
    /// heads, must by now have its record's tombstone. Those that do are settled; each one that
    /// does not raises `redacted_without_tombstone` and is returned as suspect, for the node to
    /// ask every peer for the batch. Batches other peers sent so, in the streams of
    /// `heads`, are returned as outstanding, to ask this peer for.
    public func checkRedactions(caughtUpWith peer: NodeID, through heads: [StreamPosition]) throws -> RedactionCheck {
        let now = configuration.wallClock()
        return try writer.write { db in
            var suspect: Set<StreamPosition> = []
            var outstanding: Set<StreamPosition> = []
            for head in heads {
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT origin, sharing_group, seq, kind, record_id, peer FROM redaction_pending
                        WHERE peer = ? AND origin = ? AND sharing_group = ? AND seq <= ? AND judged = 0
                        """,
                    arguments: [peer, head.stream.originKey, head.group, Int64(head.seq)]
                )
                for seq in try Int64.fetchAll(
                    db,
                    sql: "SELECT DISTINCT seq FROM redaction_pending WHERE judged = 1 AND origin = ? AND sharing_group = ? AND seq <= ?",
                    arguments: [head.stream.originKey, head.group, Int64(head.seq)]
                ) {
                    outstanding.insert(StreamPosition(head.stream, seq: UInt64(seq)))
                }
                for row in rows {
                    if let batch = try Self.judge(row, now: now, db: db) { suspect.insert(batch) }
                }
            }
            return RedactionCheck(suspect: suspect.sorted(by: StreamPosition.inOrder), outstanding: outstanding.sorted(by: StreamPosition.inOrder))
        }
    }

    /// Checks every noted redaction older than `age` milliseconds, whoever sent it: a relay
    /// sends each stream in order, so the erasure that explains a redaction comes soon after
    /// it, and a peer that claims to hold nothing (so that no catch-up ever completes) or keeps
    /// its session open does not keep a redaction from being judged. Returns the suspect
    /// batches, to ask every peer for.
    public func checkStaleRedactions(olderThan age: UInt64) throws -> [StreamPosition] {
        let now = configuration.wallClock()
        let cutoff = now > age ? now - age : 0
        // Called at every heartbeat: a read first, so that nothing to judge takes no write lock.
        let due = try writer.read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM redaction_pending WHERE noted_at <= ? AND judged = 0 LIMIT 1", arguments: [Int64(cutoff)])
        }
        guard due == true else { return [] }
        return try writer.write { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT origin, sharing_group, seq, kind, record_id, peer FROM redaction_pending WHERE noted_at <= ? AND judged = 0",
                arguments: [Int64(cutoff)]
            )
            var suspect: Set<StreamPosition> = []
            for row in rows {
                if let batch = try Self.judge(row, now: now, db: db) { suspect.insert(batch) }
            }
            return suspect.sorted(by: StreamPosition.inOrder)
        }
    }

    /// Settles one noted redaction whose record has its tombstone by now; otherwise raises (or
    /// repeats) the alarm and returns the batch.
    private static func judge(_ row: Row, now: UInt64, db: Database) throws -> StreamPosition? {
        let stream = try StreamID(originKey: row["origin"], group: row["sharing_group"])
        let seq = UInt64(row["seq"] as Int64)
        let kind: String = row["kind"]
        let id: String = row["record_id"]
        let peer: NodeID = row["peer"]
        if try ChangeApplier.hasTombstone(kind: kind, id: id, db: db) {
            try db.execute(
                sql: "DELETE FROM redaction_pending WHERE origin = ? AND sharing_group = ? AND seq = ? AND kind = ? AND record_id = ?",
                arguments: [stream.originKey, stream.group, Int64(seq), kind, id]
            )
            try clearAlarmIfSettled(stream, seq: seq, db: db)
            return nil
        }
        // Judged once: later catch-ups ask their peer for it (as outstanding), but no heartbeat
        // asks every peer again and again.
        try db.execute(
            sql: "UPDATE redaction_pending SET judged = 1 WHERE origin = ? AND sharing_group = ? AND seq = ? AND kind = ? AND record_id = ?",
            arguments: [stream.originKey, stream.group, Int64(seq), kind, id]
        )
        let position = StreamPosition(stream, seq: seq)
        try raiseAlarm(
            code: "redacted_without_tombstone",
            subject: position.description,
            message: "batch \(seq) of \(position.stream), relayed by \(peer), holds a redacted \(kind) \(id) "
                + "that no erasure explains; the full batch is asked of every peer",
            now: now,
            db: db
        )
        return position
    }

    /// An erasure arrived: the redacted leaves of that record it explains are settled, and the
    /// alarm of each batch they were in goes once nothing of it is unexplained. (A relay that
    /// got the erasure after its session began sends it after the batches it redacted.)
    static func settleRedactions(kind: KindSchema, id: String, db: Database) throws {
        let batches = try Row.fetchAll(
            db, sql: "SELECT origin, sharing_group, seq FROM redaction_pending WHERE kind = ? AND record_id = ?", arguments: [kind.kind.rawValue, id]
        )
        guard !batches.isEmpty else { return }
        try db.execute(sql: "DELETE FROM redaction_pending WHERE kind = ? AND record_id = ?", arguments: [kind.kind.rawValue, id])
        for batch in batches {
            try clearAlarmIfSettled(try StreamID(originKey: batch["origin"], group: batch["sharing_group"]), seq: UInt64(batch["seq"] as Int64), db: db)
        }
    }

    static func clearAlarmIfSettled(_ stream: StreamID, seq: UInt64, db: Database) throws {
        guard try !hasPendingRedaction(stream, seq: seq, db: db) else { return }
        try db.execute(
            sql: "DELETE FROM alarm WHERE code = 'redacted_without_tombstone' AND subject = ?",
            arguments: [StreamPosition(stream, seq: seq).description]
        )
    }

    /// A copy of a held batch arrived while some of its leaves are held redacted with no
    /// erasure to explain them. The copy's signature was checked; if its leaves verify against
    /// the same root, each leaf held redacted that it carries in full is applied now and stored
    /// in full, unless its record has been erased since.
    func repairRedactions(_ batch: SignedBatch, now: UInt64, db: Database) throws -> (result: ApplyOutcome, erased: Bool) {
        let header = batch.header
        let incoming: [BatchLeaf]
        do throws(BatchRejection) {
            incoming = try batch.verifiedLeaves()
        } catch {
            return (.rejected(error), false)
        }
        guard let stored = try BatchStore.load(header.stream, seq: header.seq, db: db) else {
            return (.duplicate, false)
        }
        var held = try stored.verifiedLeaves()
        guard held.count == incoming.count else { return (.duplicate, false) }
        var applier = makeApplier(db: db, origin: header.origin, group: header.group, now: now)
        var repaired: [BatchLeaf] = []
        for (index, leaf) in incoming.enumerated() {
            guard case .redacted = held[index], case .full(let change) = leaf else { continue }
            let pending = try Bool.fetchOne(
                db,
                sql: "SELECT 1 FROM redaction_pending WHERE origin = ? AND sharing_group = ? AND seq = ? AND kind = ? AND record_id = ?",
                arguments: [header.stream.originKey, header.group, Int64(header.seq), change.kind, change.recordID.description]
            )
            guard pending == true else { continue }
            if try !ChangeApplier.hasTombstone(kind: change.kind, id: change.recordID.description, db: db) {
                try applier.apply(change)
                held[index] = leaf
                repaired.append(leaf)
            }
            try db.execute(
                sql: "DELETE FROM redaction_pending WHERE origin = ? AND sharing_group = ? AND seq = ? AND kind = ? AND record_id = ?",
                arguments: [header.stream.originKey, header.group, Int64(header.seq), change.kind, change.recordID.description]
            )
        }
        // The alarm goes once nothing of the batch is missing any more; a copy as redacted as
        // ours changes nothing.
        try Self.clearAlarmIfSettled(header.stream, seq: header.seq, db: db)
        guard !repaired.isEmpty else { return (.duplicate, false) }
        try Self.recordRequestReceipts(in: repaired, origin: header.origin, nodeID: configuration.nodeID, now: now, db: db)
        let full = stored.replacingLeaves(held)
        try db.execute(
            sql: "UPDATE batch_log SET payload = ?, raw_length = ? WHERE origin = ? AND sharing_group = ? AND seq = ?",
            arguments: [Data(full.payload), full.rawLength, header.stream.originKey, header.group, Int64(header.seq)]
        )
        try BatchStore.indexLeaves(repaired, of: header, db: db)
        try BatchStore.purgeErased(applier.erased, db: db)
        return (.applied(changes: repaired.count), !applier.erased.isEmpty)
    }
}
