import Logging
import NIOConcurrencyHelpers
import NIOPosix
import Replica
import SyncCore
import WireProtocol

/// Exactly the replica work the node runtime does: what the sync engine and the connection
/// manager read and write, and nothing else. ``ReplicaStorage`` does it on a real ``Replica``;
/// keeping the list this short is what lets the engine be driven in-process by a test over a
/// real replica, and shows at a glance what a session can touch.
public protocol SyncStorage: Sendable {
    /// The replica's limit on a peer's clock skew, milliseconds (HELLO's clock is judged by it).
    var maxClockSkewMilliseconds: UInt64 { get }
    /// Replaces whom the replica trusts (a reloaded topology).
    func updateRoster(_ roster: Roster) throws
    /// Verifies and applies a batch `peer` relayed.
    func apply(envelope: [UInt8], relayedBy peer: NodeID) async throws -> ApplyOutcome
    /// Up to `limit` stored batches of `stream` after `seq`, oldest first, as they are sent.
    func batches(of stream: StreamID, after seq: UInt64, limit: Int) async throws -> [SignedBatch]
    /// The last seq held of every stream, and the header hash of the batch there.
    func streamHeads() async throws -> HeldHeads
    /// This node's own streams of its current epoch no peer has acknowledged to their head,
    /// with the highest seq one has (``Replica/unconfirmedOwnStreams()``).
    func unconfirmedOwnStreams() async throws -> [StreamID: UInt64]
    /// A number that differs from the last one read whenever anything was committed since, by
    /// this process or another (`PRAGMA data_version`).
    func changeVersion() async throws -> Int64
    /// Marks every peer disconnected (a node starting: sessions of a previous run are gone).
    func resetPeerConnections(at now: UInt64) async throws
    /// Records a session whose HELLO was accepted.
    func recordPeerConnected(peer: NodeID, at now: UInt64, topologyMatches: Bool, software: String, clockSkew: Int64) async throws
    /// Records the certificate a peer presented at a handshake this node accepted.
    func recordPeerCertificate(peer: NodeID, serial: String, notAfter: UInt64) async throws
    /// Records that a session ended, or a dial failed (`error` says why), with the session's
    /// last activity.
    func recordPeerDisconnected(
        peer: NodeID, at now: UInt64, error: String?, contact: UInt64?, batchIn: UInt64?, batchOut: UInt64?
    ) async throws
    /// Records the serving heartbeat and every session's activity, in one transaction.
    func recordHeartbeat(_ heartbeat: ServingHeartbeat) async throws
    /// Tells the senders of received requests that they arrived; returns how many.
    func acknowledgeReceivedRequests() async throws -> Int
    /// Judges the redactions `peer` sent once this node caught up with it.
    func checkRedactions(caughtUpWith peer: NodeID, through heads: [StreamPosition]) async throws -> RedactionCheck
    /// Judges every noted redaction older than `age` milliseconds; returns the suspect batches.
    func checkStaleRedactions(olderThan age: UInt64) async throws -> [StreamPosition]
    /// The head of `peer`'s audit log held here, to echo (``Replica/heldAuditHead(of:)``).
    func heldAuditHead(of peer: NodeID) async throws -> AuditHead?
    /// Notes `peer`'s echo of this node's audit head (``Replica/noteAuditEcho(_:from:)``).
    func noteAuditEcho(_ echo: AuditHead?, from peer: NodeID) async throws -> AuditEchoOutcome
    /// This node's signed audit head for `peer`, if the peer lacks it (``Replica/auditHead(for:)``).
    func auditHead(for peer: NodeID) async throws -> AuditHead?
    /// Judges and keeps `peer`'s audit head (``Replica/receiveAuditHead(_:from:)``).
    func receiveAuditHead(_ head: AuditHead, from peer: NodeID) async throws -> (outcome: PeerAuditHeadOutcome, held: AuditHead?)
    /// Notes the protocol version agreed with `peer` (``Replica/noteAuditVersion(_:of:)``).
    func noteAuditVersion(_ version: UInt16, of peer: NodeID) async throws
}

/// ``SyncStorage`` on a ``Replica``: every call runs on a thread pool of its own, since SQLite
/// calls block and must not hold the event loops or the cooperative pool.
public final class ReplicaStorage: SyncStorage {
    /// The replica.
    public let replica: Replica
    private let pool: NIOThreadPool
    /// The change signal holds a connection of its own; opened at the first look, and again
    /// after a failure to open it.
    private let signal = NIOLockedValueBox<ReplicaChangeSignal?>(nil)

    /// Wraps `replica`; nothing runs until ``start()``.
    public init(replica: Replica, threads: Int = 2) {
        self.replica = replica
        pool = NIOThreadPool(numberOfThreads: threads)
    }

    /// Starts the storage threads.
    public func start() {
        pool.start()
    }

    /// Stops the storage threads once queued work is done; later calls fail.
    public func shutdown() async {
        try? await pool.shutdownGracefully()
    }

    private func run<T: Sendable>(_ body: @escaping @Sendable (Replica) throws -> T) async throws -> T {
        try await pool.runIfActive { [replica] in try body(replica) }
    }

    /// From the replica's configuration.
    public var maxClockSkewMilliseconds: UInt64 { replica.configuration.maxClockSkewMilliseconds }

    /// ``Replica/updateRoster(_:)``; takes no database lock, so it runs on the caller's thread.
    public func updateRoster(_ roster: Roster) throws {
        try replica.updateRoster(roster)
    }

    /// ``Replica/apply(envelope:relayedBy:)``.
    public func apply(envelope: [UInt8], relayedBy peer: NodeID) async throws -> ApplyOutcome {
        try await run { try $0.apply(envelope: envelope, relayedBy: peer) }
    }

    /// ``Replica/batches(of:after:limit:)``.
    public func batches(of stream: StreamID, after seq: UInt64, limit: Int) async throws -> [SignedBatch] {
        try await run { try $0.batches(of: stream, after: seq, limit: limit) }
    }

    /// ``Replica/streamHeads()`` by stream.
    public func streamHeads() async throws -> HeldHeads {
        let heads = try await run { try $0.streamHeads() }
        return HeldHeads(
            seqs: Dictionary(uniqueKeysWithValues: heads.map { ($0.position.stream, $0.position.seq) }),
            hashes: Dictionary(uniqueKeysWithValues: heads.map { ($0.position.stream, $0.headerHash) })
        )
    }

    /// ``Replica/unconfirmedOwnStreams()``.
    public func unconfirmedOwnStreams() async throws -> [StreamID: UInt64] {
        try await run { try $0.unconfirmedOwnStreams() }
    }

    /// ``ReplicaChangeSignal/current()``.
    public func changeVersion() async throws -> Int64 {
        try await run { [signal] replica in
            let opened = try signal.withLockedValue { signal in
                if let signal { return signal }
                let opened = try replica.changeSignal()
                signal = opened
                return opened
            }
            do {
                return try opened.current()
            } catch {
                // A connection that failed once is not trusted again: the next look opens a
                // new one (and the engine reads the heads afresh after any failure).
                signal.withLockedValue { $0 = nil }
                throw error
            }
        }
    }

    /// ``Replica/resetPeerConnections(at:)``.
    public func resetPeerConnections(at now: UInt64) async throws {
        try await run { try $0.resetPeerConnections(at: now) }
    }

    /// ``Replica/recordPeerConnected(peer:at:topologyMatches:software:clockSkew:)``.
    public func recordPeerConnected(peer: NodeID, at now: UInt64, topologyMatches: Bool, software: String, clockSkew: Int64) async throws {
        try await run { try $0.recordPeerConnected(peer: peer, at: now, topologyMatches: topologyMatches, software: software, clockSkew: clockSkew) }
    }

    /// ``Replica/recordPeerCertificate(peer:serial:notAfter:)``.
    public func recordPeerCertificate(peer: NodeID, serial: String, notAfter: UInt64) async throws {
        try await run { try $0.recordPeerCertificate(peer: peer, serial: serial, notAfter: notAfter) }
    }

    /// ``Replica/recordPeerDisconnected(peer:at:error:contact:batchIn:batchOut:)``, one transaction.
    public func recordPeerDisconnected(
        peer: NodeID, at now: UInt64, error: String?, contact: UInt64?, batchIn: UInt64?, batchOut: UInt64?
    ) async throws {
        try await run { try $0.recordPeerDisconnected(peer: peer, at: now, error: error, contact: contact, batchIn: batchIn, batchOut: batchOut) }
    }

    /// ``Replica/recordHeartbeat(_:)``.
    public func recordHeartbeat(_ heartbeat: ServingHeartbeat) async throws {
        try await run { try $0.recordHeartbeat(heartbeat) }
    }

    /// ``Replica/acknowledgeReceivedRequests()``.
    public func acknowledgeReceivedRequests() async throws -> Int {
        try await run { try $0.acknowledgeReceivedRequests() }
    }

    /// ``Replica/checkRedactions(caughtUpWith:through:)``.
    public func checkRedactions(caughtUpWith peer: NodeID, through heads: [StreamPosition]) async throws -> RedactionCheck {
        try await run { try $0.checkRedactions(caughtUpWith: peer, through: heads) }
    }

    /// ``Replica/checkStaleRedactions(olderThan:)``.
    public func checkStaleRedactions(olderThan age: UInt64) async throws -> [StreamPosition] {
        try await run { try $0.checkStaleRedactions(olderThan: age) }
    }

    /// ``Replica/heldAuditHead(of:)``.
    public func heldAuditHead(of peer: NodeID) async throws -> AuditHead? {
        try await run { try $0.heldAuditHead(of: peer) }
    }

    /// ``Replica/noteAuditEcho(_:from:)``.
    public func noteAuditEcho(_ echo: AuditHead?, from peer: NodeID) async throws -> AuditEchoOutcome {
        try await run { try $0.noteAuditEcho(echo, from: peer) }
    }

    /// ``Replica/auditHead(for:)``.
    public func auditHead(for peer: NodeID) async throws -> AuditHead? {
        try await run { try $0.auditHead(for: peer) }
    }

    /// ``Replica/receiveAuditHead(_:from:)``.
    public func receiveAuditHead(_ head: AuditHead, from peer: NodeID) async throws -> (outcome: PeerAuditHeadOutcome, held: AuditHead?) {
        try await run { try $0.receiveAuditHead(head, from: peer) }
    }

    /// ``Replica/noteAuditVersion(_:of:)``.
    public func noteAuditVersion(_ version: UInt16, of peer: NodeID) async throws {
        try await run { try $0.noteAuditVersion(version, of: peer) }
    }
}

/// Runs replica work the node goes on without when it fails (status, heartbeats, checks): a
/// failure is logged with what was being done and counted in `pccc_storage_failures_total`,
/// never swallowed; nil then.
@discardableResult
func storing<T: Sendable>(_ operation: String, logger: Logger, _ body: () async throws -> T) async -> T? {
    do {
        return try await body()
    } catch {
        reportStorageFailure(operation, error, logger: logger)
        return nil
    }
}

/// Logs and counts a storage failure.
func reportStorageFailure(_ operation: String, _ error: any Error, logger: Logger) {
    // Shutting down cancels work and closes the thread pool under work still queued; neither
    // is a fault of the storage.
    if error is NIOThreadPoolError.ThreadPoolInactive || error is CancellationError { return }
    logger.error("storage: cannot \(operation): \(error)")
    NodeMetrics.storageFailed()
}
