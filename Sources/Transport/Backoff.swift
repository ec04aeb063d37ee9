/// Reconnect delays: exponential from `initial` up to `maximum`, each drawn uniformly from
/// the upper half of the current step ("equal jitter"), so peers that lost a link together
/// do not redial in lockstep, and a node never redials faster than half a step.
public struct Backoff: Sendable {
    /// The first step, milliseconds.
    public let initialMilliseconds: UInt64
    /// The largest step, milliseconds.
    public let maximumMilliseconds: UInt64
    private var step: UInt64

    /// Creates a backoff at its first step.
    public init(initialMilliseconds: UInt64 = 250, maximumMilliseconds: UInt64 = 30_000) {
        self.initialMilliseconds = initialMilliseconds
        self.maximumMilliseconds = maximumMilliseconds
        step = initialMilliseconds
    }

    /// The next delay; doubles the step for the one after.
    public mutating func nextDelay<Generator: RandomNumberGenerator>(using generator: inout Generator) -> UInt64 {
        let half = step / 2
        let delay = half + UInt64.random(in: 0...(step - half), using: &generator)
        step = min(step * 2, maximumMilliseconds)
        return delay
    }

    /// The next delay, with the system's random numbers.
    public mutating func nextDelay() -> UInt64 {
        var generator = SystemRandomNumberGenerator()
        return nextDelay(using: &generator)
    }

    /// Back to the first step, after a session that came up.
    public mutating func reset() {
        step = initialMilliseconds
    }
}
