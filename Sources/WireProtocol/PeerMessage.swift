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
    /// The head of the receiver's audit log that the sender holds, as the receiver signed it;
    /// nil for none (protocol version 3). Sent when a session opens and in answer to each
    /// `AUDIT_HEAD`.
    case auditEcho(AuditHead?)
    /// The head of the sender's own audit log, signed (protocol version 3).
    case auditHead(AuditHead)

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
        case auditEcho = 10
        case auditHead = 11
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
        case .auditEcho: .auditEcho
        case .auditHead: .auditHead
        }
    }

    /// The ERROR message carrying `error`.
    public static func error(_ error: ProtocolError) -> PeerMessage {
        .error(code: error.code.rawValue, message: error.message)
    }
}

/// The HELLO message. It offers a range of protocol versions (docs/PROTOCOL.md §3): its version
/// field is the lowest, so a version-1 node, which requires exactly 1, accepts a HELLO offering
/// 1 to 2; the highest rides at the end of the software version as ` protocols=LOW-HIGH`, which
/// a version-1 node shows as text and ignores.
public struct Hello: Equatable, Sendable {
    /// The protocol versions this build speaks: 1 (streams of epoch 0 only), 2 (epochs) and 3
    /// (audit heads).
    public static let supportedProtocolVersions: ClosedRange<UInt16> = 1...3
    /// The newest protocol version this build speaks.
    public static let currentProtocolVersion: UInt16 = supportedProtocolVersions.upperBound

    /// The lowest protocol version the sender offers: the HELLO's version field.
    public var protocolVersion: UInt16 { protocolVersions.lowerBound }
    /// The protocol versions the sender offers.
    public let protocolVersions: ClosedRange<UInt16>
    /// The sender's network id.
    public let network: String
    /// The sender's node id; must match its certificate.
    public let nodeID: NodeID
    /// SHA-256 of the sender's topology (canonical form); a mismatch is shown, not fatal.
    public let topologyDigest: [UInt8]
    /// The sender's software version, for status, without the offer of protocol versions.
    public let softwareVersion: String
    /// The sender's wall clock when it sent the HELLO, Unix milliseconds: the receiver's
    /// estimate of the peer's clock skew.
    public var sentAtMilliseconds: UInt64

    /// Creates a HELLO offering `protocolVersions`.
    public init(
        protocolVersions: ClosedRange<UInt16> = Hello.supportedProtocolVersions,
        network: String,
        nodeID: NodeID,
        topologyDigest: [UInt8],
        softwareVersion: String,
        sentAtMilliseconds: UInt64 = 0
    ) {
        self.protocolVersions = protocolVersions
        self.network = network
        self.nodeID = nodeID
        self.topologyDigest = topologyDigest
        self.softwareVersion = softwareVersion
        self.sentAtMilliseconds = sentAtMilliseconds
    }

    /// The software version field as sent (at most 255 bytes): the software version, then the
    /// offer of versions above the version field, if any, which is never cut.
    var softwareField: String {
        let offer = protocolVersions.count == 1 ? "" : " protocols=\(protocolVersions.lowerBound)-\(protocolVersions.upperBound)"
        var software = Substring(softwareVersion)
        while software.utf8.count > 255 - offer.utf8.count { software = software.dropLast() }
        return software + offer
    }

    /// Reads the version field and the software version field as sent: a trailing
    /// ` protocols=LOW-HIGH` whose LOW is the version field offers LOW to HIGH; without one,
    /// the HELLO offers its version field alone.
    init(
        versionField: UInt16, network: String, nodeID: NodeID, topologyDigest: [UInt8], softwareField: String, sentAtMilliseconds: UInt64
    ) {
        var software = softwareField
        var versions = versionField...versionField
        if let space = softwareField.lastIndex(of: " "), softwareField[softwareField.index(after: space)...].hasPrefix("protocols=") {
            let range = softwareField[softwareField.index(after: space)...].dropFirst("protocols=".count).split(separator: "-")
            if range.count == 2, let low = UInt16(range[0]), let high = UInt16(range[1]), low == versionField, high >= low {
                versions = low...high
                software = String(softwareField[..<space])
            }
        }
        self.init(
            protocolVersions: versions, network: network, nodeID: nodeID, topologyDigest: topologyDigest, softwareVersion: software,
            sentAtMilliseconds: sentAtMilliseconds)
    }

    /// The highest protocol version both HELLOs offer, or nil when they offer none in common.
    public static func agreedVersion(_ local: Hello, _ peer: Hello) -> UInt16? {
        let low = max(local.protocolVersions.lowerBound, peer.protocolVersions.lowerBound)
        let high = min(local.protocolVersions.upperBound, peer.protocolVersions.upperBound)
        return low <= high ? high : nil
    }
}
