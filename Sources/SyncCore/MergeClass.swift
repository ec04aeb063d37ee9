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
    /// A set of values that merges as an add-wins observed-remove set: each addition writes a
    /// new element under a tag of its own (``SetElementKey``), a removal clears the tags its
    /// writer saw, so an addition made concurrently at another node survives it.
    case set
}

/// The field a write to one element of a set field names: the set's field, `#`, then the
/// element's tag, such as `names#0f3a9c2e5b7d1846`. A tag is 1 to 32 lowercase letters and
/// digits, made at random by the node that adds the element (docs/PROTOCOL.md §5.7).
public struct SetElementKey: Hashable, Sendable {
    /// The set field, such as `names`.
    public let field: String
    /// The element's tag.
    public let tag: String

    /// The longest tag.
    public static let maxTagLength = 32

    /// The key of `tag` in `field`; the caller gives a valid tag.
    public init(field: String, tag: String) {
        self.field = field
        self.tag = tag
    }

    /// The key a write's field name holds, or nil when it names no element (no `#`, an empty
    /// field, or a tag outside 1 to 32 lowercase letters and digits).
    public init?(_ writeField: String) {
        guard let hash = writeField.utf8.firstIndex(of: UInt8(ascii: "#")) else { return nil }
        let field = writeField[..<hash]
        let tag = writeField[writeField.utf8.index(after: hash)...]
        guard !field.isEmpty, !tag.isEmpty, tag.utf8.count <= Self.maxTagLength,
            tag.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 122) })
        else { return nil }
        self.field = String(field)
        self.tag = String(tag)
    }

    /// The field name a write to this element carries.
    public var writeField: String { field + "#" + tag }

    /// A new random tag of 16 hex digits: two nodes never make the same one in practice.
    public static func randomTag() -> String {
        let value = UInt64.random(in: .min ... .max)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
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
        case .set:
            // One element's write: a removal (nil) stands for good, so a re-sent addition never
            // revives what a writer removed; of two additions under one tag, the one with the
            // smaller stamp, whatever their values, so the order they arrive in decides nothing.
            guard let current else { return true }
            guard current.value != nil else { return false }
            guard incoming.value != nil else { return true }
            return incoming.stamp < current.stamp
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
