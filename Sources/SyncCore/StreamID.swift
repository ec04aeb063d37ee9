/// A stream: the batches of one origin in one sharing group, numbered from 1 without gaps.
public struct StreamID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The node that made and signed the stream's batches.
    public let origin: String
    /// The sharing group every batch of the stream belongs to.
    public let group: String

    /// Creates a stream id.
    public init(origin: String, group: String) {
        self.origin = origin
        self.group = group
    }

    /// Orders by origin, then group, bytewise, as streams are listed on the wire.
    public static func < (lhs: StreamID, rhs: StreamID) -> Bool {
        if lhs.origin != rhs.origin { return lhs.origin.utf8.lexicographicallyPrecedes(rhs.origin.utf8) }
        return lhs.group.utf8.lexicographicallyPrecedes(rhs.group.utf8)
    }

    /// `origin/group`.
    public var description: String { "\(origin)/\(group)" }
}
