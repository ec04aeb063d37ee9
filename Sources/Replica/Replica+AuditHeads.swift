import Foundation
import GRDB
import SyncCore

/// What became of an audit head a peer sent (docs/PROTOCOL.md §3, `AUDIT_HEAD`).
public enum PeerAuditHeadOutcome: Equatable, Sendable {
    /// Kept: the first, or one further on than the head held.
    case kept
    /// The head held already.
    case unchanged
    /// It goes back from the head held (an earlier entry, another entry at the same seq, or the
    /// peer said its log no longer holds what this node echoed): the held head stays, and so
    /// does the `audit_rewound` alarm, until an admin forgets the held head.
    case rewound(reason: String)
    /// Held heads of this peer are pinned by an earlier rewind; nothing changed.
    case pinned
    /// Not signed by the peer's current key in the topology; ignored.
    case refused(reason: String)
}

/// One peer's echo of this node's audit head, judged against the local log.
public struct PeerAuditCheck: Equatable, Sendable {
    /// The peer.
    public let peer: NodeID
    /// The head of this node's log the peer holds.
    public let echoed: AuditPosition
    /// When the echo arrived, Unix milliseconds.
    public let receivedAt: UInt64
    /// Whether the local log still holds that entry with that hash.
    public let held: Bool
}

extension Replica {
    /// The head of `peer`'s audit log this node holds (``AuditPosition/none`` when none), which a
    /// session echoes to the peer.
    public func heldAuditHead(of peer: NodeID) throws -> AuditPosition {
        try writer.read { db in try Self.heldAuditHead(of: peer, db: db) ?? .none }
    }

    /// Notes the head of this node's audit log that `peer` echoed, and whether the log still
    /// holds it: if not, the log was cut, rewritten or put back from an older copy since it
    /// sent that head, and `audit_diverged` is raised for the peer (cleared once an echo is
    /// held again). Returns whether the log holds it.
    @discardableResult
    public func noteAuditEcho(_ echo: AuditPosition, from peer: NodeID) throws -> Bool {
        let now = configuration.wallClock()
        return try writer.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO audit_echo (peer, seq, hash, received_at) VALUES (?, ?, ?, ?)",
                arguments: [peer, Int64(echo.seq), Data(echo.hash), Int64(now)])
            if try Self.logHolds(echo, db: db) {
                try db.execute(sql: "DELETE FROM alarm WHERE code = 'audit_diverged' AND subject = ?", arguments: [peer])
                return true
            } else {
                try Self.raiseAlarm(
                    code: "audit_diverged", subject: peer.rawValue,
                    message:
                        "\(peer) holds \(echo) of this node's audit log, which the log no longer holds: it was cut, rewritten or put back from an older copy",
                    now: now, db: db)
                return false
            }
        }
    }

    /// This node's audit head, signed, to send to `peer`; nil when the log is empty or the peer's
    /// last echo is that head already. It is marked diverged when the log no longer holds the
    /// head the peer echoed, so the peer keeps its own and raises an alarm rather than taking
    /// a head of a rewritten log as a step forward.
    public func auditHead(for peer: NodeID) throws -> AuditHead? {
        let now = configuration.wallClock()
        return try writer.read { db -> AuditHead? in
            guard let row = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_head WHERE only_row = 1") else { return nil }
            let own = AuditPosition(seq: UInt64(row["seq"] as Int64), hash: Array(row["hash"] as Data))
            let echo = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_echo WHERE peer = ?", arguments: [peer]).map {
                AuditPosition(seq: UInt64($0["seq"] as Int64), hash: Array($0["hash"] as Data))
            }
            let diverged = try echo.map { try !Self.logHolds($0, db: db) } ?? false
            guard diverged || echo != own else { return nil }
            return try AuditHead.signed(
                own, at: now, diverged: diverged, network: configuration.roster.network, node: configuration.nodeID, key: configuration.signingKey)
        }
    }

    /// Judges and keeps the audit head `peer` sent; returns what became of it and the head of
    /// the peer's log now held, to echo back.
    public func receiveAuditHead(_ head: AuditHead, from peer: NodeID) throws -> (outcome: PeerAuditHeadOutcome, held: AuditPosition) {
        let now = configuration.wallClock()
        let roster = configuration.roster
        return try writer.write { db in
            let held = try Self.heldAuditHead(of: peer, db: db)
            guard let key = roster.signingKeys[peer]?.current.key, head.isSigned(by: key, network: roster.network, node: peer) else {
                return (.refused(reason: "the audit head of \(peer) is not signed by its key in the topology"), held ?? .none)
            }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM alarm WHERE code = 'audit_rewound' AND subject = ?", arguments: [peer]) == true {
                return (.pinned, held ?? .none)
            }
            if let held {
                let reason: String?
                if head.diverged {
                    reason = "\(peer) says its audit log no longer holds \(held), which it sent this node before"
                } else if head.position.seq < held.seq {
                    reason = "\(peer) sent the head of its audit log at entry \(head.position.seq) after entry \(held.seq)"
                } else if head.position.seq == held.seq, head.position.hash != held.hash {
                    reason = "\(peer) sent another entry \(held.seq) as the head of its audit log"
                } else {
                    reason = nil
                }
                if let reason {
                    try Self.raiseAlarm(
                        code: "audit_rewound", subject: peer.rawValue,
                        message: "\(reason): its log was cut, rewritten or put back from an older copy; this node keeps \(held) as evidence",
                        now: now, db: db)
                    return (.rewound(reason: reason), held)
                }
                if head.position == held { return (.unchanged, held) }
            }
            try db.execute(
                sql: "INSERT OR REPLACE INTO peer_audit_head (peer, seq, hash, at, signature, received_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [peer, Int64(head.position.seq), Data(head.position.hash), Int64(head.at), Data(head.signature), Int64(now)])
            return (.kept, head.position)
        }
    }

    /// Forgets the head of `peer`'s audit log held here and clears its `audit_rewound` alarm
    /// (admins only; audited), so the peer's next head is kept as its first: for a peer whose
    /// log was put back from a backup, once the loss is known and recorded.
    public func forgetAuditHead(of peer: NodeID, by actor: AuditActor) throws {
        let now = configuration.wallClock()
        try writer.write { db in
            try Self.requireAdmin(actor, to: "forget a peer's audit head", db: db)
            guard let held = try Self.heldAuditHead(of: peer, db: db) else {
                throw ReplicaError(.notFound, "this node holds no audit head of \(peer)")
            }
            try db.execute(sql: "DELETE FROM peer_audit_head WHERE peer = ?", arguments: [peer])
            try db.execute(sql: "DELETE FROM alarm WHERE code = 'audit_rewound' AND subject = ?", arguments: [peer])
            try appendAudit(
                AuditEvent(user: actor.user, action: "audit_head_forget", purpose: actor.purpose, detail: "\(peer) at entry \(held.seq)"), now: now,
                db: db)
        }
    }

    /// Every peer's last echo of this node's audit head, judged against the local log, by peer.
    public func auditEchoes() throws -> [PeerAuditCheck] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT peer, seq, hash, received_at FROM audit_echo ORDER BY peer").map { row in
                let echoed = AuditPosition(seq: UInt64(row["seq"] as Int64), hash: Array(row["hash"] as Data))
                return PeerAuditCheck(
                    peer: NodeID(row["peer"] as String), echoed: echoed, receivedAt: UInt64(row["received_at"] as Int64),
                    held: try Self.logHolds(echoed, db: db))
            }
        }
    }

    private static func heldAuditHead(of peer: NodeID, db: Database) throws -> AuditPosition? {
        try Row.fetchOne(db, sql: "SELECT seq, hash FROM peer_audit_head WHERE peer = ?", arguments: [peer]).map {
            AuditPosition(seq: UInt64($0["seq"] as Int64), hash: Array($0["hash"] as Data))
        }
    }

    /// Whether the local audit log holds `position`: its entry at that seq has that hash.
    private static func logHolds(_ position: AuditPosition, db: Database) throws -> Bool {
        guard !position.isNone else { return true }
        guard let seq = Int64(exactly: position.seq) else { return false }
        return try Data.fetchOne(db, sql: "SELECT hash FROM audit_log WHERE seq = ?", arguments: [seq]).map(Array.init) == position.hash
    }
}
