/// The hybrid logical clock state machine (Kulkarni et al.), free of any time source:
/// callers pass the wall clock in, so tests drive it deterministically.
public struct HybridClock: Sendable, Equatable {
    /// The latest reading issued or observed.
    public private(set) var latest: HybridTimestamp

    /// Starts after `latest`, typically the greatest reading persisted before a restart.
    public init(latest: HybridTimestamp = .zero) {
        self.latest = latest
    }

    /// Issues a reading for a local event; strictly greater than every earlier one.
    public mutating func tick(wallMilliseconds: UInt64) -> HybridTimestamp {
        if wallMilliseconds > latest.milliseconds {
            latest = HybridTimestamp(milliseconds: wallMilliseconds, counter: 0)
        } else {
            latest = Self.successor(of: latest)
        }
        return latest
    }

    /// Folds in a reading received from another node, so later local readings order after it.
    public mutating func observe(_ remote: HybridTimestamp, wallMilliseconds: UInt64) {
        let wall = HybridTimestamp(milliseconds: wallMilliseconds, counter: 0)
        let candidate = Swift.max(latest, remote)
        latest = wall > candidate ? wall : Self.successor(of: candidate)
    }

    /// The next reading; a full counter borrows the next millisecond rather than wrapping.
    private static func successor(of reading: HybridTimestamp) -> HybridTimestamp {
        if reading.counter == UInt16.max {
            return HybridTimestamp(milliseconds: reading.milliseconds + 1, counter: 0)
        }
        return HybridTimestamp(rawValue: reading.rawValue + 1)
    }
}
