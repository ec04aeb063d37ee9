import NIOCore
import Replica

/// Every time reading and wait of a running node: contact and heartbeat times (wall clock),
/// session timing (monotonic), and the sleeps of the dial, head-watch and tick loops. The
/// node takes it from ``NodeConfiguration/clock``, so a test can drive the sync engine with a
/// clock it advances instead of waiting real seconds.
public protocol NodeClock: Sendable {
    /// Unix milliseconds, for what is stored or shown (contact times, heartbeats, HELLO).
    var wallMilliseconds: UInt64 { get }
    /// Nanoseconds of a clock that never goes back, for timeouts and intervals.
    var monotonicNanoseconds: UInt64 { get }
    /// Returns once `milliseconds` of this clock's monotonic time have passed; throws
    /// `CancellationError` when the task is cancelled first.
    func sleep(milliseconds: UInt64) async throws
}

extension NodeClock {
    /// Milliseconds of the monotonic clock: the unit of ``PeerSession``'s `now`.
    var monotonicMilliseconds: UInt64 { monotonicNanoseconds / 1_000_000 }
}

/// The real clocks: the system's wall clock, NIO's monotonic uptime and `Task.sleep`.
public struct SystemClock: NodeClock {
    /// Creates the system clock.
    public init() {}

    /// The system's wall clock, as the replica reads it.
    public var wallMilliseconds: UInt64 { ReplicaConfiguration.systemMilliseconds() }

    /// `CLOCK_MONOTONIC` through NIO, as the event loops' deadlines use.
    public var monotonicNanoseconds: UInt64 { NIODeadline.now().uptimeNanoseconds }

    /// `Task.sleep`.
    public func sleep(milliseconds: UInt64) async throws {
        try await Task.sleep(nanoseconds: milliseconds * 1_000_000)
    }
}
