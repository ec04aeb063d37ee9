import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Replica
import SyncCore
import Topology
import Transport
import WireProtocol

/// A running node (DESIGN §5): listens for the peers that dial it, dials the peers it links
/// to with backoff, keeps one session per link, and pushes every new batch of a shared
/// stream to each connected peer, whether this process, another process or a peer wrote it.
public final class SyncNode: Sendable {
    /// The node's replica.
    public let replica: Replica
    /// The node's configuration.
    public let configuration: NodeConfiguration
    let logger: Logger
    let eventLoops: MultiThreadedEventLoopGroup
    /// SQLite calls block; they run here, off the event loops and the cooperative pool.
    let storage: NIOThreadPool
    private let sessions = NIOLockedValueBox<[String: PeerConnection]>([:])
    private let topology: NIOLockedValueBox<RegionTopology>
    private let dialers = NIOLockedValueBox<[String: (address: String, task: Task<Void, Never>)]>([:])
    private let heads = NIOLockedValueBox<[StreamID: UInt64]>([:])
    private let listeningPort = NIOLockedValueBox<Int?>(nil)

    /// Creates a node; nothing runs until ``run(onListening:)``.
    public init(replica: Replica, configuration: NodeConfiguration, logger: Logger) {
        self.replica = replica
        self.configuration = configuration
        self.logger = logger
        topology = NIOLockedValueBox(configuration.topology)
        eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        storage = NIOThreadPool(numberOfThreads: 2)
    }

    /// The topology in force.
    public var currentTopology: RegionTopology { topology.withLockedValue { $0 } }

    /// The checks a peer certificate must pass, always against the topology in force.
    private var certificateCheck: @Sendable () -> PeerCertificateCheck {
        { [topology, nodeID = configuration.nodeID] in PeerCertificateCheck(topology: topology.withLockedValue { $0 }, localNode: nodeID) }
    }

    /// The port the node listens on, once bound.
    public var port: Int? { listeningPort.withLockedValue { $0 } }

    /// Runs until the task is cancelled; `onListening` gets the bound port.
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        storage.start()
        var failure: (any Error)?
        do {
            try await serve(onListening: onListening)
        } catch {
            failure = error
        }
        try? await storage.shutdownGracefully()
        try? await eventLoops.shutdownGracefully()
        if let failure { throw failure }
    }

    private func serve(onListening: @escaping @Sendable (Int) -> Void) async throws {
        let now = ReplicaConfiguration.systemMilliseconds()
        try await onStorage { [replica] in try replica.resetPeerConnections(at: now) }
        try await refreshHeads()
        let server = try await bind()
        if let port { onListening(port) }
        updateDialers()
        do {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await self.accept(server) }
                group.addTask { await self.watchHeads() }
                group.addTask { await self.tick() }
            }
        } catch is CancellationError {
        }
        let stopping = dialers.withLockedValue { dialers in
            defer { dialers = [:] }
            return dialers.values.map(\.task)
        }
        for task in stopping { task.cancel() }
        for connection in sessions.withLockedValue({ Array($0.values) }) {
            connection.close(ProtocolError(.goingAway, "the node is shutting down"))
        }
        for task in stopping { await task.value }
    }

    private func bind() async throws -> NIOAsyncChannel<PeerChannel, Never> {
        let me = configuration.nodeID
        let socket: PeerListener.Socket
        if let descriptor = configuration.inheritedListener {
            socket = .inherited(descriptor: descriptor)
        } else {
            let address = configuration.listenAddress ?? currentTopology.node(me)?.address ?? ""
            guard let (host, port) = PeerDialer.split(address: address) else {
                throw NodeError("the listen address \(address) is not host:port")
            }
            socket = .bind(host: host, port: port)
        }
        let server = try await PeerListener.listen(
            on: socket, group: eventLoops, credentials: configuration.credentials,
            check: certificateCheck,
            maxFrameLength: configuration.maxFrameLength,
            handshakeTimeout: handshakeTimeout,
            logger: logger
        )
        guard let address = server.channel.localAddress, let bound = address.port else {
            throw NodeError("the listening socket has no TCP address")
        }
        listeningPort.withLockedValue { $0 = bound }
        logger.info("node \(me) listening on \(PeerChannel.describe(address))")
        return server
    }

    private var handshakeTimeout: TimeAmount { .milliseconds(Int64(configuration.handshakeTimeoutMilliseconds)) }

    private func accept(_ server: NIOAsyncChannel<PeerChannel, Never>) async throws {
        try await server.executeThenClose { inbound in
            try await withThrowingDiscardingTaskGroup { group in
                for try await peerChannel in inbound {
                    group.addTask {
                        guard let peer = try? await peerChannel.peerNodeID() else {
                            // Refusals are logged with their reason where they happen.
                            try? await peerChannel.channel.channel.close()
                            return
                        }
                        await self.runSession(peer: peer, channel: peerChannel)
                    }
                }
            }
        }
    }

    private func dial(peer: String, address: String) async {
        var backoff = configuration.backoff
        while !Task.isCancelled {
            var failure: String?
            if let (host, port) = PeerDialer.split(address: address) {
                do {
                    let channel = try await PeerDialer.connect(
                        host: host, port: port, peer: peer, group: eventLoops, credentials: configuration.credentials,
                        check: certificateCheck,
                        maxFrameLength: configuration.maxFrameLength,
                        handshakeTimeout: handshakeTimeout,
                        logger: logger
                    )
                    do {
                        _ = try await channel.peerNodeID()
                    } catch {
                        try? await channel.channel.channel.close()
                        throw error
                    }
                    backoff.reset()
                    await runSession(peer: peer, channel: channel)
                } catch {
                    failure = "cannot connect to \(peer) at \(address): \(error)"
                }
            } else {
                failure = "the address \(address) of \(peer) is not host:port"
            }
            if let failure {
                logger.debug("\(failure)")
                let now = ReplicaConfiguration.systemMilliseconds()
                await storing("record that \(peer) is unreachable") { [replica] in try replica.recordPeerDisconnected(peer: peer, at: now, error: failure) }
            }
            let delay = backoff.nextDelay()
            try? await Task.sleep(nanoseconds: delay * 1_000_000)
        }
    }

    /// Starts a dial loop for each link this node dials and stops those of removed links (or
    /// links whose address changed, which restart).
    private func updateDialers() {
        let wanted = Dictionary(currentTopology.dialTargets(of: configuration.nodeID).map { ($0.peer, $0.address) }) { first, _ in first }
        let stopped = dialers.withLockedValue { dialers -> [Task<Void, Never>] in
            var stopped: [Task<Void, Never>] = []
            for (peer, dialer) in dialers where wanted[peer] != dialer.address {
                stopped.append(dialer.task)
                dialers[peer] = nil
            }
            for (peer, address) in wanted where dialers[peer] == nil {
                dialers[peer] = (address, Task { await self.dial(peer: peer, address: address) })
            }
            return stopped
        }
        for task in stopped { task.cancel() }
    }

    /// Asks every connected peer for these batches again, each from its seq on (peers that do
    /// not share a batch's stream are not asked).
    func refetch(_ batches: [StreamPosition]) {
        guard !batches.isEmpty else { return }
        let others = sessions.withLockedValue { Array($0.values) }
        for batch in batches {
            for connection in others { connection.refetch(StreamID(origin: batch.origin, group: batch.group), from: batch.seq) }
        }
    }

    /// Puts a new topology in force without dropping healthy sessions: sessions whose link is
    /// gone, whose peer's certificate is now revoked, or whose shared streams changed are
    /// closed (those still linked reconnect under the new rules); new links are dialed.
    /// Returns why the topology was refused, or nil.
    public func reload(_ new: RegionTopology) -> String? {
        let me = configuration.nodeID
        guard new.network == currentTopology.network else {
            return "the new topology is of network \(new.network), not \(currentTopology.network)"
        }
        guard new.node(me) != nil else { return "the new topology does not list this node (\(me))" }
        do {
            try replica.updateRoster(new.roster)
        } catch {
            return "\(error)"
        }
        let old = topology.withLockedValue { topology in
            defer { topology = new }
            return topology
        }
        for connection in sessions.withLockedValue({ Array($0.values) }) {
            let peer = connection.peer
            let linked = new.hasLink(dialer: me, listener: peer) || new.hasLink(dialer: peer, listener: me)
            if new.node(peer) == nil || !linked {
                connection.close(ProtocolError(.goingAway, "the link between \(me) and \(peer) was removed from the topology"))
            } else if new.isRevoked(serial: connection.peerCertificateSerial) {
                logger.warning("closing the session with \(peer): its certificate is now revoked")
                connection.close(ProtocolError(.goingAway, "the certificate of \(peer) is revoked"))
            } else if new.sharedStreams(me, peer) != old.sharedStreams(me, peer) {
                connection.close(ProtocolError(.goingAway, "the groups shared with \(peer) changed; reconnecting"))
            }
        }
        updateDialers()
        for group in new.groups.keys.sorted() where new.isMember(me, of: group) {
            let unreachable = new.unreachableMembers(of: group, from: me)
            if !unreachable.isEmpty {
                logger.warning("group \(group) has no path from \(me) to \(unreachable.joined(separator: ", ")) through its members")
            }
        }
        logger.info("topology reloaded: \(new.summary)")
        return nil
    }

    private func runSession(peer: String, channel: PeerChannel) async {
        let connection = PeerConnection(peer: peer, channel: channel, node: self)
        let (replaced, open) = sessions.withLockedValue { ($0.updateValue(connection, forKey: peer), $0.count) }
        NodeMetrics.sessionStarted()
        NodeMetrics.sessionsOpen(open)
        replaced?.close(ProtocolError(.goingAway, "a newer connection from the same peer replaced this one"))
        logger.info("session with \(peer) (\(channel.remoteAddress)) starting")
        let ended = await connection.run(localHeads: heads.withLockedValue { $0 })
        let reason = Task.isCancelled ? "the node is shutting down" : ended
        let remaining = sessions.withLockedValue { sessions in
            if sessions[peer] === connection { sessions[peer] = nil }
            return sessions.count
        }
        NodeMetrics.sessionsOpen(remaining)
        logger.info("session with \(peer) ended: \(reason ?? "closed")")
        let now = ReplicaConfiguration.systemMilliseconds()
        let batches = connection.lastBatches
        let contact = connection.lastContact
        await storing("record the end of the session with \(peer)") { [replica] in
            try replica.recordPeerActivity(peer: peer, contact: contact, batchIn: batches.received, batchOut: batches.sent)
            try replica.recordPeerDisconnected(peer: peer, at: now, error: reason)
        }
    }

    /// Watches for commits by any connection (SQLite's `data_version`, no table read), and
    /// reads the stream heads only after one, so a write committed by any process is pushed
    /// within one poll.
    private func watchHeads() async {
        var signal: ReplicaChangeSignal?
        var version: Int64?
        while !Task.isCancelled {
            if signal == nil {
                signal = await storing("open the change signal") { [replica] in try replica.changeSignal() }
            }
            if let signal, let current = await storing("read the change signal", { try signal.current() }), current != version {
                version = current
                await storing("read the stream heads") { try await self.refreshHeads() }
            }
            try? await Task.sleep(nanoseconds: configuration.headPollMilliseconds * 1_000_000)
        }
    }

    private func refreshHeads() async throws {
        let positions = try await onStorage { [replica] in try replica.streamPositions() }
        var current: [StreamID: UInt64] = [:]
        for position in positions { current[StreamID(origin: position.origin, group: position.group)] = position.seq }
        heads.withLockedValue { $0 = current }
        for connection in sessions.withLockedValue({ Array($0.values) }) {
            connection.localHeadsChanged(current)
        }
    }

    private func tick() async {
        var lastHeartbeat: UInt64 = 0
        while !Task.isCancelled {
            let connections = sessions.withLockedValue { Array($0.values) }
            for connection in connections { connection.tick() }
            let now = ReplicaConfiguration.systemMilliseconds()
            if now >= lastHeartbeat + configuration.heartbeatMilliseconds {
                lastHeartbeat = now
                let heartbeat = ServingHeartbeat(
                    at: now,
                    peers: connections.map {
                        .init(
                            peer: $0.peer, contact: $0.lastContact, batchIn: $0.lastBatches.received, batchOut: $0.lastBatches.sent,
                            acknowledged: $0.takeProgress()
                        )
                    }
                )
                await storing("record the heartbeat") { [replica] in try replica.recordHeartbeat(heartbeat) }
                // Receipts were noted when the requests were applied; this tells the senders.
                // Both read first and write only when there is something to do.
                await storing("acknowledge received requests") { [replica] in _ = try replica.acknowledgeReceivedRequests() }
                // A redaction no catch-up has judged (its relay claimed nothing, or never
                // finishes) is judged once it is a minute old.
                if let suspect = await storing(
                    "check the redacted batches received",
                    { [replica] in
                        try replica.checkStaleRedactions(olderThan: Self.redactionJudgedAfterMilliseconds)
                    })
                {
                    refetch(suspect)
                }
            }
            try? await Task.sleep(nanoseconds: configuration.tickMilliseconds * 1_000_000)
        }
    }

    /// How old a noted redaction gets before the heartbeat judges it whatever its relay does.
    static let redactionJudgedAfterMilliseconds: UInt64 = 60_000

    /// Runs blocking replica work off the cooperative pool.
    func onStorage<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await storage.runIfActive(body)
    }

    /// Runs replica work the node goes on without when it fails (status, heartbeats, checks):
    /// a failure is logged with what was being done and counted in
    /// `pccc_storage_failures_total`, never swallowed; nil then.
    @discardableResult
    func storing<T: Sendable>(_ operation: String, _ body: @escaping @Sendable () throws -> T) async -> T? {
        do {
            return try await onStorage(body)
        } catch {
            reportStorageFailure(operation, error)
            return nil
        }
    }

    /// The same for work that is itself asynchronous.
    @discardableResult
    func storing<T: Sendable>(_ operation: String, _ body: () async throws -> T) async -> T? {
        do {
            return try await body()
        } catch {
            reportStorageFailure(operation, error)
            return nil
        }
    }

    private func reportStorageFailure(_ operation: String, _ error: any Error) {
        // Shutting down closes the thread pool under work still queued; that is no fault.
        if Task.isCancelled { return }
        logger.error("storage: cannot \(operation): \(error)")
        NodeMetrics.storageFailed()
    }
}

/// A node that cannot start, with why.
public struct NodeError: Error, CustomStringConvertible, Sendable {
    /// One sentence.
    public let description: String
    init(_ description: String) { self.description = description }
}
