import Foundation
import GRDB
import SyncCore

/// What the serving node last recorded about one linked peer.
public struct PeerStatus: Equatable, Sendable {
    /// The peer's node id.
    public let peer: NodeID
    /// Whether a session with it is up.
    public let connected: Bool
    /// When the current session (or the last one) started, Unix milliseconds.
    public let since: UInt64?
    /// When anything was last received from it, Unix milliseconds.
    public let lastContact: UInt64?
    /// Why the last session ended or failed, when it did.
    public let lastError: String?
    /// Whether its HELLO carried the same topology digest; nil before any HELLO.
    public let topologyMatches: Bool?
    /// Its software version, from HELLO.
    public let software: String?
    /// When a batch last arrived from it, Unix milliseconds.
    public let lastBatchIn: UInt64?
    /// When a batch was last sent to it, Unix milliseconds.
    public let lastBatchOut: UInt64?
    /// How far its clock was ahead of this node's (negative: behind) at its last HELLO,
    /// milliseconds, one-way network delay included.
    public let clockSkew: Int64?
    /// The serial of its certificate as last seen at a handshake, colon-separated hex.
    public var certificateSerial: String? = nil
    /// When that certificate stops being valid, Unix milliseconds.
    public var certificateNotAfter: UInt64? = nil
}

/// Tells cheaply whether anyone committed to the replica since the last look: this process's
/// own writes and those of another process on the same file (a `pccc record` command while the
/// node serves) alike. It reads SQLite's `PRAGMA data_version` on a connection of its own,
/// which changes whenever any other connection commits, and touches no table; a replica in
/// memory, which no other process can open, falls back to `streamHeadsVersion`.
public final class ReplicaChangeSignal: Sendable {
    private let replica: Replica
    private let watcher: DatabaseQueue?

    init(replica: Replica, path: String?) throws {
        self.replica = replica
        if let path {
            var configuration = SQLiteLibrary.configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(10)
            watcher = try DatabaseQueue(path: path, configuration: configuration)
        } else {
            watcher = nil
        }
    }

    /// A number that differs from the last one read whenever anything was committed since.
    public func current() throws -> Int64 {
        guard let watcher else { return try replica.streamHeadsVersion() }
        return try watcher.inDatabase { db in try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? 0 }
    }
}

/// What the heartbeat records in one transaction: that the node serves, and per peer when it
/// last heard from it, when batches last went each way, and what it acknowledged.
public struct ServingHeartbeat: Sendable {
    /// One session's activity since the last heartbeat.
    public struct PeerActivity: Sendable {
        /// The peer's node id.
        public let peer: NodeID
        /// When anything last arrived from it, Unix milliseconds; nil keeps the recorded time.
        public let contact: UInt64?
        /// When a batch last arrived from it; nil keeps the recorded time.
        public let batchIn: UInt64?
        /// When a batch was last sent to it; nil keeps the recorded time.
        public let batchOut: UInt64?
        /// The positions it acknowledged since the last heartbeat.
        public let acknowledged: [StreamPosition]

        /// Creates the record of one session.
        public init(peer: NodeID, contact: UInt64?, batchIn: UInt64?, batchOut: UInt64?, acknowledged: [StreamPosition]) {
            self.peer = peer
            self.contact = contact
            self.batchIn = batchIn
            self.batchOut = batchOut
            self.acknowledged = acknowledged
        }
    }

    /// When, Unix milliseconds.
    public let at: UInt64
    /// The sessions up now.
    public let peers: [PeerActivity]

    /// Creates a heartbeat.
    public init(at: UInt64, peers: [PeerActivity]) {
        self.at = at
        self.peers = peers
    }
}

extension Replica {
    /// The change signal of this replica, for a node's live push; each caller gets its own.
    public func changeSignal() throws -> ReplicaChangeSignal {
        try ReplicaChangeSignal(replica: self, path: (writer as? DatabasePool)?.path)
    }

    /// Records a heartbeat in one transaction.
    public func recordHeartbeat(_ heartbeat: ServingHeartbeat) throws {
        try writer.write { db in
            try Self.recordServingHeartbeat(at: heartbeat.at, db: db)
            for peer in heartbeat.peers {
                try Self.recordPeerActivity(peer: peer.peer, contact: peer.contact, batchIn: peer.batchIn, batchOut: peer.batchOut, db: db)
                try Self.recordPeerProgress(peer: peer.peer, peer.acknowledged, db: db)
            }
        }
    }

    /// A number that changes whenever any stream head advances, in this process or another;
    /// the API's `version`.
    public func streamHeadsVersion() throws -> Int64 {
        try writer.read { db in
            try Int64.fetchOne(db, sql: "SELECT count(*) * 1000000007 + coalesce(sum(seq), 0) FROM stream_head") ?? 0
        }
    }

    /// Records the positions a peer acknowledged; positions only move forward.
    private static func recordPeerProgress(peer: NodeID, _ positions: [StreamPosition], db: Database) throws {
        guard !positions.isEmpty else { return }
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO peer_progress (peer, origin, sharing_group, seq) VALUES (?, ?, ?, ?)
                ON CONFLICT (peer, origin, sharing_group) DO UPDATE SET seq = max(seq, excluded.seq)
                """
        )
        for position in positions {
            try statement.execute(arguments: [peer, position.stream.originKey, position.group, Int64(position.seq)])
        }
    }

    /// What each peer acknowledged, per stream.
    public func peerProgress(peer: NodeID) throws -> [StreamPosition] {
        try writer.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT origin, sharing_group, seq FROM peer_progress WHERE peer = ? ORDER BY origin, sharing_group",
                arguments: [peer]
            ).map { row in
                let seq: Int64 = row["seq"]
                return StreamPosition(try StreamID(originKey: row["origin"], group: row["sharing_group"]), seq: UInt64(seq))
            }
        }
    }

    /// Records that a session with `peer` came up.
    public func recordPeerConnected(peer: NodeID, at now: UInt64, topologyMatches: Bool, software: String, clockSkew: Int64) throws {
        try writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO peer_status (peer, connected, since, last_contact, last_error, topology_match, software, clock_skew)
                    VALUES (?, 1, ?, ?, NULL, ?, ?, ?)
                    ON CONFLICT (peer) DO UPDATE SET connected = 1, since = excluded.since, last_contact = excluded.last_contact,
                        last_error = NULL, topology_match = excluded.topology_match, software = excluded.software,
                        clock_skew = excluded.clock_skew
                    """,
                arguments: [peer, Int64(now), Int64(now), topologyMatches, software, clockSkew]
            )
        }
    }

    /// Records the certificate `peer` presented at a handshake this node accepted: its serial
    /// (colon-separated hex) and the end of its validity (Unix milliseconds).
    public func recordPeerCertificate(peer: NodeID, serial: String, notAfter: UInt64) throws {
        try writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO peer_status (peer, connected, certificate_serial, certificate_not_after) VALUES (?, 0, ?, ?)
                    ON CONFLICT (peer) DO UPDATE SET certificate_serial = excluded.certificate_serial,
                        certificate_not_after = excluded.certificate_not_after
                    """,
                arguments: [peer, serial, Int64(clamping: notAfter)]
            )
        }
    }

    /// Records when anything, and when a batch, last arrived from `peer`, and when a batch was
    /// last sent to it; nil leaves a time as it was.
    private static func recordPeerActivity(peer: NodeID, contact: UInt64?, batchIn: UInt64?, batchOut: UInt64?, db: Database) throws {
        try db.execute(
            sql: """
                UPDATE peer_status SET last_contact = coalesce(?, last_contact), last_batch_in = coalesce(?, last_batch_in),
                    last_batch_out = coalesce(?, last_batch_out) WHERE peer = ?
                """,
            arguments: [contact.map(Int64.init), batchIn.map(Int64.init), batchOut.map(Int64.init), peer]
        )
    }

    /// When this node stored batch `seq` of a stream, Unix milliseconds: how old what a peer
    /// has not acknowledged is.
    public func receivedAt(_ position: StreamPosition) throws -> UInt64? {
        try writer.read { db in
            try Int64.fetchOne(
                db, sql: "SELECT received_at FROM batch_log WHERE origin = ? AND sharing_group = ? AND seq = ?",
                arguments: [position.stream.originKey, position.group, Int64(position.seq)]
            ).map(UInt64.init)
        }
    }

    /// Records that the session with `peer` ended or could not start, and why.
    /// The session's last activity (`contact`, `batchIn`, `batchOut`; nil keeps the recorded
    /// time) is recorded with it, in the same transaction.
    public func recordPeerDisconnected(
        peer: NodeID, at now: UInt64, error: String?, contact: UInt64? = nil, batchIn: UInt64? = nil, batchOut: UInt64? = nil
    ) throws {
        try writer.write { db in
            if contact != nil || batchIn != nil || batchOut != nil {
                try Self.recordPeerActivity(peer: peer, contact: contact, batchIn: batchIn, batchOut: batchOut, db: db)
            }
            try db.execute(
                sql: """
                    INSERT INTO peer_status (peer, connected, since, last_error) VALUES (?, 0, ?, ?)
                    ON CONFLICT (peer) DO UPDATE SET connected = 0,
                        since = CASE WHEN connected = 1 THEN excluded.since ELSE since END,
                        last_error = coalesce(excluded.last_error, last_error)
                    """,
                arguments: [peer, Int64(now), error]
            )
        }
    }

    /// Marks every peer disconnected: a node starting up has no sessions yet, whatever a
    /// killed predecessor left behind.
    public func resetPeerConnections(at now: UInt64) throws {
        try writer.write { db in
            // A session a killed predecessor left "up" ended no later than now.
            try db.execute(
                sql: "UPDATE peer_status SET since = CASE WHEN connected = 1 THEN ? ELSE since END, connected = 0",
                arguments: [Int64(now)]
            )
        }
    }

    /// Records that a node is serving this replica, for status to tell a live node from a
    /// stopped one.
    private static func recordServingHeartbeat(at now: UInt64, db: Database) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO replica_meta (key, value) VALUES ('serving_heartbeat', ?)", arguments: [String(now)])
    }

    /// When a serving node last recorded its heartbeat, Unix milliseconds.
    public func servingHeartbeat() throws -> UInt64? {
        try writer.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM replica_meta WHERE key = 'serving_heartbeat'").flatMap { UInt64($0) }
        }
    }

    /// Every peer status recorded, by peer id.
    public func peerStatuses() throws -> [PeerStatus] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM peer_status ORDER BY peer").map { row in
                let since: Int64? = row["since"]
                let contact: Int64? = row["last_contact"]
                let batchIn: Int64? = row["last_batch_in"]
                let batchOut: Int64? = row["last_batch_out"]
                let certificateNotAfter: Int64? = row["certificate_not_after"]
                var status = PeerStatus(
                    peer: row["peer"], connected: row["connected"], since: since.map(UInt64.init),
                    lastContact: contact.map(UInt64.init), lastError: row["last_error"],
                    topologyMatches: row["topology_match"], software: row["software"],
                    lastBatchIn: batchIn.map(UInt64.init), lastBatchOut: batchOut.map(UInt64.init), clockSkew: row["clock_skew"]
                )
                status.certificateSerial = row["certificate_serial"]
                status.certificateNotAfter = certificateNotAfter.map { UInt64(max(0, $0)) }
                return status
            }
        }
    }
}
