import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SyncCore
import Topology
import Transport
import WireProtocol

/// The socket half of a running node: listens for the peers that dial it, dials the peers it
/// links to with backoff, keeps one session per peer (a newer connection replaces an older
/// one), and follows the topology in force (dialers started and stopped, sessions closed when
/// their link changes). Each session it opens runs in the ``SyncEngine``.
final class ConnectionManager: Sendable {
    let configuration: NodeConfiguration
    let engine: SyncEngine
    let storage: any SyncStorage
    let logger: Logger
    let eventLoops: MultiThreadedEventLoopGroup
    private let topology: NIOLockedValueBox<RegionTopology>
    /// The TLS material every new handshake uses; a reload replaces it, sessions up keep theirs.
    private let credentials: NIOLockedValueBox<TLSCredentials>
    /// The session of each peer, with the channel it runs on (its certificate serial).
    private let connections = NIOLockedValueBox<[NodeID: (connection: PeerConnection, channel: PeerChannel)]>([:])
    private let dialers = NIOLockedValueBox<[NodeID: (address: String, task: Task<Void, Never>)]>([:])
    private let listeningPort = NIOLockedValueBox<Int?>(nil)

    init(configuration: NodeConfiguration, engine: SyncEngine, storage: any SyncStorage, logger: Logger) {
        self.configuration = configuration
        self.engine = engine
        self.storage = storage
        self.logger = logger
        topology = NIOLockedValueBox(configuration.topology)
        credentials = NIOLockedValueBox(configuration.credentials)
        eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    var currentTopology: RegionTopology { topology.withLockedValue { $0 } }

    /// The TLS material in force.
    var currentCredentials: TLSCredentials { credentials.withLockedValue { $0 } }

    /// Puts new TLS material in force for every later handshake, listened or dialed; sessions
    /// already up are left as they are.
    func putInForce(_ new: TLSCredentials) {
        credentials.withLockedValue { $0 = new }
    }

    var port: Int? { listeningPort.withLockedValue { $0 } }

    private var clock: any NodeClock { configuration.clock }

    /// The checks a peer certificate must pass, always against the topology in force.
    private var certificateCheck: @Sendable () -> PeerCertificateCheck {
        { [topology, nodeID = configuration.nodeID] in PeerCertificateCheck(topology: topology.withLockedValue { $0 }, localNode: nodeID) }
    }

    private var handshakeTimeout: TimeAmount { .milliseconds(Int64(configuration.handshakeTimeoutMilliseconds)) }

    func bind() async throws -> NIOAsyncChannel<PeerChannel, Never> {
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
            on: socket, group: eventLoops, credentials: { [credentials] in credentials.withLockedValue { $0 } },
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

    func accept(_ server: NIOAsyncChannel<PeerChannel, Never>) async throws {
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

    private func dial(peer: NodeID, address: String) async {
        var backoff = configuration.backoff
        while !Task.isCancelled {
            var failure: String?
            if let (host, port) = PeerDialer.split(address: address) {
                do {
                    let channel = try await PeerDialer.connect(
                        host: host, port: port, peer: peer, group: eventLoops, credentials: currentCredentials,
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
                let now = clock.wallMilliseconds
                await storing("record that \(peer) is unreachable", logger: logger) { [storage] in
                    try await storage.recordPeerDisconnected(peer: peer, at: now, error: failure, contact: nil, batchIn: nil, batchOut: nil)
                }
            }
            try? await clock.sleep(milliseconds: backoff.nextDelay())
        }
    }

    /// Starts a dial loop for each link this node dials and stops those of removed links (or
    /// links whose address changed, which restart).
    func updateDialers() {
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

    /// Stops every dialer and closes every session; returns once the dialers have ended.
    func stop() async {
        let stopping = dialers.withLockedValue { dialers in
            defer { dialers = [:] }
            return dialers.values.map(\.task)
        }
        for task in stopping { task.cancel() }
        for (connection, _) in connections.withLockedValue({ Array($0.values) }) {
            connection.close(ProtocolError(.goingAway, "the node is shutting down"))
        }
        for task in stopping { await task.value }
    }

    /// Puts `new` in force (already checked by ``SyncNode/reload(_:)``): sessions whose link
    /// is gone, whose peer's certificate is now revoked, or whose shared streams changed are
    /// closed (those still linked reconnect under the new rules); new links are dialed.
    func putInForce(_ new: RegionTopology) {
        let me = configuration.nodeID
        let old = topology.withLockedValue { topology in
            defer { topology = new }
            return topology
        }
        for (connection, channel) in connections.withLockedValue({ Array($0.values) }) {
            let peer = connection.peer
            let linked = new.hasLink(dialer: me, listener: peer) || new.hasLink(dialer: peer, listener: me)
            if new.node(peer) == nil || !linked {
                connection.close(ProtocolError(.goingAway, "the link between \(me) and \(peer) was removed from the topology"))
            } else if new.isRevoked(serial: channel.peerCertificateSerial) {
                logger.warning("closing the session with \(peer): its certificate is now revoked")
                connection.close(ProtocolError(.goingAway, "the certificate of \(peer) is revoked"))
            } else if new.sharedStreams(me, peer) != old.sharedStreams(me, peer) {
                connection.close(ProtocolError(.goingAway, "the groups shared with \(peer) changed; reconnecting"))
            }
        }
        updateDialers()
    }

    /// What a session with `peer` carries under the topology in force.
    private func sessionConfiguration(peer: NodeID) -> PeerSession.Configuration {
        let topology = currentTopology
        var session = PeerSession.Configuration(
            localHello: Hello(
                protocolVersions: configuration.protocolVersions, network: topology.network, nodeID: configuration.nodeID,
                topologyDigest: topology.digest, softwareVersion: configuration.softwareVersion
            ),
            peerNodeID: peer,
            sharedStreams: topology.sharedStreams(configuration.nodeID, peer)
        )
        session.pingIntervalMilliseconds = configuration.pingIntervalMilliseconds
        session.peerTimeoutMilliseconds = configuration.peerTimeoutMilliseconds
        session.auditIntervalMilliseconds = configuration.auditIntervalMilliseconds
        return session
    }

    private func runSession(peer: NodeID, channel: PeerChannel) async {
        if let notAfter = channel.peerCertificateNotAfter {
            let serial = RegionCertificates.serialText(channel.peerCertificateSerial)
            let milliseconds = UInt64(max(0, notAfter.timeIntervalSince1970 * 1000))
            await storing("record the certificate of \(peer)", logger: logger) { [storage] in
                try await storage.recordPeerCertificate(peer: peer, serial: serial, notAfter: milliseconds)
            }
        }
        let connection = engine.makeSession(peer: peer, configuration: sessionConfiguration(peer: peer))
        let replaced = connections.withLockedValue { $0.updateValue((connection, channel), forKey: peer) }
        replaced?.connection.close(ProtocolError(.goingAway, "a newer connection from the same peer replaced this one"))
        logger.info("session with \(peer) (\(channel.remoteAddress)) starting")
        await engine.runSession(connection, over: channel)
        connections.withLockedValue { connections in
            if connections[peer]?.connection === connection { connections[peer] = nil }
        }
    }
}
