import Logging
import NIOConcurrencyHelpers
import Replica
import SyncCore
import WireProtocol

/// The sync half of a running node (DESIGN §5), apart from sockets: it runs each session
/// (``PeerConnection`` around a ``PeerSession``) over whatever ``FrameLink`` it is given,
/// applies received batches and reads batches to send through a ``SyncStorage``, pushes new
/// local heads to every session, keeps the heartbeat and judges redactions. Every time it
/// reads or waits for comes from its ``NodeClock``, so a test drives two engines over an
/// in-memory pipe with a clock it advances. ``ConnectionManager`` gives it the sessions.
public final class SyncEngine: Sendable {
    /// The engine's timings and clock.
    public struct Configuration: Sendable {
        /// This node's id.
        public var nodeID: NodeID
        /// How often the change signal is read for writes made by any connection or process.
        public var headPollMilliseconds: UInt64 = 50
        /// How often sessions get their tick (acknowledgements, pings, timeouts).
        public var tickMilliseconds: UInt64 = 250
        /// How often the heartbeat is recorded; checked every ``tickMilliseconds``.
        public var heartbeatMilliseconds: UInt64 = 2_000
        /// Where time comes from.
        public var clock: any NodeClock = SystemClock()

        /// Creates a configuration with default timings and the system clock.
        public init(nodeID: NodeID) {
            self.nodeID = nodeID
        }
    }

    /// The timings and clock.
    public let configuration: Configuration
    let storage: any SyncStorage
    let logger: Logger
    var clock: any NodeClock { configuration.clock }
    /// Every session running, whichever peer: heads, ticks and the heartbeat go to each.
    private let sessions = NIOLockedValueBox<[ObjectIdentifier: PeerConnection]>([:])
    private let heads = NIOLockedValueBox(HeldHeads(seqs: [:], hashes: [:]))
    /// This node's own streams no peer has acknowledged to their head (read with the heads).
    private let unconfirmed = NIOLockedValueBox<[StreamID: UInt64]>([:])

    /// Creates an engine over `storage`; nothing runs until ``run()`` and ``runSession(_:over:)``.
    public init(configuration: Configuration, storage: any SyncStorage, logger: Logger) {
        self.configuration = configuration
        self.storage = storage
        self.logger = logger
    }

    /// How old a noted redaction gets before the heartbeat judges it whatever its relay does.
    static let redactionJudgedAfterMilliseconds: UInt64 = 60_000

    /// Marks the peers of a previous run disconnected and reads the stream heads; called once,
    /// before any session starts.
    public func prepare() async throws {
        try await storage.resetPeerConnections(at: clock.wallMilliseconds)
        try await refreshHeads()
    }

    /// Watches the heads and ticks the sessions and the heartbeat until the task is cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.watchHeads() }
            group.addTask { await self.tick() }
        }
    }

    /// A session with `peer`, to be run by ``runSession(_:over:)``.
    public func makeSession(peer: NodeID, configuration: PeerSession.Configuration) -> PeerConnection {
        PeerConnection(peer: peer, configuration: configuration, engine: self)
    }

    /// Runs `connection` over `link` until either side closes it, then records its end; returns
    /// why it ended, when known.
    @discardableResult
    public func runSession(_ connection: PeerConnection, over link: some FrameLink) async -> String? {
        let peer = connection.peer
        let open = sessions.withLockedValue { sessions in
            sessions[ObjectIdentifier(connection)] = connection
            return sessions.count
        }
        NodeMetrics.sessionStarted()
        NodeMetrics.sessionsOpen(open)
        let ended = await connection.run(
            over: link, localHeads: heads.withLockedValue { $0 }, unconfirmed: unconfirmed.withLockedValue { $0 })
        let reason = Task.isCancelled ? "the node is shutting down" : ended
        let remaining = sessions.withLockedValue { sessions in
            sessions[ObjectIdentifier(connection)] = nil
            return sessions.count
        }
        NodeMetrics.sessionsOpen(remaining)
        logger.info("session with \(peer) ended: \(reason ?? "closed")")
        let now = clock.wallMilliseconds
        let batches = connection.lastBatches
        let contact = connection.lastContact
        await storing("record the end of the session with \(peer)", logger: logger) { [storage] in
            try await storage.recordPeerDisconnected(
                peer: peer, at: now, error: reason, contact: contact, batchIn: batches.received, batchOut: batches.sent
            )
        }
        return reason
    }

    /// The streams this node holds, as last read.
    var heldStreams: [StreamID] { heads.withLockedValue { Array($0.seqs.keys) } }

    /// The sessions running now.
    var runningSessions: [PeerConnection] { sessions.withLockedValue { Array($0.values) } }

    /// The replica cut these streams back to the given seqs (their held tail gave way, or this
    /// node recovered from a restore; docs/PROTOCOL.md §5.9): every session sends what is held
    /// there from now on, and every session but `skipped` (which asks itself) asks its peer for
    /// the streams again after the cut.
    func streamsCutBack(_ cuts: [StreamID: UInt64], except skipped: PeerConnection) {
        guard !cuts.isEmpty else { return }
        for connection in runningSessions {
            for (stream, seq) in cuts { connection.streamCutBack(stream, to: seq) }
        }
        refetch(cuts.map { StreamPosition($0.key, seq: $0.value + 1) }, except: skipped)
    }

    /// Asks every running session's peer for these batches again, each from its seq on (peers
    /// that do not share a batch's stream are not asked).
    func refetch(_ batches: [StreamPosition], except skipped: PeerConnection? = nil) {
        guard !batches.isEmpty else { return }
        let others = runningSessions.filter { $0 !== skipped }
        for batch in batches {
            for connection in others { connection.refetch(batch.stream, from: batch.seq) }
        }
    }

    /// Watches for commits by any connection (SQLite's `data_version`, no table read), and
    /// reads the stream heads only after one, so a write committed by any process is pushed
    /// within one poll.
    private func watchHeads() async {
        var version: Int64?
        var failing = false
        while !Task.isCancelled {
            do {
                let current = try await storage.changeVersion()
                if failing { logger.info("storage: the change signal reads again") }
                failing = false
                if current != version {
                    version = current
                    await storing("read the stream heads", logger: logger) { try await self.refreshHeads() }
                }
            } catch {
                // Once per run of failures, not every poll; the heads are read afresh after it.
                if !failing { reportStorageFailure("read the change signal", error, logger: logger) }
                failing = true
                version = nil
            }
            do {
                try await clock.sleep(milliseconds: configuration.headPollMilliseconds)
            } catch {
                return
            }
        }
    }

    private func refreshHeads() async throws {
        let current = try await storage.streamHeads()
        let unconfirmedNow = try await storage.unconfirmedOwnStreams()
        heads.withLockedValue { $0 = current }
        unconfirmed.withLockedValue { $0 = unconfirmedNow }
        for connection in runningSessions {
            connection.localHeadsChanged(current)
        }
    }

    private func tick() async {
        var lastHeartbeat: UInt64?
        while !Task.isCancelled {
            let connections = runningSessions
            for connection in connections { connection.tick() }
            let now = clock.wallMilliseconds
            if lastHeartbeat.map({ now >= $0 + configuration.heartbeatMilliseconds }) ?? true {
                lastHeartbeat = now
                await heartbeat(at: now, connections)
            }
            do {
                try await clock.sleep(milliseconds: configuration.tickMilliseconds)
            } catch {
                return
            }
        }
    }

    private func heartbeat(at now: UInt64, _ connections: [PeerConnection]) async {
        let heartbeat = ServingHeartbeat(
            at: now,
            peers: connections.map {
                .init(
                    peer: $0.peer, contact: $0.lastContact, batchIn: $0.lastBatches.received, batchOut: $0.lastBatches.sent,
                    acknowledged: $0.takeProgress()
                )
            }
        )
        let recorded = await storing("record the heartbeat", logger: logger) { [storage] in try await storage.recordHeartbeat(heartbeat) }
        if recorded == nil {
            // Not written: the acknowledgements go back, for the next heartbeat to record.
            for (connection, peer) in zip(connections, heartbeat.peers) { connection.returnProgress(peer.acknowledged) }
        }
        // Receipts were noted when the requests were applied; this tells the senders.
        // Both read first and write only when there is something to do.
        await storing("acknowledge received requests", logger: logger) { [storage] in _ = try await storage.acknowledgeReceivedRequests() }
        // A redaction no catch-up has judged (its relay claimed nothing, or never finishes) is
        // judged once it is a minute old.
        if let suspect = await storing(
            "check the redacted batches received", logger: logger,
            { [storage] in
                try await storage.checkStaleRedactions(olderThan: Self.redactionJudgedAfterMilliseconds)
            })
        {
            refetch(suspect)
        }
    }
}
