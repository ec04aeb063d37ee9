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
        if let rejection = checkTrust(batch.header, batch) {
            return .rejected(rejection)
        }
        let header = batch.header
        let now = configuration.wallClock()
        return try writeErasing { db -> (result: ApplyOutcome, erased: Bool) in
            let head = try BatchStore.head(origin: header.origin, group: header.group, db: db)
            let headSeq = head?.seq ?? 0
            if header.seq <= headSeq {
                let held = try BatchStore.headerHash(origin: header.origin, group: header.group, seq: header.seq, db: db)
                if held == header.hash {
                    guard try Self.hasPendingRedaction(origin: header.origin, group: header.group, seq: header.seq, db: db) else { return (.duplicate, false) }
                    return try repairRedactions(batch, now: now, db: db)
                }
                return (try quarantine(batch, "a different batch already holds seq \(header.seq)", now: now, db: db), false)
            }
            guard header.seq == headSeq + 1 else {
                let rejection = BatchRejection(
                    .outOfOrder,
                    "batch \(header.seq) of stream \(header.origin)/\(header.group) arrived before batch \(headSeq + 1)"
                )
                return (.rejected(rejection), false)
            }
            guard header.prevHash == head?.headerHash ?? BatchHeader.zeroHash else {
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
            try BatchStore.purgeErased(applier.erased, db: db)
            try Self.notePendingRedactions(leaves, of: header, relayedBy: peer, now: now, db: db)
            try Self.recordRequestReceipts(in: leaves, origin: header.origin, nodeID: configuration.nodeID, now: now, db: db)
            var clock = try Self.loadClock(db)
            clock.observe(header.hlcMax, wallMilliseconds: now)
            try Self.saveClock(clock, db)
            return (.applied(changes: applied), !applier.erased.isEmpty)
        }
    }

    /// An applier for one batch of `origin` in `group`, with this replica's bounds.
    func makeApplier(db: Database, origin: NodeID, group: GroupID, now: UInt64) -> ChangeApplier {
        ChangeApplier(db: db, origin: origin, group: group, now: now, orphanLimit: configuration.maxOrphansPerOrigin)
    }

    /// The largest inflated payload a quarantined batch keeps.
    public static let quarantinedPayloadLimit = 64 * 1024

    /// Who a batch came from when no peer sent it (`pccc pull`, tests).
    public static let localCopy: NodeID = "a local copy"

    /// The checks that need no database: network, pinned key, signature, membership.
    private func checkTrust(_ header: BatchHeader, _ batch: SignedBatch) -> BatchRejection? {
        let roster = configuration.roster
        guard header.network == roster.network else {
            return BatchRejection(.wrongNetwork, "batch is of network \(header.network), this node is in \(roster.network)")
        }
        guard let key = roster.signingKeys[header.origin] else {
            return BatchRejection(.unknownOrigin, "batch origin \(header.origin) is not a node of the topology")
        }
        guard batch.hasValidSignature(publicKey: key) else {
            return BatchRejection(.badSignature, "batch signature does not verify with the key pinned for \(header.origin)")
        }
        guard roster.isMember(header.origin, of: header.group) else {
            return BatchRejection(.notMember, "batch origin \(header.origin) is not a member of group \(header.group)")
        }
        guard roster.isMember(configuration.nodeID, of: header.group) else {
            return BatchRejection(.notMember, "this node is not a member of group \(header.group)")
        }
        return nil
    }

    /// Keeps a forked batch as evidence. Its signed header proves the fork by itself; the
    /// payload is kept too only when it inflates to at most ``quarantinedPayloadLimit`` bytes,
    /// since every erasure reads the kept payloads again to redact them.
    private func quarantine(_ batch: SignedBatch, _ reason: String, now: UInt64, db: Database) throws -> ApplyOutcome {
        let header = batch.header
        let envelope = batch.rawLength <= Self.quarantinedPayloadLimit ? batch.envelope : header.encoded + batch.signature
        let held = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM quarantine WHERE origin = ?", arguments: [header.origin]) ?? 0
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
            arguments: [header.origin, header.group, Int64(header.seq), Data(header.hash), Data(envelope), reason, Int64(now)]
        )
        try Self.raiseAlarm(
            code: "fork",
            subject: "\(header.origin)/\(header.group)",
            message: "stream \(header.origin)/\(header.group) forked: \(reason); the other batch is quarantined",
            now: now,
            db: db
        )
        return .forked(reason: reason)
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
