import Testing
import Transport

@Suite struct BackoffTests {
    /// SplitMix64: seeded, so two backoffs can be given different random streams.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func delaysDoubleUpToTheCapWithinTheUpperHalfOfEachStep() {
        var backoff = Backoff(initialMilliseconds: 100, maximumMilliseconds: 1_000)
        var generator = SystemRandomNumberGenerator()
        let steps: [UInt64] = [100, 200, 400, 800, 1_000, 1_000]
        for step in steps {
            let delay = backoff.nextDelay(using: &generator)
            #expect((step / 2...step).contains(delay), "delay \(delay) for step \(step)")
        }
        backoff.reset()
        #expect((50...100).contains(backoff.nextDelay(using: &generator)))
    }

    @Test func nodesThatLostALinkTogetherDoNotRedialInLockstep() {
        var delays: Set<UInt64> = []
        for seed in 1...20 {
            var generator = Seeded(state: UInt64(seed))
            var backoff = Backoff(initialMilliseconds: 1_000, maximumMilliseconds: 1_000)
            delays.insert(backoff.nextDelay(using: &generator))
        }
        #expect(delays.count > 10, "20 nodes drew only \(delays.count) distinct delays")
    }
}
