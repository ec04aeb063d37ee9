import Testing
import Transport

/// The peer port's admission rule as a pure value: per-source and total handshakes in
/// progress, and a per-source token bucket, on a clock the test drives.
@Suite struct HandshakeGateTests {
    func refusal(_ result: Result<HandshakeGate.Slot, RefusedConnection>) -> HandshakeGate.Refusal? {
        if case .failure(let refused) = result { return refused.reason }
        return nil
    }

    @Test func aSourceGetsItsShareAndNoMoreWhileOthersStillGetIn() throws {
        let gate = HandshakeGate(limits: .init(perSource: 2, total: 3, connectionsPerSecond: 1, burst: 10))
        let first = try gate.admit(source: "10.0.0.9", now: 0).get()
        _ = try gate.admit(source: "10.0.0.9", now: 0).get()
        #expect(refusal(gate.admit(source: "10.0.0.9", now: 0)) == .perSource)
        _ = try gate.admit(source: "10.0.0.1", now: 0).get()
        #expect(refusal(gate.admit(source: "10.0.0.2", now: 0)) == .total)
        #expect(gate.handshakesInProgress == 3)
        first.free()
        first.free()
        #expect(gate.handshakesInProgress == 2, "a slot frees its place once")
        _ = try gate.admit(source: "10.0.0.9", now: 0).get()
    }

    @Test func aSourceThatConnectsTooFastWaitsForItsBucketToRefill() throws {
        let gate = HandshakeGate(limits: .init(perSource: 100, total: 100, connectionsPerSecond: 2, burst: 3))
        for _ in 0..<3 { try gate.admit(source: "10.0.0.9", now: 0).get().free() }
        #expect(refusal(gate.admit(source: "10.0.0.9", now: 0)) == .rate)
        #expect(refusal(gate.admit(source: "10.0.0.9", now: 400_000_000)) == .rate, "0.4 s refills 0.8 of a connection")
        try gate.admit(source: "10.0.0.9", now: 500_000_000).get().free()
        try gate.admit(source: "10.0.0.1", now: 500_000_000).get().free()
    }
}
