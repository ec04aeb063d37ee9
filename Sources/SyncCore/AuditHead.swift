/// A place in a node's audit log: an entry's seq and the hash that seals it. Seq 0 with 32 zero
/// bytes is the empty log (docs/PROTOCOL.md §3, `AUDIT_ECHO`).
public struct AuditPosition: Sendable, Equatable, CustomStringConvertible {
    /// The entry's seq, from 1; 0 for none.
    public let seq: UInt64
    /// The entry's 32-byte hash.
    public let hash: [UInt8]

    /// Creates the value.
    public init(seq: UInt64, hash: [UInt8]) {
        self.seq = seq
        self.hash = hash
    }

    /// No entry: the log is empty, or nothing of it is held.
    public static let none = AuditPosition(seq: 0, hash: BatchHeader.zeroHash)

    /// Whether this is ``none``.
    public var isNone: Bool { seq == 0 }

    /// `entry 12 (3fa9c1…)`.
    public var description: String {
        isNone ? "no entry" : "entry \(seq) (\(Hex.encode(hash.prefix(6)))…)"
    }
}

/// The head of a node's audit log as the node signs it for its peers (`AUDIT_HEAD`,
/// docs/PROTOCOL.md §3): a peer keeps the newest it was sent and echoes it back, so the node can
/// show that its log still holds every head it ever gave away.
public struct AuditHead: Sendable, Equatable {
    /// The head.
    public let position: AuditPosition
    /// When the node signed it, Unix milliseconds.
    public let at: UInt64
    /// The node's log no longer holds the head this peer echoed to it: it was cut, rewritten or
    /// put back from an older copy. The receiver keeps what it holds and raises an alarm.
    public let diverged: Bool
    /// Ed25519 signature by the node's batch-signing key over ``signedBytes(network:node:)``.
    public let signature: [UInt8]

    /// Creates the value; ``signed(_:at:diverged:network:node:key:)`` makes one to send.
    public init(position: AuditPosition, at: UInt64, diverged: Bool, signature: [UInt8]) {
        self.position = position
        self.at = at
        self.diverged = diverged
        self.signature = signature
    }

    /// Signs `position` for the node `node` of `network`.
    public static func signed(
        _ position: AuditPosition, at: UInt64, diverged: Bool, network: String, node: NodeID, key: BatchSigningKey
    ) throws -> AuditHead {
        let unsigned = AuditHead(position: position, at: at, diverged: diverged, signature: [])
        return AuditHead(position: position, at: at, diverged: diverged, signature: try key.signature(for: unsigned.signedBytes(network: network, node: node)))
    }

    /// The bytes the signature covers: `pccc audit head 1` (17 ASCII bytes), then network str8,
    /// node str8, flags u8, seq u64, hash 32 and at u64, as in the message.
    public func signedBytes(network: String, node: NodeID) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(raw: Array("pccc audit head 1".utf8))
        writer.writeShortString(network)
        writer.writeShortString(node.rawValue)
        writer.write(flags)
        writer.write(position.seq)
        writer.write(raw: position.hash)
        writer.write(at)
        return writer.bytes
    }

    /// The flags byte: bit 0 is ``diverged``; the other bits are 0.
    public var flags: UInt8 { diverged ? 1 : 0 }

    /// Whether `key` signed this head as `node`'s of `network`.
    public func isSigned(by key: BatchVerifyingKey, network: String, node: NodeID) -> Bool {
        signature.count == 64 && key.isValidSignature(signature, for: signedBytes(network: network, node: node))
    }
}
