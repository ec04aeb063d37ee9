import Logging
import NIOCore
import NIOPosix
import SyncCore
import WireProtocol

/// Dials one peer.
public enum PeerDialer {
    /// Connects to `host:port`, expecting the certificate of `peer`.
    public static func connect(
        host: String,
        port: Int,
        peer: NodeID,
        group: EventLoopGroup,
        credentials: TLSCredentials,
        check: @escaping @Sendable () -> PeerCertificateCheck,
        maxFrameLength: Int = Frame.defaultMaxLength,
        handshakeTimeout: TimeAmount = PeerChannel.defaultHandshakeTimeout,
        logger: Logger
    ) async throws -> PeerChannel {
        try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try PeerChannel.configure(
                        channel, role: .dialer(expectedPeer: peer), credentials: credentials, check: check,
                        maxFrameLength: maxFrameLength, handshakeTimeout: handshakeTimeout, logger: logger, dialedAddress: "\(host):\(port)"
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
