import CoreMetrics
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import SyncCore
import WireProtocol
import X509

/// One TLS connection to a peer, framed, as an async channel of frames. Its peer's node id is
/// known once the handshake, with ``PeerCertificateCheck``, has succeeded.
public struct PeerChannel: Sendable {
    /// The frames in and out.
    public let channel: NIOAsyncChannel<Frame, Frame>
    /// The peer's socket address, for logs.
    public let remoteAddress: String
    private let handshake: EventLoopFuture<NodeID>
    private let serial: NIOLockedValueBox<[UInt8]>
    private let notAfter: NIOLockedValueBox<Date?>

    /// The serial of the peer's certificate, once the handshake checked it; a reloaded
    /// topology that revokes it closes the session.
    public var peerCertificateSerial: [UInt8] { serial.withLockedValue { $0 } }

    /// When the peer's certificate stops being valid, once the handshake checked it; nil
    /// before, or when it could not be read.
    public var peerCertificateNotAfter: Date? { notAfter.withLockedValue { $0 } }

    /// How long a TLS handshake may take unless the node is told otherwise. A peer that stalls
    /// it, or a link that lost its bytes, would otherwise hold the connection (and the node's
    /// shutdown) for ever.
    public static let defaultHandshakeTimeout = TimeAmount.seconds(10)

    /// Waits for the handshake and returns the verified peer node id; throws when the
    /// handshake or the certificate check failed.
    public func peerNodeID() async throws -> NodeID {
        // A cancelled wait (the node shutting down) closes the connection, which fails the
        // handshake at once instead of leaving the wait to the handshake deadline.
        try await withTaskCancellationHandler {
            try await handshake.get()
        } onCancel: {
            channel.channel.close(promise: nil)
        }
    }

    /// Adds TLS, the handshake watch and framing to a fresh channel.
    static func configure(
        _ channel: Channel,
        role: LinkRole,
        credentials: TLSCredentials,
        check: @escaping @Sendable () -> PeerCertificateCheck,
        maxFrameLength: Int,
        handshakeTimeout: TimeAmount,
        logger: Logger,
        dialedAddress: String? = nil,
        onHandshakeSettled: (@Sendable () -> Void)? = nil
    ) throws -> PeerChannel {
        // A dialing channel has no remote address yet when it is configured.
        let remote = dialedAddress ?? channel.remoteAddress.map(Self.describe) ?? "unknown address"
        if role == .listener { logger.debug("connection from \(remote): TLS handshake started") }
        let acceptance = NIOLockedValueBox<PeerAcceptance?>(nil)
        let serial = NIOLockedValueBox<[UInt8]>([])
        let notAfter = NIOLockedValueBox<Date?>(nil)
        let verify: _NIOAdditionalPeerCertificateVerificationCallback = { certificate, channel in
            serial.withLockedValue { $0 = certificate.serialNumber }
            let verdict: PeerAcceptance
            do {
                let der = try certificate.toDERBytes()
                notAfter.withLockedValue { $0 = (try? Certificate(derEncoded: der))?.notValidAfter }
                verdict = check().evaluate(leafDER: der, role: role)
            } catch {
                verdict = .refused(HandshakeRefusal(.unreadableCertificate, "the peer certificate cannot be read"))
            }
            acceptance.withLockedValue { $0 = verdict }
            switch verdict {
            case .accepted:
                return channel.eventLoop.makeSucceededVoidFuture()
            case .refused(let refusal):
                logger.warning("refused TLS peer \(remote): \(refusal.reason)")
                return channel.eventLoop.makeFailedFuture(PeerRefused(refusal))
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
        let promise = channel.eventLoop.makePromise(of: NodeID.self)
        if let onHandshakeSettled { promise.futureResult.whenComplete { _ in onHandshakeSettled() } }
        let operations = channel.pipeline.syncOperations
        try operations.addHandler(tls)
        try operations.addHandler(
            HandshakeWatch(
                promise: promise, acceptance: acceptance, authorities: credentials.authorities, remote: remote, deadline: handshakeTimeout, logger: logger
            )
        )
        try operations.addHandler(ByteToMessageHandler(FrameDecoder(maxLength: maxFrameLength)))
        try operations.addHandler(MessageToByteHandler(FrameEncoder()))
        // Teardown on release, which NIO deprecates in favour of `executeThenClose`: an accepted
        // connection the listener has not yet handed out when the node stops is dropped with the
        // listener's stream, and a writer released unfinished traps the process
        // (swift-nio#2813, #2637: "Deinited NIOAsyncWriter without calling finish()", which
        // crashed a stopping node holding a stalled handshake). Every connection that is used
        // still goes through `executeThenClose`; one released unused is now closed instead.
        let async = try NIOAsyncChannel<Frame, Frame>(synchronouslyWrapping: channel)
        return PeerChannel(channel: async, remoteAddress: remote, handshake: promise.futureResult, serial: serial, notAfter: notAfter)
    }

    /// `ip:port`, or `[ip]:port` for IPv6: how logs name a socket address.
    public static func describe(_ address: SocketAddress) -> String {
        if let ip = address.ipAddress, let port = address.port {
            return address.protocol == .inet6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
        }
        return "\(address)"
    }
}

/// A handshake that did not open a session: TLS failed, or the topology refused the
/// certificate TLS accepted.
public struct PeerRefused: Error, CustomStringConvertible, Sendable {
    /// Why.
    public let refusal: HandshakeRefusal

    init(_ refusal: HandshakeRefusal) {
        self.refusal = refusal
    }

    /// The reason.
    public var description: String { refusal.reason }
}

/// Completes the handshake promise with the verified node id, or fails it with why the
/// handshake failed, logged in words an admin can act on and counted by reason once per
/// connection.
private final class HandshakeWatch: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let promise: EventLoopPromise<NodeID>
    private let acceptance: NIOLockedValueBox<PeerAcceptance?>
    private let authorities: [Certificate]
    private let remote: String
    private let logger: Logger
    private let settled = NIOLockedValueBox(false)
    /// How long the handshake may take.
    private let timeout: TimeAmount
    private let deadline = NIOLockedValueBox<Scheduled<Void>?>(nil)

    init(
        promise: EventLoopPromise<NodeID>, acceptance: NIOLockedValueBox<PeerAcceptance?>, authorities: [Certificate], remote: String, deadline: TimeAmount,
        logger: Logger
    ) {
        self.promise = promise
        self.acceptance = acceptance
        self.authorities = authorities
        self.remote = remote
        self.timeout = deadline
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        let scheduled = context.eventLoop.scheduleTask(in: timeout) { [self] in
            guard !settled.withLockedValue({ $0 }) else { return }
            fail(HandshakeRefusal(.incomplete, "the TLS handshake did not finish within \(Self.describe(timeout))"))
            channel.close(promise: nil)
        }
        deadline.withLockedValue { $0 = scheduled }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            if case .accepted(let nodeID) = acceptance.withLockedValue({ $0 }) {
                settled.withLockedValue { $0 = true }
                deadline.withLockedValue { $0 }?.cancel()
                promise.succeed(nodeID)
            } else {
                fail(HandshakeRefusal(.unreadableCertificate, "the handshake completed without a verified peer certificate"))
                context.close(promise: nil)
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if case .refused(let refusal) = acceptance.withLockedValue({ $0 }) {
            // Already logged with its reason by the certificate check.
            fail(refusal, logged: true)
        } else if let refused = error as? PeerRefused {
            fail(refused.refusal, logged: true)
        } else {
            var refusal = Self.explain(error)
            if refusal.code == .untrustedCertificate {
                // BoringSSL keeps the certificate the peer sent even when its chain failed.
                let leaf = try? context.pipeline.syncOperations.nioSSL_peerCertificate()?.toDERBytes()
                refusal = .failedChain(leafDER: leaf, authorities: authorities, now: Date())
            }
            fail(refusal)
        }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(HandshakeRefusal(.incomplete, "the connection closed before the handshake completed"), logged: true)
        context.fireChannelInactive()
    }

    /// A channel that never connected is torn down without going inactive; the promise must
    /// still complete. A peer that is down is not a refused handshake, so it is not counted.
    func handlerRemoved(context: ChannelHandlerContext) {
        fail(HandshakeRefusal(.incomplete, "the connection was torn down before the handshake completed"), logged: true, counted: false)
    }

    /// Fails the handshake once: the first failure is the one logged and counted.
    private func fail(_ refusal: HandshakeRefusal, logged: Bool = false, counted: Bool = true) {
        let first = settled.withLockedValue { settled in
            defer { settled = true }
            return !settled
        }
        guard first else { return }
        deadline.withLockedValue { $0 }?.cancel()
        if !logged { logger.warning("TLS handshake with \(remote) failed: \(refusal.reason)") }
        guard counted else {
            promise.fail(PeerRefused(refusal))
            return
        }
        Counter(label: "pccc_refused_handshakes_total", dimensions: [("reason", refusal.code.rawValue)]).increment()
        promise.fail(PeerRefused(refusal))
    }

    /// "10 s", or "500 ms" for a timeout that is not whole seconds.
    static func describe(_ amount: TimeAmount) -> String {
        let milliseconds = amount.nanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }

    /// BoringSSL's reason codes in words.
    static func explain(_ error: Error) -> HandshakeRefusal {
        let text = "\(error)"
        let reasons: [(String, HandshakeRefusal.Code, String)] = [
            ("PEER_DID_NOT_RETURN_A_CERTIFICATE", .noCertificate, "the peer presented no certificate"),
            ("CERTIFICATE_VERIFY_FAILED", .untrustedCertificate, "the peer certificate does not chain to the region CA"),
            ("UNSUPPORTED_PROTOCOL", .tlsVersion, "the peer does not speak TLS 1.3"),
            ("TLSV1_ALERT_PROTOCOL_VERSION", .tlsVersion, "the peer does not speak TLS 1.3"),
            ("WRONG_VERSION_NUMBER", .tlsVersion, "the peer did not speak TLS 1.3"),
            ("TLSV1_ALERT_UNKNOWN_CA", .refusedByPeer, "the peer does not trust this node's CA"),
            ("SSLV3_ALERT_CERTIFICATE_EXPIRED", .refusedAsExpired, "the peer says this node's certificate has expired or is not yet valid"),
            ("SSLV3_ALERT_CERTIFICATE_REVOKED", .refusedByPeer, "the peer refused this node's certificate"),
            ("SSLV3_ALERT_BAD_CERTIFICATE", .refusedByPeer, "the peer refused this node's certificate"),
        ]
        for (code, kind, words) in reasons where text.contains(code) { return HandshakeRefusal(kind, "\(words) (\(code))") }
        return HandshakeRefusal(.incomplete, text)
    }
}
