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

/// Dials one peer.
public enum PeerDialer {
    /// Connects to `host:port`, expecting the certificate of `peer`.
    public static func connect(
        host: String,
        port: Int,
        peer: String,
        group: EventLoopGroup,
        credentials: TLSCredentials,
        check: @escaping @Sendable () -> PeerCertificateCheck,
        maxFrameLength: Int = Frame.defaultMaxLength,
        logger: Logger
    ) async throws -> PeerChannel {
        try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try PeerChannel.configure(
                        channel, role: .dialer(expectedPeer: peer), credentials: credentials, check: check,
                        maxFrameLength: maxFrameLength, logger: logger
                    )
                }
            }
    }

    /// Splits `host:port`; IPv6 hosts are written `[::1]:7443`.
    public static func split(address: String) -> (host: String, port: Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }
}
