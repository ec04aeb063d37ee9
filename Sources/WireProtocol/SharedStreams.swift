import SyncCore

/// The streams a link carries: for every group both ends are members of, the streams of every
/// member of that group, in any of its epochs. Nothing else is sent or accepted on the link.
public struct SharedStreams: Sendable, Equatable, ExpressibleByArrayLiteral {
    /// The groups the link carries, with their members.
    public let groups: [GroupID: Set<NodeID>]
    /// Whether only streams of epoch 0 are carried: a session in protocol version 1, which
    /// cannot name a later epoch (docs/PROTOCOL.md §3).
    public let firstEpochOnly: Bool

    /// The streams of `groups`' members, in any epoch or, with `firstEpochOnly`, in epoch 0.
    public init(groups: [GroupID: Set<NodeID>], firstEpochOnly: Bool = false) {
        self.groups = groups
        self.firstEpochOnly = firstEpochOnly
    }

    /// The same groups, streams of epoch 0 only.
    public var restrictedToFirstEpoch: SharedStreams { SharedStreams(groups: groups, firstEpochOnly: true) }

    /// The groups and members the given streams name (their epochs do not matter).
    public init(arrayLiteral streams: StreamID...) {
        var groups: [GroupID: Set<NodeID>] = [:]
        for stream in streams { groups[stream.group, default: []].insert(stream.origin) }
        self.init(groups: groups)
    }

    /// Whether the link carries `stream`: its origin is a member of its group.
    public func contains(_ stream: StreamID) -> Bool {
        (!firstEpochOnly || stream.epoch == 0) && groups[stream.group]?.contains(stream.origin) ?? false
    }

    /// Every member's epoch-0 stream: always listed in a WANT, held or not, so each end knows
    /// which `(origin, group)` pairs the other carries (its later epochs ride on that).
    public var firstEpochStreams: [StreamID] {
        groups.flatMap { group, members in members.map { StreamID(origin: $0, group: group) } }
    }
}
