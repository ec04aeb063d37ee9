import CoreMetrics
import Logging
import NIOCore
import NIOPosix
import WireProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// Accepts peer connections on one socket. Each accepted connection passes the
/// ``HandshakeGate`` first, and is handed over after TLS and framing are in place; the
/// handshake itself completes (or fails) afterwards.
public enum PeerListener {
    /// Where to listen.
    public enum Socket: Sendable {
        /// Bind `host:port` (port 0 picks a free one).
        case bind(host: String, port: Int)
        /// Take over a TCP socket that is already bound, inherited as this file descriptor
        /// (systemd socket activation, or a supervisor that binds for the node); it is put in
        /// the listening state if it is not yet.
        case inherited(descriptor: CInt)
    }

    /// Starts accepting on `socket`. Each connection's handshake uses the `credentials` of
    /// the moment it is accepted: new ones put in force (a renewed certificate, another CA
    /// bundle) serve every later handshake, and sessions already up keep theirs.
    public static func listen(
        on socket: Socket,
        group: EventLoopGroup,
        credentials: @escaping @Sendable () -> TLSCredentials,
        check: @escaping @Sendable () -> PeerCertificateCheck,
        maxFrameLength: Int = Frame.defaultMaxLength,
        handshakeTimeout: TimeAmount = PeerChannel.defaultHandshakeTimeout,
        gate: HandshakeGate = HandshakeGate(),
        logger: Logger
    ) async throws -> NIOAsyncChannel<PeerChannel, Never> {
        let refusals = Dictionary(
            uniqueKeysWithValues: [HandshakeGate.Refusal.perSource, .total, .rate].map {
                ($0, Counter(label: "pccc_peer_connections_refused_total", dimensions: [("reason", $0.rawValue)]))
            }
        )
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        let initializer: @Sendable (Channel) -> EventLoopFuture<PeerChannel> = { channel in
            let source = channel.remoteAddress?.ipAddress ?? "unknown"
            switch gate.admit(source: source, now: NIODeadline.now().uptimeNanoseconds) {
            case .failure(let refused):
                // Closed before TLS, as NIO closes an accepted channel whose setup failed.
                refusals[refused.reason]?.increment()
                logger.debug("connection from \(source) refused: \(refused)")
                channel.close(promise: nil)
                return channel.eventLoop.makeFailedFuture(refused)
            case .success(let slot):
                channel.closeFuture.whenComplete { _ in slot.free() }
                let credentials = credentials()
                return channel.eventLoop.makeCompletedFuture {
                    try PeerChannel.configure(
                        channel, role: .listener, credentials: credentials, check: check, maxFrameLength: maxFrameLength,
                        handshakeTimeout: handshakeTimeout, logger: logger, onHandshakeSettled: slot.free
                    )
                }
            }
        }
        switch socket {
        case .bind(let host, let port):
            return try await bootstrap.bind(host: host, port: port, childChannelInitializer: initializer)
        case .inherited(let descriptor):
            // A socket handed over bound but not listening is put in the listening state here;
            // listen() on one that already listens only changes its backlog.
            guard Glibc.listen(descriptor, 64) == 0 else {
                throw ListenerError("cannot listen on file descriptor \(descriptor): \(String(cString: strerror(errno)))")
            }
            return try await bootstrap.bind(descriptor, childChannelInitializer: initializer)
        }
    }
}

/// A socket the node cannot listen on, with why.
public struct ListenerError: Error, CustomStringConvertible, Sendable {
    /// One sentence.
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
