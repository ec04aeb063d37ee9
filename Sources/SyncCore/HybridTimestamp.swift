/// A hybrid logical clock reading: 48 bits of Unix milliseconds and a 16-bit counter.
///
/// Readings compare as plain 64-bit integers, so the physical part dominates and the counter
/// orders events inside one millisecond.
public struct HybridTimestamp: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// The packed value: `milliseconds << 16 | counter`.
    public let rawValue: UInt64

    /// Wraps a packed value as read from storage or the wire.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Packs a physical time and a counter. Milliseconds beyond 48 bits are truncated.
    public init(milliseconds: UInt64, counter: UInt16) {
        self.rawValue = (milliseconds & 0xFFFF_FFFF_FFFF) << 16 | UInt64(counter)
    }

    /// The zero reading, older than every real one.
    public static let zero = HybridTimestamp(rawValue: 0)

    /// Unix milliseconds of the physical part.
    public var milliseconds: UInt64 { rawValue >> 16 }

    /// The logical counter inside one millisecond.
    public var counter: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    /// Orders by the packed value: milliseconds first, then the counter.
    public static func < (lhs: HybridTimestamp, rhs: HybridTimestamp) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    /// A one-line human-readable form.
    public var description: String { "\(milliseconds).\(counter)" }
}
