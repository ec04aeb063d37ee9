/// How concurrent writes to one field are resolved; declared once per field in the schema of
/// its record kind.
public enum MergeClass: Hashable, Sendable {
    /// The write with the greatest `(hlc, origin)` wins.
    case lww
    /// The value latest in `order` wins, whatever the clocks; values outside the order are ignored.
    case max(order: [String])
    /// Set at creation; later writes are ignored. Of two creates by the record's owner, the
    /// earlier one's value stands.
    case immutable
    /// Only writes whose origin is the record's origin count; among those, lww.
    case owner
}

/// A field's current value with the stamp of the write that set it.
public struct StampedValue: Hashable, Sendable {
    /// The value, or nil when cleared.
    public let value: String?
    /// The write that set it.
    public let stamp: WriteStamp

    /// Creates a stamped value.
    public init(value: String?, stamp: WriteStamp) {
        self.value = value
        self.stamp = stamp
    }
}

/// The merge rules as one pure function, shared by local writes and remote apply so both
/// decide identically.
public enum MergeRule {
    /// Whether `incoming` replaces `current` for a field of class `mergeClass`.
    ///
    /// - Parameters:
    ///   - current: the field's present value, nil when never written.
    ///   - recordOrigin: the record's origin, or nil while its create has not arrived.
    ///   - isCreate: whether the write comes from the record's create.
    public static func incomingWins(
        _ mergeClass: MergeClass,
        current: StampedValue?,
        incoming: StampedValue,
        recordOrigin: NodeID?,
        isCreate: Bool
    ) -> Bool {
        switch mergeClass {
        case .immutable:
            // Of several creates by the owner (one applied again once the schema knew all of it),
            // the earliest sets the field, whichever a node met first.
            guard isCreate else { return false }
            guard let current else { return true }
            return incoming.stamp < current.stamp
        case .owner:
            guard let recordOrigin, incoming.stamp.origin == recordOrigin else { return false }
            guard let current else { return true }
            // A value left by a non-owner (written before the create arrived) never stands.
            return current.stamp.origin != recordOrigin || current.stamp < incoming.stamp
        case .lww:
            guard let current else { return true }
            return current.stamp < incoming.stamp
        case .max(let order):
            guard let incomingRank = rank(incoming.value, in: order) else { return false }
            guard let current else { return true }
            guard let currentRank = rank(current.value, in: order) else { return true }
            if incomingRank != currentRank { return incomingRank > currentRank }
            return current.stamp < incoming.stamp
        }
    }

    private static func rank(_ value: String?, in order: [String]) -> Int? {
        guard let value else { return nil }
        return order.firstIndex(of: value)
    }
}
