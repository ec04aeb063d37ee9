/// A stream: the batches of one origin, in one of its epochs, in one sharing group, numbered
/// from 1 without gaps.
///
/// A node writes in one epoch at a time. It begins a new one whenever it may no longer know
/// the end of the stream it was writing — its folder was restored or rebuilt, or a peer showed
/// it a batch of its own it does not hold — so a restored node never reuses a seq the region
/// has already seen with other content (docs/PROTOCOL.md §5.9).
public struct StreamID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The node that made and signed the stream's batches.
    public let origin: NodeID
    /// The origin's epoch: 0 for the first epoch of nodes made before epochs, else the Unix
    /// milliseconds at which the origin began it.
    public let epoch: UInt64
    /// The sharing group every batch of the stream belongs to.
    public let group: GroupID
    /// The origin as the wire and the replica's tables name the stream: the node id, followed
    /// by `~` and the epoch in decimal when the epoch is not 0. Node ids never hold `~`.
    public let originKey: String

    /// Creates a stream id.
    public init(origin: NodeID, epoch: UInt64 = 0, group: GroupID) {
        self.origin = origin
        self.epoch = epoch
        self.group = group
        originKey = Self.originKey(origin, epoch: epoch)
    }

    /// Reads a stream from its origin key (`node` or `node~epoch`) and group; throws when the
    /// key is not in its one canonical form.
    public init(originKey: String, group: GroupID) throws(WireFormatError) {
        let (origin, epoch) = try Self.parse(originKey: originKey)
        self.init(origin: origin, epoch: epoch, group: group)
    }

    /// Two ids are equal when their origin keys and groups are; the key holds origin and epoch.
    public static func == (lhs: StreamID, rhs: StreamID) -> Bool {
        lhs.originKey == rhs.originKey && lhs.group == rhs.group
    }

    /// Hashes the origin key and the group.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(originKey)
        hasher.combine(group)
    }

    /// `node` for epoch 0, else `node~epoch`.
    public static func originKey(_ origin: NodeID, epoch: UInt64) -> String {
        epoch == 0 ? origin.rawValue : "\(origin.rawValue)~\(epoch)"
    }

    /// Splits an origin key. The epoch is decimal without leading zeros and is never 0 (which
    /// is written without the suffix), so every stream has exactly one key.
    public static func parse(originKey: String) throws(WireFormatError) -> (origin: NodeID, epoch: UInt64) {
        guard let tilde = originKey.utf8.lastIndex(of: UInt8(ascii: "~")) else { return (NodeID(originKey), 0) }
        let node = originKey[..<tilde]
        let digits = originKey[originKey.index(after: tilde)...]
        guard !node.isEmpty, !node.utf8.contains(UInt8(ascii: "~")), let first = digits.utf8.first, first != UInt8(ascii: "0"),
            digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let epoch = UInt64(digits)
        else {
            throw WireFormatError("\(originKey) is not an origin: a node id, or a node id, ~ and an epoch above 0 in decimal")
        }
        return (NodeID(String(node)), epoch)
    }

    /// Orders by origin key, then group, bytewise, as streams are listed on the wire.
    public static func < (lhs: StreamID, rhs: StreamID) -> Bool {
        if lhs.originKey != rhs.originKey { return Array(lhs.originKey.utf8).lexicographicallyPrecedes(rhs.originKey.utf8) }
        return lhs.group < rhs.group
    }

    /// `origin/group`, or `origin~epoch/group`.
    public var description: String { "\(originKey)/\(group)" }
}
