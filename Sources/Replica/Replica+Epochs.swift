import Foundation
import GRDB
import SyncCore

/// Why a node began a new epoch of its streams (docs/PROTOCOL.md §5.9).
public enum EpochReason: String, Sendable, Equatable {
    /// `pccc init` made the node folder, perhaps for a node that existed before (a rebuild).
    case initialised
    /// `pccc restore` put a backup in place.
    case restored
    /// A peer held a batch of this node's own current epoch that this node did not: its folder
    /// was restored from an older copy (a VM snapshot, a copied folder).
    case restoreDetected = "restore_detected"
    /// `pccc keys rotate` gave the node a new signing key, which signs from this epoch on.
    case keyRotated = "key_rotated"
}

/// The epoch a node writes its batches in, and why and when it began.
public struct WriteEpoch: Sendable, Equatable {
    /// The epoch; 0 until a node first begins one.
    public let epoch: UInt64
    /// Why it began; nil for epoch 0.
    public let reason: EpochReason?
    /// When it began, Unix milliseconds; nil for epoch 0.
    public let startedAt: UInt64?

    /// Creates the value.
    public init(epoch: UInt64, reason: EpochReason?, startedAt: UInt64?) {
        self.epoch = epoch
        self.reason = reason
        self.startedAt = startedAt
    }
}

extension Replica {
    /// Most epochs after 0 of one origin a replica holds streams of in one group; a batch that
    /// would begin one more is held back (`epochs_full`), so no member can grow the streams
    /// listed in every WANT without bound. An honest node begins one per restore, rebuild or
    /// key rotation.
    public static let maxEpochsPerOrigin = 64

    /// The epoch this node writes in.
    public func writeEpoch() throws -> WriteEpoch {
        try writer.read { db in try Self.loadWriteEpoch(db) }
    }

    /// Begins a new epoch of this node's streams: every later local batch goes to streams of
    /// the new epoch, from seq 1, so none reuses a seq of an older copy of this node that the
    /// region may hold. The epoch is the current Unix milliseconds, or one more than the
    /// highest epoch of this node held here if that is later. Returns it.
    ///
    /// `signingKey` is the key the new epoch's batches are signed with, when it is not this
    /// replica's configured key (a key rotation): local writes of a process still holding
    /// another key are refused, so no batch of the epoch is signed by the wrong key.
    @discardableResult
    public func beginStreamEpoch(reason: EpochReason, signingKey: BatchVerifyingKey? = nil) throws -> UInt64 {
        try writer.write { db in
            try Self.beginEpoch(
                reason: reason, nodeID: configuration.nodeID, signingKey: signingKey ?? configuration.signingKey.publicKey,
                now: configuration.wallClock(), db: db)
        }
    }

    /// This node's streams of its current epoch that no peer has acknowledged up to their
    /// head, each with the highest seq a peer has acknowledged (0 for none). A session asks its
    /// peer for them from there: a peer that holds other batches at those seqs shows that this
    /// node was restored.
    public func unconfirmedOwnStreams() throws -> [StreamID: UInt64] {
        try writer.read { db in
            let epoch = try Self.currentEpoch(db)
            let key = StreamID.originKey(configuration.nodeID, epoch: epoch)
            var result: [StreamID: UInt64] = [:]
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT h.sharing_group, h.seq,
                            (SELECT max(p.seq) FROM peer_progress p WHERE p.origin = h.origin AND p.sharing_group = h.sharing_group) AS confirmed
                        FROM stream_head h WHERE h.origin = ?
                        """
                ),
                arguments: [key]
            )
            for row in rows {
                let head = UInt64(row["seq"] as Int64)
                let confirmed = UInt64((row["confirmed"] as Int64?) ?? 0)
                if confirmed < head { result[StreamID(origin: configuration.nodeID, epoch: epoch, group: row["sharing_group"])] = confirmed }
            }
            return result
        }
    }

    static func loadWriteEpoch(_ db: Database) throws -> WriteEpoch {
        let rows = try Row.fetchAll(
            db, sql: "SELECT key, value FROM replica_meta WHERE key IN ('write_epoch', 'write_epoch_reason', 'write_epoch_started')")
        var values: [String: String] = [:]
        for row in rows { values[row["key"]] = row["value"] }
        return WriteEpoch(
            epoch: values["write_epoch"].flatMap { UInt64($0) } ?? 0,
            reason: values["write_epoch_reason"].flatMap(EpochReason.init(rawValue:)),
            startedAt: values["write_epoch_started"].flatMap { UInt64($0) }
        )
    }

    /// The epoch local writes go to.
    static func currentEpoch(_ db: Database) throws -> UInt64 {
        try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM replica_meta WHERE key = 'write_epoch'")).flatMap { UInt64($0) } ?? 0
    }

    /// The epoch local writes go to, and the signing key they must be signed with (nil before
    /// a node first begins an epoch).
    static func currentEpochAndKey(_ db: Database) throws -> (epoch: UInt64, key: String?) {
        var epoch: UInt64 = 0
        var key: String?
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT key, value FROM replica_meta WHERE key IN ('write_epoch', 'write_epoch_key')")) {
            let name: String = row["key"]
            let value: String = row["value"]
            if name == "write_epoch" { epoch = UInt64(value) ?? 0 } else { key = value }
        }
        return (epoch, key)
    }

    static func beginEpoch(reason: EpochReason, nodeID: NodeID, signingKey: BatchVerifyingKey, now: UInt64, db: Database) throws -> UInt64 {
        let highest = max(try currentEpoch(db), try epochsHeld(of: nodeID, db: db).max() ?? 0)
        let epoch = max(now, highest + 1)
        for (key, value) in [
            ("write_epoch", String(epoch)), ("write_epoch_reason", reason.rawValue), ("write_epoch_started", String(now)),
            ("write_epoch_key", signingKey.topologyForm),
        ] {
            try db.execute(sql: "INSERT OR REPLACE INTO replica_meta (key, value) VALUES (?, ?)", arguments: [key, value])
        }
        return epoch
    }

    /// The epochs of `origin` whose streams of `group` this replica holds: what every member
    /// of the group holding the same streams counts alike.
    static func epochsHeld(of origin: NodeID, in group: GroupID, db: Database) throws -> Set<UInt64> {
        let keys = try String.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT origin FROM stream_head WHERE origin = ?1 AND sharing_group = ?2
                    UNION ALL SELECT origin FROM stream_head WHERE origin > ?1 || '~' AND origin < ?1 || char(127) AND sharing_group = ?2
                    """),
            arguments: [origin, group]
        )
        return Set(keys.compactMap { try? StreamID.parse(originKey: $0).epoch })
    }

    /// The epochs of `origin` whose streams this replica holds.
    static func epochsHeld(of origin: NodeID, db: Database) throws -> Set<UInt64> {
        let keys = try String.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT origin FROM stream_head WHERE origin = ?1
                    UNION SELECT origin FROM stream_head WHERE origin > ?1 || '~' AND origin < ?1 || char(127)
                    """),
            arguments: [origin]
        )
        return Set(keys.compactMap { try? StreamID.parse(originKey: $0).epoch })
    }

    /// Re-issues this node's own batches of `stream` after `seq` in `epoch`, in order after
    /// what that epoch's stream of the group holds, and drops them from `stream`. Returns how
    /// many.
    @discardableResult
    func reissue(_ stream: StreamID, after seq: UInt64, into epoch: UInt64, now: UInt64, db: Database) throws -> Int {
        let target = StreamID(origin: stream.origin, epoch: epoch, group: stream.group)
        let head = try BatchStore.head(of: target, db: db)
        var next = head?.seq ?? 0
        var prevHash = head?.headerHash ?? BatchHeader.zeroHash
        var count = 0
        for batch in try BatchStore.batches(db, of: stream, after: seq, limit: Int.max) {
            next += 1
            let copy = try batch.reissued(epoch: epoch, seq: next, prevHash: prevHash, signingKey: configuration.signingKey)
            try BatchStore.store(copy, leaves: try copy.verifiedLeaves(), receivedAt: now, db: db)
            try Self.dropQuarantinedCopies(of: copy.header, db: db)
            prevHash = copy.header.hash
            count += 1
        }
        try Self.dropReissuedBranch(stream, after: seq, db: db)
        return count
    }

    /// Whether every batch held of `stream` from `first` through `last` was re-issued by its
    /// origin in a later epoch of the same group: the origin wrote them from an older copy of
    /// itself, so another batch of the region may take their place. Only the origin can sign
    /// the re-issued copies.
    static func isReissued(_ stream: StreamID, from first: UInt64, through last: UInt64, db: Database) throws -> Bool {
        guard first <= last, last - first < UInt64(maxReissuedRun) else { return false }
        let held = try Data.fetchAll(
            db.cachedStatement(sql: "SELECT header FROM batch_log WHERE origin = ? AND sharing_group = ? AND seq BETWEEN ? AND ? ORDER BY seq"),
            arguments: [stream.originKey, stream.group, Int64(first), Int64(last)]
        )
        for data in held {
            var reader = ByteReader(Array(data))
            guard try holdsReissuedCopy(of: try BatchHeader.decode(from: &reader), db: db) else { return false }
        }
        return held.count == Int(last - first + 1)
    }

    /// Whether `copy` re-issues `original`: the same origin and group, a later epoch, and the
    /// same Merkle root, HLC range and change count (§5.9).
    static func isCopy(_ copy: BatchHeader, of original: BatchHeader) -> Bool {
        copy.origin == original.origin && copy.group == original.group && copy.epoch > original.epoch
            && copy.merkleRoot == original.merkleRoot && copy.hlcMin == original.hlcMin && copy.hlcMax == original.hlcMax
            && copy.changeCount == original.changeCount
    }

    /// Whether this replica holds a copy of `original` that its origin re-issued in a later
    /// epoch. One probe of the `batch_log_by_hlc` index, reading at most
    /// ``maxCopyCandidates`` headers: an origin that signs many batches with one HLC and count
    /// cannot make every probe read them all (a copy it hides so is judged a fork, as if absent).
    static func holdsReissuedCopy(of original: BatchHeader, db: Database) throws -> Bool {
        let candidates = try Data.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT header FROM batch_log WHERE sharing_group = ?2 AND hlc_max = ?3 AND change_count = ?4
                        AND substr(origin, 1, length(?1) + 1) = ?1 || '~' AND origin != ?5
                    LIMIT ?6
                    """
            ),
            arguments: [
                original.origin, original.group, Int64(bitPattern: original.hlcMax.rawValue), Int(original.changeCount),
                original.stream.originKey, maxCopyCandidates,
            ]
        )
        return candidates.contains { candidate in
            var reader = ByteReader(Array(candidate))
            guard let copy = try? BatchHeader.decode(from: &reader) else { return false }
            return isCopy(copy, of: original)
        }
    }

    /// The most batch headers one search for a re-issued copy reads.
    static let maxCopyCandidates = 64

    /// Whether `header` belongs to a stream older than another one of its origin held here in
    /// its group and was re-issued there: the batch is superseded by its copy.
    static func isSuperseded(_ header: BatchHeader, db: Database) throws -> Bool {
        guard try epochsHeld(of: header.origin, in: header.group, db: db).contains(where: { $0 > header.epoch }) else { return false }
        return try holdsReissuedCopy(of: header, db: db)
    }

    /// A batch was just stored: where it is the re-issued copy of batches held in an older
    /// stream of its origin, those give way. Forks quarantined against the region's branch that
    /// it copies are dropped (the origin settled them); an older stream whose held head it
    /// copies is cut back to before its re-issued tail, for the region's branch to be asked for
    /// again. Returns each stream cut back, with the seq it was cut back to.
    static func settleReissued(by copy: BatchHeader, db: Database) throws -> [StreamID: UInt64] {
        guard copy.epoch != 0 else { return [:] }
        try dropQuarantinedCopies(of: copy, db: db)
        var cut: [StreamID: UInt64] = [:]
        for epoch in try epochsHeld(of: copy.origin, in: copy.group, db: db) where epoch < copy.epoch {
            let stream = StreamID(origin: copy.origin, epoch: epoch, group: copy.group)
            guard let head = try BatchStore.head(of: stream, db: db),
                let data = try Data.fetchOne(
                    db.cachedStatement(sql: "SELECT header FROM batch_log WHERE origin = ? AND sharing_group = ? AND seq = ?"),
                    arguments: [stream.originKey, stream.group, Int64(head.seq)]
                )
            else { continue }
            var reader = ByteReader(Array(data))
            guard isCopy(copy, of: try BatchHeader.decode(from: &reader)) else { continue }
            if let seq = try giveWayToTheRegion(stream, head: head.seq, before: head.seq, db: db) { cut[stream] = seq }
        }
        return cut
    }

    /// Drops the quarantined forks of `copy`'s origin and group that `copy` re-issues.
    static func dropQuarantinedCopies(of copy: BatchHeader, db: Database) throws {
        // Two ranges of the quarantine's unique index, so an origin with nothing quarantined
        // costs one probe per stored batch.
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT id, envelope FROM quarantine WHERE origin = ?1 AND sharing_group = ?2
                    UNION ALL SELECT id, envelope FROM quarantine WHERE origin > ?1 || '~' AND origin < ?1 || char(127) AND sharing_group = ?2
                    """
            ),
            arguments: [copy.origin, copy.group]
        )
        var settled: Set<StreamID> = []
        for row in rows {
            let envelope: Data = row["envelope"]
            var reader = ByteReader(Array(envelope))
            guard let original = try? BatchHeader.decode(from: &reader), isCopy(copy, of: original) else { continue }
            try db.execute(sql: "DELETE FROM quarantine WHERE id = ?", arguments: [row["id"] as Int64])
            settled.insert(original.stream)
        }
        try clearSettledForkAlarms(settled, db: db)
    }

    /// Clears the fork alarm of each of `streams` that keeps no quarantined batch: its forks
    /// were settled. `quarantine_full` stays: the forks that were not kept were never seen
    /// settled.
    static func clearSettledForkAlarms(_ streams: Set<StreamID>, db: Database) throws {
        for stream in streams {
            let left = try Bool.fetchOne(
                db, sql: "SELECT 1 FROM quarantine WHERE origin = ? AND sharing_group = ? LIMIT 1", arguments: [stream.originKey, stream.group])
            if left != true { try db.execute(sql: "DELETE FROM alarm WHERE code = 'fork' AND subject = ?", arguments: [stream.description]) }
        }
    }

    /// A batch forks `stream` where the held batches do not say where the branches parted: when
    /// the held tail of the stream, through `head`, was re-issued by its origin in a later epoch
    /// from some seq at or before `seq` on, the tail is dropped so the region's branch can be
    /// asked for from there. Returns the seq the stream is cut back to, or nil (a fork to keep).
    static func giveWayToTheRegion(_ stream: StreamID, head: UInt64, before seq: UInt64, db: Database) throws -> UInt64? {
        var start = head + 1
        while start > 1, head + 1 - start < UInt64(maxReissuedRun), try isReissued(stream, from: start - 1, through: start - 1, db: db) {
            start -= 1
        }
        guard start <= head, start <= seq else { return nil }
        try dropReissuedBranch(stream, after: start - 1, db: db)
        return start - 1
    }

    /// Drops the batches of `stream` after `seq`, which its origin re-issued in a later epoch,
    /// and the forks quarantined against them: those were the region's branch, which now comes.
    static func dropReissuedBranch(_ stream: StreamID, after seq: UInt64, db: Database) throws {
        try BatchStore.truncate(stream, after: seq, db: db)
        try db.execute(
            sql: "DELETE FROM quarantine WHERE origin = ? AND sharing_group = ? AND seq > ?", arguments: [stream.originKey, stream.group, Int64(seq)])
        try clearSettledForkAlarms([stream], db: db)
    }

    /// The longest run of held batches judged as re-issued at once.
    static let maxReissuedRun = 10_000

    /// A peer showed a batch of this node's own current epoch that it does not hold: an older
    /// copy of the node wrote it, so this replica was restored (docs/PROTOCOL.md §5.9). Begins a
    /// new epoch. Where the batch showed where the copies parted (`partedAt`: it chained to the
    /// batch before), the node re-issues its batches after that point in the new epoch, in
    /// order, and drops them from the old stream. Every other stream of the old epoch is asked
    /// for again from its first batch: the first batch a peer holds that differs shows where it
    /// parted (a branch of an older epoch of its own, handled in `apply`), whatever a peer
    /// acknowledged, since an acknowledgement names a seq, not a batch. Returns each old stream
    /// with the seq after which to ask for it again.
    ///
    /// With `keepingAll`, the peer's batch extends what this node holds: nothing diverged, so
    /// nothing is re-issued or dropped; the node only begins the new epoch.
    @discardableResult
    func recoverFromRestore(now: UInt64, db: Database, keepingAll: Bool = false, partedAt: [GroupID: UInt64] = [:]) throws -> [StreamID: UInt64] {
        let me = configuration.nodeID
        let old = try Self.currentEpoch(db)
        let new = try Self.beginEpoch(reason: .restoreDetected, nodeID: me, signingKey: configuration.signingKey.publicKey, now: now, db: db)
        let oldKey = StreamID.originKey(me, epoch: old)
        let groups = try GroupID.fetchAll(db, sql: "SELECT sharing_group FROM stream_head WHERE origin = ? ORDER BY sharing_group", arguments: [oldKey])
        var askAgain: [StreamID: UInt64] = [:]
        var reissued = 0
        for group in groups where !keepingAll {
            let stream = StreamID(origin: me, epoch: old, group: group)
            if let parted = partedAt[group] {
                reissued += try reissue(stream, after: parted, into: new, now: now, db: db)
                askAgain[stream] = parted
            } else {
                askAgain[stream] = 0
            }
        }
        let what =
            keepingAll
            ? " and takes the batches it lacks back from its peers"
            : ", re-issued there the \(reissued) batches the region does not hold and asks its peers for the rest"
        try Self.raiseAlarm(
            code: "restore_detected",
            subject: me.rawValue,
            message: "a peer holds batches of this node's epoch \(old) that it does not: it was restored from an older copy. It began epoch \(new)" + what,
            now: now,
            db: db
        )
        return askAgain
    }
}
