import TestSupport
import Testing
import Transport

@Suite struct BackoffTests {
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
            var generator = SplitMix64(seed: UInt64(seed))
            var backoff = Backoff(initialMilliseconds: 1_000, maximumMilliseconds: 1_000)
            delays.insert(backoff.nextDelay(using: &generator))
        }
        #expect(delays.count > 10, "20 nodes drew only \(delays.count) distinct delays")
    }
}
