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

/// What a peer's echo of this node's audit head showed (docs/PROTOCOL.md §3, `AUDIT_ECHO`).
public enum AuditEchoOutcome: Equatable, Sendable {
    /// The log holds the echoed entry with that hash, or the peer holds nothing yet.
    case held
    /// The log no longer holds it: `audit_diverged` is raised.
    case notHeld
    /// This node never signed the echoed head: ignored, nothing stored.
    case unsigned
}

/// One peer's echo of this node's audit head, judged against the local log.
public struct PeerAuditCheck: Equatable, Sendable {
    /// The peer.
    public let peer: NodeID
    /// The head of this node's log the peer holds; ``AuditPosition/none`` when it holds none.
    public let echoed: AuditPosition
    /// When the echo arrived, Unix milliseconds.
    public let receivedAt: UInt64
    /// Whether the local log still holds that entry with that hash.
    public let held: Bool
}

/// A peer's signed audit head as this node holds it.
public struct HeldPeerAuditHead: Equatable, Sendable {
    /// The peer.
    public let peer: NodeID
    /// Its head, as it signed it.
    public let head: AuditHead
    /// When it arrived, Unix milliseconds.
    public let receivedAt: UInt64
}

extension Replica {
    /// The signed head of `peer`'s audit log this node holds, which a session echoes to the peer;
    /// nil when none.
    public func heldAuditHead(of peer: NodeID) throws -> AuditHead? {
        try writer.read { db in try Self.heldAuditHead(of: peer, db: db)?.head }
    }

    /// Every peer's signed audit head held here, by peer: what an auditor compares with that
    /// peer's log (`pccc audit heads`).
    public func heldAuditHeads() throws -> [HeldPeerAuditHead] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM peer_audit_head ORDER BY peer").map(Self.heldAuditHead(from:))
        }
    }

    /// Notes the head of this node's audit log that `peer` echoed (nil: it holds none). An echo
    /// this node never signed is ignored. If the log no longer holds the echoed entry with its
    /// hash, it was cut, rewritten or put back from an older copy since it sent that head, and
    /// `audit_diverged` is raised for the peer, cleared once an echo is held again.
    public func noteAuditEcho(_ echo: AuditHead?, from peer: NodeID) throws -> AuditEchoOutcome {
        let now = configuration.wallClock()
        let me = configuration.nodeID
        let network = configuration.roster.network
        if let echo {
            let keys = (configuration.roster.signingKeys[me]?.entries.map(\.key) ?? []) + [configuration.signingKey.publicKey]
            guard keys.contains(where: { echo.isSigned(by: $0, network: network, node: me) }) else { return .unsigned }
        }
        let position = echo?.position ?? .none
        return try writer.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO audit_echo (peer, seq, hash, received_at) VALUES (?, ?, ?, ?)",
                arguments: [peer, Int64(position.seq), Data(position.hash), Int64(now)])
            if try Self.logHolds(position, db: db) {
                try db.execute(sql: "DELETE FROM alarm WHERE code = 'audit_diverged' AND subject = ?", arguments: [peer])
                return .held
            }
            try Self.raiseAlarm(
                code: "audit_diverged", subject: peer.rawValue,
                message:
                    "\(peer) holds \(position) of this node's audit log, which the log no longer holds: it was cut, rewritten or put back from an older copy",
                now: now, db: db)
            return .notHeld
        }
    }

    /// This node's audit head, signed, to send to `peer`; nil when the log is empty or the peer's
    /// last echo is that head already. It is marked diverged when the log no longer holds the
    /// head the peer echoed, so the peer keeps its own and raises an alarm rather than taking
    /// a head of a rewritten log as a step forward.
    public func auditHead(for peer: NodeID) throws -> AuditHead? {
        let now = configuration.wallClock()
        return try writer.read { db -> AuditHead? in
            guard let own = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_head WHERE only_row = 1").map(Self.position(from:)) else {
                return nil
            }
            let echo = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit_echo WHERE peer = ?", arguments: [peer]).map(Self.position(from:))
            let diverged = try echo.map { try !Self.logHolds($0, db: db) } ?? false
            guard diverged || echo != own else { return nil }
            return try AuditHead.signed(
                own, at: now, diverged: diverged, network: configuration.roster.network, node: configuration.nodeID, key: configuration.signingKey)
        }
    }

    /// Judges and keeps the audit head `peer` sent; returns what became of it and the head of
    /// the peer's log now held, to echo back.
    public func receiveAuditHead(_ head: AuditHead, from peer: NodeID) throws -> (outcome: PeerAuditHeadOutcome, held: AuditHead?) {
        let now = configuration.wallClock()
        let roster = configuration.roster
        return try writer.write { db in
            let held = try Self.heldAuditHead(of: peer, db: db)?.head
            guard let key = roster.signingKeys[peer]?.current.key, head.isSigned(by: key, network: roster.network, node: peer) else {
                return (.refused(reason: "the audit head of \(peer) is not signed by its key in the topology"), held)
            }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM alarm WHERE code = 'audit_rewound' AND subject = ?", arguments: [peer]) == true {
                return (.pinned, held)
            }
            try db.execute(sql: "DELETE FROM alarm WHERE code = 'audit_unchecked' AND subject = ?", arguments: [peer])
            if let held {
                // The same head again, as one sent before the peer's echo of it came back.
                if head.position == held.position { return (.unchanged, held) }
                let reason: String?
                if head.diverged {
                    reason = "\(peer) says its audit log no longer holds \(held.position), which it sent this node before"
                } else if head.position.seq < held.position.seq {
                    reason = "\(peer) sent the head of its audit log at entry \(head.position.seq) after entry \(held.position.seq)"
                } else if head.position.seq == held.position.seq, head.position.hash != held.position.hash {
                    reason = "\(peer) sent another entry \(held.position.seq) as the head of its audit log"
                } else {
                    reason = nil
                }
                if let reason {
                    try Self.raiseAlarm(
                        code: "audit_rewound", subject: peer.rawValue,
                        message: "\(reason): its log was cut, rewritten or put back from an older copy; this node keeps \(held.position) as evidence",
                        now: now, db: db)
                    return (.rewound(reason: reason), held)
                }
            }
            // Kept as it was signed, flag and all: a diverged head reaches here only when nothing
            // is held to judge it by (an admin forgot the held one), and is then the peer's first.
            try db.execute(
                sql: "INSERT OR REPLACE INTO peer_audit_head (peer, flags, seq, hash, at, signature, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    peer, Int(head.flags), Int64(head.position.seq), Data(head.position.hash), Int64(head.at), Data(head.signature), Int64(now),
                ])
            return (.kept, head)
        }
    }

    /// A session with `peer` agreed `version`: below 3 no audit head is sent, so a peer whose
    /// head this node holds is no longer checked here; `audit_unchecked` says so until its next
    /// head arrives. A peer's admin could otherwise cut its log and keep it from its peers by
    /// offering only older versions.
    public func noteAuditVersion(_ version: UInt16, of peer: NodeID) throws {
        guard version < 3 else { return }
        let now = configuration.wallClock()
        try writer.write { db in
            guard let held = try Self.heldAuditHead(of: peer, db: db) else { return }
            try Self.raiseAlarm(
                code: "audit_unchecked", subject: peer.rawValue,
                message:
                    "\(peer) speaks protocol version \(version), which carries no audit heads, after it sent this node its head at \(held.head.position): its audit log is not checked here until it speaks version 3 again",
                now: now, db: db)
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
            try db.execute(
                sql: "DELETE FROM alarm WHERE code IN ('audit_rewound', 'audit_unchecked') AND subject = ?", arguments: [peer])
            try appendAudit(
                AuditEvent(user: actor.user, action: "audit_head_forget", purpose: actor.purpose, detail: "\(peer) at entry \(held.head.position.seq)"),
                now: now, db: db)
        }
    }

    /// Every peer's last echo of this node's audit head, judged against the local log, by peer.
    public func auditEchoes() throws -> [PeerAuditCheck] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT peer, seq, hash, received_at FROM audit_echo ORDER BY peer").map { row in
                let echoed = Self.position(from: row)
                return PeerAuditCheck(
                    peer: NodeID(row["peer"] as String), echoed: echoed, receivedAt: UInt64(row["received_at"] as Int64),
                    held: try Self.logHolds(echoed, db: db))
            }
        }
    }

    private static func heldAuditHead(of peer: NodeID, db: Database) throws -> HeldPeerAuditHead? {
        try Row.fetchOne(db, sql: "SELECT * FROM peer_audit_head WHERE peer = ?", arguments: [peer]).map(heldAuditHead(from:))
    }

    /// A row of `peer_audit_head`.
    private static func heldAuditHead(from row: Row) -> HeldPeerAuditHead {
        HeldPeerAuditHead(
            peer: NodeID(row["peer"] as String),
            head: AuditHead(
                position: position(from: row), at: UInt64(row["at"] as Int64), diverged: (row["flags"] as Int) & 1 == 1,
                signature: Array(row["signature"] as Data)),
            receivedAt: UInt64(row["received_at"] as Int64))
    }

    /// The `seq` and `hash` columns of a row of `audit_head`, `audit_echo` or `peer_audit_head`.
    private static func position(from row: Row) -> AuditPosition {
        AuditPosition(seq: UInt64(row["seq"] as Int64), hash: Array(row["hash"] as Data))
    }

    /// Whether the local audit log holds `position`: its entry at that seq has that hash.
    private static func logHolds(_ position: AuditPosition, db: Database) throws -> Bool {
        guard !position.isNone else { return true }
        guard let seq = Int64(exactly: position.seq) else { return false }
        return try Data.fetchOne(db, sql: "SELECT hash FROM audit_log WHERE seq = ?", arguments: [seq]).map(Array.init) == position.hash
    }
}
