import Foundation
import GRDB
import SyncCore

extension Replica {
    /// Verifies and applies one received batch, in the order of DESIGN §4: size limits,
    /// signature (before inflating anything), membership, chain position, clock skew, bounded
    /// inflate, Merkle root; then the changes, the batch and its stream head in one transaction.
    ///
    /// `relayedBy` names the peer the batch came from: a redacted leaf of a record that has no
    /// tombstone is noted against it, for ``checkRedactions(caughtUpWith:through:)``.
    public func apply(envelope: [UInt8], relayedBy peer: NodeID = Replica.localCopy) throws -> ApplyOutcome {
        let batch: SignedBatch
        do throws(BatchRejection) {
            batch = try SignedBatch.decode(envelope: envelope, limits: configuration.limits)
        } catch {
            return .rejected(error)
        }
        let header = batch.header
        let now = configuration.wallClock()
        switch checkTrust(header, batch) {
        case nil:
            break
        case .rejected(let rejection):
            return .rejected(rejection)
        case .revoked(let reason):
            try writer.write { db in try Self.raiseAlarm(code: "revoked_key", subject: header.origin.rawValue, message: reason, now: now, db: db) }
            return .revoked(reason: reason)
        case .keyNotYetKnown(let reason):
            try writer.write { db in try Self.raiseAlarm(code: "unknown_signing_key", subject: header.origin.rawValue, message: reason, now: now, db: db) }
            return .heldBack(aheadByMilliseconds: 0)
        }
        return try writeErasing { db -> (result: ApplyOutcome, erased: Bool) in
            let stream = header.stream
            var head = try BatchStore.head(of: stream, db: db)
            var headSeq = head?.seq ?? 0
            let held = header.seq <= headSeq ? try BatchStore.headerHash(of: stream, seq: header.seq, db: db) : nil
            if let held, held == header.hash {
                guard try Self.hasPendingRedaction(stream, seq: header.seq, db: db) else { return (.duplicate, false) }
                return try repairRedactions(batch, now: now, db: db)
            }
            // Its origin re-issued it in a later epoch held here: an older copy of the origin
            // wrote it, and the copy stands for it everywhere (§5.9).
            if try Self.isSuperseded(header, db: db) { return (.superseded, false) }
            if header.origin == configuration.nodeID {
                // Only another copy of this node can have signed a batch of its own that it does
                // not hold: it was restored from an older copy (§5.9). Where the batch chains to
                // what this node holds before it, the copies parted just there.
                let previous = header.seq > 1 ? try BatchStore.headerHash(of: stream, seq: header.seq - 1, db: db) : BatchHeader.zeroHash
                let chains = previous == header.prevHash
                let current = try Self.currentEpoch(db)
                if header.epoch == current {
                    guard header.seq == headSeq + 1, chains else {
                        let askAgain = try recoverFromRestore(now: now, db: db, partedAt: chains ? [header.group: header.seq - 1] : [:])
                        return (.restoreDetected(truncated: askAgain), false)
                    }
                    // It extends what this node holds: one it lost, taken back; the node writes
                    // on in a new epoch, since a peer not yet heard from may hold more of this one.
                    try recoverFromRestore(now: now, db: db, keepingAll: true)
                } else if header.seq <= headSeq, chains {
                    // A branch of an older epoch of its own, written from an older copy of it,
                    // that the region does not hold: re-issued in the current epoch, then the
                    // region's branch is taken from here.
                    try reissue(stream, after: header.seq - 1, into: current, now: now, db: db)
                    headSeq = header.seq - 1
                    head = headSeq == 0 ? nil : BatchStore.StreamHead(seq: headSeq, headerHash: header.prevHash)
                } else if header.seq <= headSeq + 1, !chains {
                    // The region's branch of an older epoch of its own, parted from the held one
                    // before this seq: the stream is asked for again from its first batch, and
                    // the first that differs chains to the one before (the case above). Without
                    // this, a node that lost the session in which it saw its restore would
                    // quarantine the region's branch for ever.
                    return (.partedEarlier(stream), false)
                }
            }
            if head == nil, header.epoch != 0,
                try Self.epochsHeld(of: header.origin, in: header.group, db: db).subtracting([0]).count >= Self.maxEpochsPerOrigin
            {
                try Self.raiseAlarm(
                    code: "epochs_full",
                    subject: header.origin.rawValue,
                    message: "\(header.origin) has \(Self.maxEpochsPerOrigin) epochs in \(header.group) here already; batches of further epochs are held back",
                    now: now,
                    db: db
                )
                return (.heldBack(aheadByMilliseconds: 0), false)
            }
            if header.seq <= headSeq {
                let previous = header.seq > 1 ? try BatchStore.headerHash(of: stream, seq: header.seq - 1, db: db) : BatchHeader.zeroHash
                guard previous == header.prevHash, try Self.isReissued(stream, from: header.seq, through: headSeq, db: db) else {
                    if let cut = try Self.giveWayToTheRegion(stream, head: headSeq, before: header.seq, db: db) {
                        return (.gaveWay(truncated: [stream: cut]), false)
                    }
                    return (try quarantine(batch, "a different batch already holds seq \(header.seq)", now: now, db: db), false)
                }
                // The batches held from this seq are ones the origin wrote from an older copy of
                // itself and re-issued in a later epoch (§5.9): they give way to the region's.
                try Self.dropReissuedBranch(stream, after: header.seq - 1, db: db)
                headSeq = header.seq - 1
                head = headSeq == 0 ? nil : BatchStore.StreamHead(seq: headSeq, headerHash: header.prevHash)
            }
            guard header.seq == headSeq + 1 else {
                let rejection = BatchRejection(
                    .outOfOrder,
                    "batch \(header.seq) of stream \(stream) arrived before batch \(headSeq + 1)"
                )
                return (.rejected(rejection), false)
            }
            guard header.prevHash == head?.headerHash ?? BatchHeader.zeroHash else {
                if let cut = try Self.giveWayToTheRegion(stream, head: headSeq, before: header.seq, db: db) {
                    return (.gaveWay(truncated: [stream: cut]), false)
                }
                return (try quarantine(batch, "seq \(header.seq) does not chain to the held seq \(headSeq)", now: now, db: db), false)
            }
            let limit = now + configuration.maxClockSkewMilliseconds
            if header.hlcMax.milliseconds > limit {
                let ahead = header.hlcMax.milliseconds - now
                try Self.raiseAlarm(
                    code: "clock_skew",
                    subject: header.origin.rawValue,
                    message: "batches of \(header.origin) are \(ahead / 1000) s ahead of this node's clock and are held back",
                    now: now,
                    db: db
                )
                return (.heldBack(aheadByMilliseconds: ahead), false)
            }
            let leaves: [BatchLeaf]
            do throws(BatchRejection) {
                leaves = try batch.verifiedLeaves()
            } catch {
                return (.rejected(error), false)
            }
            var applier = makeApplier(db: db, origin: header.origin, group: header.group, now: now)
            var applied = 0
            for case .full(let change) in leaves {
                try applier.apply(change)
                applied += 1
            }
            try BatchStore.store(batch, leaves: leaves, receivedAt: now, db: db)
            let waiting = tables.schema.waitingLeaves(in: leaves)
            if waiting > 0 {
                try Self.deferBatch(header, changes: waiting, relayedBy: peer, schemaVersion: tables.schema.version, db: db)
            }
            try BatchStore.purgeErased(applier.erased, db: db)
            try notePendingRedactions(leaves, of: header, relayedBy: peer, now: now, db: db)
            try Self.recordRequestReceipts(in: leaves, origin: header.origin, nodeID: configuration.nodeID, now: now, db: db)
            var clock = try Self.loadClock(db)
            clock.observe(header.hlcMax, wallMilliseconds: now)
            try Self.saveClock(clock, db)
            try Self.dropSettledFork(header, db: db)
            let cut = try Self.settleReissued(by: header, db: db)
            return (cut.isEmpty ? .applied(changes: applied) : .appliedGivingWay(changes: applied, truncated: cut), !applier.erased.isEmpty)
        }
    }

    /// An applier for one batch of `origin` in `group`, with this replica's bounds; a stored
    /// batch applied again because the schema grew is `reapplying` (§5.11).
    func makeApplier(db: Database, origin: NodeID, group: GroupID, now: UInt64, reapplying: Bool = false) -> ChangeApplier {
        ChangeApplier(
            db: db, tables: tables, origin: origin, group: group, now: now, orphanLimit: configuration.maxOrphansPerOrigin,
            localNode: configuration.nodeID, isReapplying: reapplying)
    }

    /// The largest inflated payload a quarantined batch keeps.
    public static let quarantinedPayloadLimit = 64 * 1024

    /// Who a batch came from when no peer sent it (`pccc pull`, tests).
    public static let localCopy: NodeID = "a local copy"

    /// Why a batch is not trusted.
    private enum TrustRefusal {
        /// Refused; the sender is answered with ERROR.
        case rejected(BatchRejection)
        /// Signed by a key revoked before its seq: not applied, the session goes on.
        case revoked(String)
        /// A batch of an epoch newer than the origin's newest key, whose signature that key
        /// does not verify: the origin rotated its key and this node's topology does not list
        /// the new one yet. Held back, not refused, until the topology is reloaded.
        case keyNotYetKnown(String)
    }

    /// The checks that need no database: network, the origin's key for the batch's epoch and
    /// seq (a revoked key signs nothing after its revocation point), signature, membership.
    private func checkTrust(_ header: BatchHeader, _ batch: SignedBatch) -> TrustRefusal? {
        let roster = configuration.roster
        guard header.network == roster.network else {
            return .rejected(BatchRejection(.wrongNetwork, "batch is of network \(header.network), this node is in \(roster.network)"))
        }
        guard let keys = roster.signingKeys[header.origin] else {
            return .rejected(BatchRejection(.unknownOrigin, "batch origin \(header.origin) is not a node of the topology"))
        }
        switch keys.verdict(epoch: header.epoch, group: header.group, seq: header.seq) {
        case .revoked(let last):
            // Judged only for a batch the revoked key did sign: anything else is a forgery.
            guard batch.hasValidSignature(publicKey: keys.entry(forEpoch: header.epoch).key) else {
                return .rejected(
                    BatchRejection(.badSignature, "batch signature does not verify with the key pinned for \(header.origin) in epoch \(header.epoch)"))
            }
            return .revoked("batch \(header.seq) of \(header.stream) is signed by a key of \(header.origin) revoked after seq \(last) there; it is not applied")
        case .verify(let key):
            guard batch.hasValidSignature(publicKey: key) else {
                if header.epoch > keys.current.fromEpoch, header.epoch != 0 {
                    return .keyNotYetKnown(
                        "batches of \(header.stream) are signed by a key this node's topology does not list for \(header.origin); held back until the topology is reloaded with it"
                    )
                }
                return .rejected(
                    BatchRejection(.badSignature, "batch signature does not verify with the key pinned for \(header.origin) in epoch \(header.epoch)"))
            }
        }
        guard roster.isMember(header.origin, of: header.group) else {
            return .rejected(BatchRejection(.notMember, "batch origin \(header.origin) is not a member of group \(header.group)"))
        }
        guard roster.isMember(configuration.nodeID, of: header.group) else {
            return .rejected(BatchRejection(.notMember, "this node is not a member of group \(header.group)"))
        }
        return nil
    }

    /// Keeps a forked batch as evidence. Its signed header proves the fork by itself; the
    /// payload is kept too only when it inflates to at most ``quarantinedPayloadLimit`` bytes,
    /// since every erasure reads the kept payloads again to redact them.
    private func quarantine(_ batch: SignedBatch, _ reason: String, now: UInt64, db: Database) throws -> ApplyOutcome {
        let header = batch.header
        // A batch that chains to the quarantined batch, or to the tip of the branch it begins,
        // or that falls inside the seqs that branch is known to reach (the branch sent again,
        // as a session asks for a forked stream again), continues that fork: it proves nothing
        // the quarantined batch does not, and only a batch chaining to the tip moves the tip.
        // Keeping it would let one branch (a restored copy writing on before it knew) fill the
        // quarantine and raise `quarantine_full`.
        let previous = Int64(header.seq) - 1
        let branch = try Row.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT id, seq, branch_tip_seq, branch_tip_hash FROM quarantine WHERE origin = ?1 AND sharing_group = ?2 AND seq <= ?3
                        AND ((seq = ?3 AND header_hash = ?4) OR ?3 < branch_tip_seq OR (branch_tip_seq = ?3 AND branch_tip_hash = ?4))
                    LIMIT 1
                    """),
            arguments: [header.stream.originKey, header.group, previous, Data(header.prevHash)]
        )
        if let branch {
            let tip = branch["branch_tip_seq"] as Int64?
            let extendsTip =
                tip.map { $0 == previous && (branch["branch_tip_hash"] as Data?) == Data(header.prevHash) } ?? (branch["seq"] as Int64 == previous)
            if extendsTip {
                try db.cachedStatement(sql: "UPDATE quarantine SET branch_tip_seq = ?, branch_tip_hash = ? WHERE id = ?")
                    .execute(arguments: [Int64(header.seq), Data(header.hash), branch["id"] as Int64])
            }
            return .forked(reason: "\(reason); it continues the fork quarantined at seq \(branch["seq"] as Int64)")
        }
        let envelope = batch.rawLength <= Self.quarantinedPayloadLimit ? batch.envelope : header.encoded + batch.signature
        let held =
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM quarantine WHERE origin = ?1 OR substr(origin, 1, length(?1) + 1) = ?1 || '~'", arguments: [header.origin]
            ) ?? 0
        guard held < configuration.maxQuarantinedPerOrigin else {
            try Self.raiseAlarm(
                code: "quarantine_full",
                subject: header.origin.rawValue,
                message: "\(held) forked batches of \(header.origin) are quarantined already; further ones are not kept",
                now: now,
                db: db
            )
            return .forked(reason: reason)
        }
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO quarantine (origin, sharing_group, seq, header_hash, envelope, reason, received_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [header.stream.originKey, header.group, Int64(header.seq), Data(header.hash), Data(envelope), reason, Int64(now)]
        )
        try Self.raiseAlarm(
            code: "fork",
            subject: header.stream.description,
            message: "stream \(header.stream) forked: \(reason); the other batch is quarantined",
            now: now,
            db: db
        )
        return .forked(reason: reason)
    }

    /// A batch was just stored where a fork of it had been quarantined (the other branch gave
    /// way since): the fork is settled.
    private static func dropSettledFork(_ header: BatchHeader, db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM quarantine WHERE origin = ? AND sharing_group = ? AND seq = ? AND header_hash = ?")
            .execute(arguments: [header.stream.originKey, header.group, Int64(header.seq), Data(header.hash)])
        if db.changesCount > 0 { try clearSettledForkAlarms([header.stream], db: db) }
    }

    static func raiseAlarm(code: String, subject: String, message: String, now: UInt64, db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO alarm (code, subject, message, first_seen, last_seen, count) VALUES (?, ?, ?, ?, ?, 1)
                ON CONFLICT (code, subject) DO UPDATE SET message = excluded.message, last_seen = excluded.last_seen,
                    count = count + 1
                """,
            arguments: [code, subject, message, Int64(now), Int64(now)]
        )
    }
}
