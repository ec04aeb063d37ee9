import SyncCore

/// The streams a link carries: for every group both ends are members of, the streams of every
/// member of that group, in any of its epochs. Nothing else is sent or accepted on the link.
public struct SharedStreams: Sendable, Equatable, ExpressibleByArrayLiteral {
    /// The groups the link carries, with their members.
    public let groups: [GroupID: Set<NodeID>]

    /// The streams of `groups`' members.
    public init(groups: [GroupID: Set<NodeID>]) {
        self.groups = groups
    }

    /// The groups and members the given streams name (their epochs do not matter).
    public init(arrayLiteral streams: StreamID...) {
        var groups: [GroupID: Set<NodeID>] = [:]
        for stream in streams { groups[stream.group, default: []].insert(stream.origin) }
        self.init(groups: groups)
    }

    /// Whether the link carries `stream`: its origin is a member of its group.
    public func contains(_ stream: StreamID) -> Bool {
        groups[stream.group]?.contains(stream.origin) ?? false
    }

    /// Every member's epoch-0 stream: always listed in a WANT, held or not, so each end knows
    /// which `(origin, group)` pairs the other carries (its later epochs ride on that).
    public var firstEpochStreams: [StreamID] {
        groups.flatMap { group, members in members.map { StreamID(origin: $0, group: group) } }
    }
}
