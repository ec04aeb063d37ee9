import Logging
import NIOCore
import NIOPosix
import WireProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// Accepts peer connections on one socket. Each accepted connection is handed over after
/// TLS and framing are in place; the handshake itself completes (or fails) afterwards.
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

    /// Starts accepting on `socket`.
    public static func listen(
        on socket: Socket,
        group: EventLoopGroup,
        credentials: TLSCredentials,
        check: @escaping @Sendable () -> PeerCertificateCheck,
        maxFrameLength: Int = Frame.defaultMaxLength,
        handshakeTimeout: TimeAmount = PeerChannel.defaultHandshakeTimeout,
        logger: Logger
    ) async throws -> NIOAsyncChannel<PeerChannel, Never> {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        let initializer: @Sendable (Channel) -> EventLoopFuture<PeerChannel> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try PeerChannel.configure(
                    channel, role: .listener, credentials: credentials, check: check, maxFrameLength: maxFrameLength,
                    handshakeTimeout: handshakeTimeout, logger: logger
                )
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
