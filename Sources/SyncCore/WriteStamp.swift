/// What orders two writes: the HLC reading first, then the origin node id as a tie-break,
/// so every replica picks the same winner for concurrent writes.
public struct WriteStamp: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// When the write was made.
    public let hlc: HybridTimestamp
    /// The node that made the write.
    public let origin: NodeID

    /// Creates a stamp.
    public init(hlc: HybridTimestamp, origin: NodeID) {
        self.hlc = hlc
        self.origin = origin
    }

    /// Orders by HLC, then by origin id compared bytewise.
    public static func < (lhs: WriteStamp, rhs: WriteStamp) -> Bool {
        if lhs.hlc != rhs.hlc { return lhs.hlc < rhs.hlc }
        return lhs.origin < rhs.origin
    }

    /// A one-line human-readable form.
    public var description: String { "\(hlc)@\(origin)" }
}
