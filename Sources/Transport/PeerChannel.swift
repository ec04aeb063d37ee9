import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import WireProtocol

/// One TLS connection to a peer, framed, as an async channel of frames. Its peer's node id is
/// known once the handshake, with ``PeerCertificateCheck``, has succeeded.
public struct PeerChannel: Sendable {
    /// The frames in and out.
    public let channel: NIOAsyncChannel<Frame, Frame>
    /// The peer's socket address, for logs.
    public let remoteAddress: String
    private let handshake: EventLoopFuture<String>
    private let serial: NIOLockedValueBox<[UInt8]>

    /// The serial of the peer's certificate, once the handshake checked it; a reloaded
    /// topology that revokes it closes the session.
    public var peerCertificateSerial: [UInt8] { serial.withLockedValue { $0 } }

    /// Waits for the handshake and returns the verified peer node id; throws when the
    /// handshake or the certificate check failed.
    public func peerNodeID() async throws -> String {
        try await handshake.get()
    }

    /// Adds TLS, the handshake watch and framing to a fresh channel.
    static func configure(
        _ channel: Channel,
        role: LinkRole,
        credentials: TLSCredentials,
        check: @escaping @Sendable () -> PeerCertificateCheck,
        maxFrameLength: Int,
        logger: Logger,
        dialedAddress: String? = nil
    ) throws -> PeerChannel {
        // A dialing channel has no remote address yet when it is configured.
        let remote = dialedAddress ?? channel.remoteAddress.map(Self.describe) ?? "unknown address"
        let acceptance = NIOLockedValueBox<PeerAcceptance?>(nil)
        let serial = NIOLockedValueBox<[UInt8]>([])
        let verify: _NIOAdditionalPeerCertificateVerificationCallback = { certificate, channel in
            serial.withLockedValue { $0 = certificate.serialNumber }
            let verdict: PeerAcceptance
            do {
                verdict = check().evaluate(leafDER: try certificate.toDERBytes(), role: role)
            } catch {
                verdict = .refused("the peer certificate cannot be read")
            }
            acceptance.withLockedValue { $0 = verdict }
            switch verdict {
            case .accepted:
                return channel.eventLoop.makeSucceededVoidFuture()
            case .refused(let reason):
                logger.warning("refused TLS peer \(remote): \(reason)")
                return channel.eventLoop.makeFailedFuture(PeerRefused(reason: reason))
            }
        }
        let tls: NIOSSLHandler
        switch role {
        case .listener:
            tls = NIOSSLServerHandler._makeSSLServerHandler(context: credentials.serverContext, additionalPeerCertificateVerificationCallback: verify)
        case .dialer:
            tls = try NIOSSLClientHandler._makeSSLClientHandler(
                context: credentials.clientContext, serverHostname: nil, additionalPeerCertificateVerificationCallback: verify
            )
        }
        let promise = channel.eventLoop.makePromise(of: String.self)
        let operations = channel.pipeline.syncOperations
        try operations.addHandler(tls)
        try operations.addHandler(HandshakeWatch(promise: promise, acceptance: acceptance, remote: remote, logger: logger))
        try operations.addHandler(ByteToMessageHandler(FrameDecoder(maxLength: maxFrameLength)))
        try operations.addHandler(MessageToByteHandler(FrameEncoder()))
        let async = try NIOAsyncChannel<Frame, Frame>(wrappingChannelSynchronously: channel)
        return PeerChannel(channel: async, remoteAddress: remote, handshake: promise.futureResult, serial: serial)
    }

    static func describe(_ address: SocketAddress) -> String {
        if let ip = address.ipAddress, let port = address.port {
            return address.protocol == .inet6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
        }
        return "\(address)"
    }
}

/// A peer certificate that TLS accepted but the topology does not.
public struct PeerRefused: Error, CustomStringConvertible, Sendable {
    /// Why.
    public let reason: String
    /// The reason.
    public var description: String { reason }
}

/// Completes the handshake promise with the verified node id, or fails it with why the
/// handshake failed, logged in words an admin can act on.
private final class HandshakeWatch: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let promise: EventLoopPromise<String>
    private let acceptance: NIOLockedValueBox<PeerAcceptance?>
    private let remote: String
    private let logger: Logger

    init(promise: EventLoopPromise<String>, acceptance: NIOLockedValueBox<PeerAcceptance?>, remote: String, logger: Logger) {
        self.promise = promise
        self.acceptance = acceptance
        self.remote = remote
        self.logger = logger
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            if case .accepted(let nodeID) = acceptance.withLockedValue({ $0 }) {
                promise.succeed(nodeID)
            } else {
                promise.fail(PeerRefused(reason: "the handshake completed without a verified peer certificate"))
                context.close(promise: nil)
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if case .refused = acceptance.withLockedValue({ $0 }) {
            // Already logged with its reason by the certificate check.
        } else if !(error is PeerRefused) {
            logger.warning("TLS handshake with \(remote) failed: \(Self.explain(error))")
        }
        promise.fail(error)
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(PeerRefused(reason: "the connection closed before the handshake completed"))
        context.fireChannelInactive()
    }

    /// A channel that never connected is torn down without going inactive; the promise must
    /// still complete. Completing an already completed promise does nothing.
    func handlerRemoved(context: ChannelHandlerContext) {
        promise.fail(PeerRefused(reason: "the connection was torn down before the handshake completed"))
    }

    /// BoringSSL's reason codes in words.
    static func explain(_ error: Error) -> String {
        let text = "\(error)"
        let reasons = [
            ("PEER_DID_NOT_RETURN_A_CERTIFICATE", "the peer presented no certificate"),
            ("CERTIFICATE_VERIFY_FAILED", "the peer certificate does not chain to the region CA or is expired"),
            ("UNSUPPORTED_PROTOCOL", "the peer does not speak TLS 1.3"),
            ("TLSV1_ALERT_PROTOCOL_VERSION", "the peer does not speak TLS 1.3"),
            ("WRONG_VERSION_NUMBER", "the peer did not speak TLS 1.3"),
            ("TLSV1_ALERT_UNKNOWN_CA", "the peer does not trust this node's CA"),
            ("SSLV3_ALERT_CERTIFICATE_REVOKED", "the peer refused this node's certificate"),
            ("SSLV3_ALERT_BAD_CERTIFICATE", "the peer refused this node's certificate"),
        ]
        for (code, words) in reasons where text.contains(code) { return "\(words) (\(code))" }
        return text
    }
}
