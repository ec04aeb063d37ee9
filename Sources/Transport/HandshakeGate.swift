import NIOConcurrencyHelpers
import NIOCore

/// Decides, as each TCP connection is accepted and before any TLS work, whether the peer port
/// takes it: a bounded number of handshakes may be in progress per source address and in all,
/// and each source may open only so many connections a second. Anyone can reach the port, so
/// without these a flood of idle connections or ClientHellos from one address would take the
/// event loops from the real peers' sessions and from the API.
public final class HandshakeGate: Sendable {
    /// The bounds, with defaults meant for a region of tens of centres.
    public struct Limits: Sendable, Equatable {
        /// Handshakes in progress from one source address.
        public var perSource: Int
        /// Handshakes in progress in all.
        public var total: Int
        /// New connections one source may open per second, on average.
        public var connectionsPerSecond: Double
        /// New connections one source may open at once after being quiet.
        public var burst: Double

        /// Creates limits.
        public init(perSource: Int, total: Int, connectionsPerSecond: Double, burst: Double) {
            self.perSource = perSource
            self.total = total
            self.connectionsPerSecond = connectionsPerSecond
            self.burst = burst
        }

        /// 8 handshakes per source, 64 in all, 20 new connections a second per source (bursts of 20).
        public static let `default` = Limits(perSource: 8, total: 64, connectionsPerSecond: 20, burst: 20)
    }

    /// Why a connection was not taken; the `reason` label of the refusal counter.
    public enum Refusal: String, Sendable {
        /// The source has `perSource` handshakes in progress.
        case perSource = "per_source"
        /// `total` handshakes are in progress.
        case total
        /// The source opens connections faster than `connectionsPerSecond`.
        case rate
    }

    /// One admitted handshake; releasing it (once, whichever comes first: the handshake
    /// settling or the connection closing) frees its place.
    public final class Slot: Sendable {
        private let release: NIOLockedValueBox<(@Sendable () -> Void)?>

        init(_ release: @escaping @Sendable () -> Void) {
            self.release = NIOLockedValueBox(release)
        }

        /// Frees the place; later calls do nothing.
        public func free() {
            let action = release.withLockedValue { action in
                defer { action = nil }
                return action
            }
            action?()
        }
    }

    private struct Source {
        var inProgress = 0
        var tokens: Double
        var refilledAt: UInt64
    }

    private struct State {
        var sources: [String: Source] = [:]
        var inProgress = 0
    }

    private let limits: Limits
    private let state = NIOLockedValueBox(State())

    /// Creates a gate.
    public init(limits: Limits = .default) {
        self.limits = limits
    }

    /// Takes a connection from `source` at `now` (monotonic nanoseconds) and returns its slot,
    /// or why it is refused.
    public func admit(source: String, now: UInt64) -> Result<Slot, RefusedConnection> {
        let limits = self.limits
        let verdict: Refusal? = state.withLockedValue { state in
            var entry = state.sources[source] ?? Source(tokens: limits.burst, refilledAt: now)
            let elapsed = Double(now &- entry.refilledAt) / 1e9
            entry.tokens = min(limits.burst, entry.tokens + elapsed * limits.connectionsPerSecond)
            entry.refilledAt = now
            defer { state.sources[source] = entry }
            guard entry.tokens >= 1 else { return .rate }
            entry.tokens -= 1
            guard entry.inProgress < limits.perSource else { return .perSource }
            guard state.inProgress < limits.total else { return .total }
            entry.inProgress += 1
            state.inProgress += 1
            if state.sources.count > 4_096 { Self.forgetQuietSources(&state, now: now, limits: limits) }
            return nil
        }
        if let verdict { return .failure(RefusedConnection(reason: verdict)) }
        return .success(
            Slot { [state] in
                state.withLockedValue { state in
                    state.inProgress -= 1
                    state.sources[source]?.inProgress -= 1
                }
            }
        )
    }

    /// How many handshakes are in progress, for tests and metrics.
    public var handshakesInProgress: Int { state.withLockedValue { $0.inProgress } }

    /// Drops sources with nothing in progress and a full bucket: they would be made afresh the
    /// same, so the table stays bounded however many addresses connect.
    private static func forgetQuietSources(_ state: inout State, now: UInt64, limits: Limits) {
        state.sources = state.sources.filter { _, entry in
            let elapsed = Double(now &- entry.refilledAt) / 1e9
            return entry.inProgress > 0 || entry.tokens + elapsed * limits.connectionsPerSecond < limits.burst
        }
    }
}

/// A connection the gate did not take, closed before any TLS work.
public struct RefusedConnection: Error, Sendable, CustomStringConvertible {
    /// Which bound it met.
    public let reason: HandshakeGate.Refusal

    /// One sentence.
    public var description: String {
        switch reason {
        case .perSource: return "too many handshakes in progress from this address"
        case .total: return "too many handshakes in progress"
        case .rate: return "this address opens connections too fast"
        }
    }
}
