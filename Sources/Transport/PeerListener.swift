import Logging
import NIOCore
import NIOPosix
import WireProtocol

/// Accepts peer connections on one address. Each accepted connection is handed over after
/// TLS and framing are in place; the handshake itself completes (or fails) afterwards.
public enum PeerListener {
    /// Binds `host:port` (port 0 picks a free one).
    public static func bind(
        host: String,
        port: Int,
        group: EventLoopGroup,
        credentials: TLSCredentials,
        check: @escaping @Sendable () -> PeerCertificateCheck,
        maxFrameLength: Int = Frame.defaultMaxLength,
        logger: Logger
    ) async throws -> NIOAsyncChannel<PeerChannel, Never> {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try PeerChannel.configure(
                        channel, role: .listener, credentials: credentials, check: check, maxFrameLength: maxFrameLength, logger: logger
                    )
                }
            }
    }
}
