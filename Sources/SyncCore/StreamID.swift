/// A stream: the batches of one origin in one sharing group, numbered from 1 without gaps.
public struct StreamID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The node that made and signed the stream's batches.
    public let origin: NodeID
    /// The sharing group every batch of the stream belongs to.
    public let group: GroupID

    /// Creates a stream id.
    public init(origin: NodeID, group: GroupID) {
        self.origin = origin
        self.group = group
    }

    /// Orders by origin, then group, bytewise, as streams are listed on the wire.
    public static func < (lhs: StreamID, rhs: StreamID) -> Bool {
        if lhs.origin != rhs.origin { return lhs.origin < rhs.origin }
        return lhs.group < rhs.group
    }

    /// `origin/group`.
    public var description: String { "\(origin)/\(group)" }
}
