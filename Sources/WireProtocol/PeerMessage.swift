import SyncCore

/// The messages of the sync protocol (DESIGN §5). Byte layouts are in docs/PROTOCOL.md.
public enum PeerMessage: Equatable, Sendable {
    /// Who the sender is; the first message each side sends.
    case hello(Hello)
    /// For each listed stream, the next seq the sender wants. Sent after HELLO, and again for a
    /// stream whose position the sender needs to reset.
    case want([StreamID: UInt64])
    /// One batch envelope, exactly as stored.
    case batch([UInt8])
    /// The highest seq the sender has applied, per stream.
    case ack([StreamID: UInt64])
    /// Liveness probe; the peer answers PONG with the same nonce.
    case ping(UInt64)
    /// Answer to PING.
    case pong(UInt64)
    /// Why the sender is closing; the connection closes after it.
    case error(code: String, message: String)
    /// SHA-256 of the WANT the sender would send (its body, see ``PeerSession/wantDigest(_:)``):
    /// sent after HELLO instead of that WANT, so two nodes already in step exchange 32 bytes
    /// rather than a line per stream.
    case wantDigest([UInt8])
    /// Asks the peer for its full WANT: its WANT digest did not match.
    case wantRequest

    /// The frame type byte of each message.
    public enum Kind: UInt8, Sendable, CaseIterable {
        case hello = 1
        case want = 2
        case batch = 3
        case ack = 4
        case ping = 5
        case pong = 6
        case error = 7
        case wantDigest = 8
        case wantRequest = 9
    }

    /// This message's type byte.
    public var kind: Kind {
        switch self {
        case .hello: .hello
        case .want: .want
        case .batch: .batch
        case .ack: .ack
        case .ping: .ping
        case .pong: .pong
        case .error: .error
        case .wantDigest: .wantDigest
        case .wantRequest: .wantRequest
        }
    }

    /// The ERROR message carrying `error`.
    public static func error(_ error: ProtocolError) -> PeerMessage {
        .error(code: error.code.rawValue, message: error.message)
    }
}

/// The HELLO message.
public struct Hello: Equatable, Sendable {
    /// The protocol version this build speaks.
    public static let currentProtocolVersion: UInt16 = 2

    /// The sender's protocol version.
    public let protocolVersion: UInt16
    /// The sender's network id.
    public let network: String
    /// The sender's node id; must match its certificate.
    public let nodeID: NodeID
    /// SHA-256 of the sender's topology (canonical form); a mismatch is shown, not fatal.
    public let topologyDigest: [UInt8]
    /// The sender's software version, for status.
    public let softwareVersion: String
    /// The sender's wall clock when it sent the HELLO, Unix milliseconds: the receiver's
    /// estimate of the peer's clock skew.
    public var sentAtMilliseconds: UInt64

    /// Creates a HELLO.
    public init(
        protocolVersion: UInt16 = Hello.currentProtocolVersion,
        network: String,
        nodeID: NodeID,
        topologyDigest: [UInt8],
        softwareVersion: String,
        sentAtMilliseconds: UInt64 = 0
    ) {
        self.protocolVersion = protocolVersion
        self.network = network
        self.nodeID = nodeID
        self.topologyDigest = topologyDigest
        self.softwareVersion = softwareVersion
        self.sentAtMilliseconds = sentAtMilliseconds
    }
}
