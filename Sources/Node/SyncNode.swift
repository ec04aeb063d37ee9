import Foundation
import Logging
import Replica
import Topology
import Transport
import WireProtocol

/// A running node (DESIGN §5): listens for the peers that dial it, dials the peers it links
/// to with backoff, keeps one session per link, and pushes every new batch of a shared
/// stream to each connected peer, whether this process, another process or a peer wrote it.
///
/// It is two parts over one storage adapter: a ``ConnectionManager`` (sockets: dial, accept,
/// one session per peer, backoff, the topology in force) and a ``SyncEngine`` (sessions over
/// any frame link, received batches, head push, heartbeat, redactions), which reaches the
/// replica only through ``SyncStorage`` (``ReplicaStorage``, on a thread pool of its own).
public final class SyncNode: Sendable {
    /// The node's replica.
    public let replica: Replica
    /// The node's configuration.
    public let configuration: NodeConfiguration
    let logger: Logger
    private let storage: ReplicaStorage
    private let engine: SyncEngine
    private let connections: ConnectionManager

    /// Creates a node; nothing runs until ``run(onListening:)``.
    public init(replica: Replica, configuration: NodeConfiguration, logger: Logger) {
        self.replica = replica
        self.configuration = configuration
        self.logger = logger
        storage = ReplicaStorage(replica: replica)
        engine = SyncEngine(configuration: configuration.engine, storage: storage, logger: logger)
        connections = ConnectionManager(configuration: configuration, engine: engine, storage: storage, logger: logger)
    }

    /// The topology in force.
    public var currentTopology: RegionTopology { connections.currentTopology }

    /// The TLS material in force: what every new handshake uses.
    public var currentCredentials: TLSCredentials { connections.currentCredentials }

    /// Puts new TLS material (a renewed certificate and key, another CA bundle) in force for
    /// every later handshake, listened or dialed, without dropping the sessions already up:
    /// they keep the certificates they were opened with until they end.
    ///
    /// `load` reads the material (it throws with one sentence when a file cannot be used); the
    /// certificate must also name this node, chain to one of the CAs loaded with it and be
    /// valid now. Material that fails is refused: the material in force stays, one line is
    /// logged, `pccc_tls_reload_failures_total` counts it and `pccc_tls_reload_refused` is 1
    /// until a reload succeeds. Returns whether the new material is in force.
    @discardableResult
    public func reloadCredentials(_ load: () throws -> TLSCredentials) -> Bool {
        let new: TLSCredentials
        do {
            new = try load()
            if let problem = new.problem(servingAs: configuration.nodeID) { throw NodeError(problem) }
        } catch {
            logger.error("TLS reload refused: \(error); the certificate, key and CAs in force are unchanged")
            NodeMetrics.credentialsReloaded(refused: true)
            return false
        }
        connections.putInForce(new)
        NodeMetrics.credentialsReloaded(refused: false)
        let own = new.certificatesInUse[0]
        logger.info(
            "TLS credentials reloaded: certificate serial \(own.serial) valid until \(own.notAfter.formatted(.iso8601)), \(new.authorities.count) CA certificate(s) trusted; new handshakes use them"
        )
        return true
    }

    /// The port the node listens on, once bound.
    public var port: Int? { connections.port }

    /// Runs until the task is cancelled; `onListening` gets the bound port.
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        storage.start()
        var failure: (any Error)?
        do {
            try await serve(onListening: onListening)
        } catch {
            failure = error
        }
        await storage.shutdown()
        try? await connections.eventLoops.shutdownGracefully()
        if let failure { throw failure }
    }

    private func serve(onListening: @escaping @Sendable (Int) -> Void) async throws {
        try await engine.prepare()
        let server = try await connections.bind()
        if let port { onListening(port) }
        connections.updateDialers()
        do {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await self.connections.accept(server) }
                group.addTask { await self.engine.run() }
            }
        } catch is CancellationError {
        }
        await connections.stop()
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
            try storage.updateRoster(new.roster)
        } catch {
            return "\(error)"
        }
        connections.putInForce(new)
        for group in new.groups.keys.sorted() where new.isMember(me, of: group) {
            let unreachable = new.unreachableMembers(of: group, from: me)
            if !unreachable.isEmpty {
                logger.warning("group \(group) has no path from \(me) to \(unreachable.map(\.rawValue).joined(separator: ", ")) through its members")
            }
        }
        logger.info("topology reloaded: \(new.summary)")
        return nil
    }
}

/// A node that cannot start, with why.
public struct NodeError: Error, CustomStringConvertible, Sendable {
    /// One sentence.
    public let description: String
    init(_ description: String) { self.description = description }
}
