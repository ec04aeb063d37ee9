import Foundation
import Logging
import Node
import Records
import Replica
import SyncCore
import TestSupport
import Testing
import WireProtocol

/// The sync engine driven in-process: two engines, each over a real replica in memory through
/// ``ReplicaStorage``, joined by a ``FramePipe`` (no sockets, no TLS), on ``ManualClock``s the
/// test advances, so time-driven decisions are taken when the test says, never by waiting.
@Suite(.ownThread) struct SyncEngineTests {
    static let network = "engine-net"
    /// The default: longer than the whole test may take in real time.
    static let peerTimeout: UInt64 = 45_000
    /// Where the manual wall clocks start: years before any real reading, so a time the
    /// engine recorded shows which clock it came from.
    static let epoch: UInt64 = 1_700_000_000_000
    static let streams: SharedStreams = [StreamID(origin: "a", group: "g"), StreamID(origin: "b", group: "g")]

    /// One node: its replica, the storage adapter over it, its engine and its clock.
    struct Side {
        let node: NodeID
        let replica: Replica
        let storage: ReplicaStorage
        let engine: SyncEngine
        let clock: ManualClock

        func session(with peer: NodeID) -> PeerConnection {
            let hello = Hello(network: SyncEngineTests.network, nodeID: node, topologyDigest: [UInt8](repeating: 7, count: 32), softwareVersion: "test")
            var configuration = PeerSession.Configuration(localHello: hello, peerNodeID: peer, sharedStreams: SyncEngineTests.streams)
            configuration.peerTimeoutMilliseconds = SyncEngineTests.peerTimeout
            return engine.makeSession(peer: peer, configuration: configuration)
        }
    }

    /// Nodes a and b, both members of group g; each has a clock of its own.
    static func sides() throws -> (Side, Side) {
        let keys: [NodeID: BatchSigningKey] = ["a": BatchSigningKey(), "b": BatchSigningKey()]
        let roster = Roster(network: network, signingKeys: keys.mapValues(\.publicKey), groups: ["g": ["a", "b"]])
        let logger = Logger(label: "sync-engine-test") { _ in SwiftLogNoOpLogHandler() }
        func side(_ node: NodeID) throws -> Side {
            let replica = try Replica.inMemory(configuration: ReplicaConfiguration(nodeID: node, signingKey: keys[node]!, roster: roster))
            let storage = ReplicaStorage(replica: replica)
            storage.start()
            let clock = ManualClock(wallMilliseconds: SyncEngineTests.epoch)
            var configuration = SyncEngine.Configuration(nodeID: node)
            configuration.clock = clock
            return Side(
                node: node, replica: replica, storage: storage, engine: SyncEngine(configuration: configuration, storage: storage, logger: logger), clock: clock
            )
        }
        return (try side("a"), try side("b"))
    }

    /// Polls `condition` every 10 ms of real time, first running `step` (which may advance a
    /// clock); fails, naming `what`, after `seconds`. The default bounds a hang, not a speed:
    /// at the suite's start the other tests keep a two-core machine busy for half a minute.
    static func poll(_ what: String, seconds: Double = 60, step: () -> Void = {}, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            step()
            if try await condition() { return }
            if Date() > deadline { throw TestFailure("timed out after \(seconds) s waiting for \(what)") }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
    }

    /// Runs `body` while `engines` watch their heads and tick. The loops are child tasks of the
    /// test's own (not `Task {}`s), so under `.ownThread` they run on the test's thread: the
    /// cooperative pool, which the rest of the suite keeps busy at its start, cannot hold them
    /// back. They stop when `body` returns or throws.
    static func whileRunning(_ engines: SyncEngine..., body: () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { loops in
            for engine in engines { loops.addTask { await engine.run() } }
            defer { loops.cancelAll() }
            try await body()
        }
    }

    static func holds(_ replica: Replica, seq: UInt64, of origin: NodeID) throws -> Bool {
        try replica.streamPositions().contains { $0.origin == origin && $0.group == "g" && $0.seq >= seq }
    }

    @Test func aBatchWrittenAtOneEngineReachesTheOtherBeforeAndDuringTheSession() async throws {
        let (a, b) = try Self.sides()
        let first = try a.replica.create(.person, in: "g", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Марковић")])
        try await a.engine.prepare()
        try await b.engine.prepare()
        try await Self.whileRunning(a.engine, b.engine) {
            let (pipeA, pipeB) = FramePipe.pair()
            let atA = a.session(with: "b")
            let atB = b.session(with: "a")
            async let endedAtA = a.engine.runSession(atA, over: pipeA)
            async let endedAtB = b.engine.runSession(atB, over: pipeB)

            // Catch-up: the WANT exchange at the session's start sends what a holds.
            try await Self.poll("b to hold a's first batch") { try Self.holds(b.replica, seq: 1, of: "a") }
            guard case .live(let copy) = try b.replica.lookup(first) else {
                Issue.record("the record a wrote is not at b")
                return
            }
            #expect(copy.values["family_name"] == "Марковић")

            // Live push: a's head watch notices the write when its clock lets it poll again.
            let second = try a.replica.create(.person, in: "g", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Ђорђевић")])
            try await Self.poll("b to hold a's second batch", step: { a.clock.advance(milliseconds: a.engine.configuration.headPollMilliseconds) }) {
                try Self.holds(b.replica, seq: 2, of: "a")
            }
            guard case .live = try b.replica.lookup(second) else {
                Issue.record("the second record is not at b")
                return
            }

            // Contact times come from the engine's clock: the session came up before a's moved.
            // a notes the contact on its storage threads, which need not have run yet.
            try await Self.poll("a to note b as connected") { try a.replica.peerStatuses().contains { $0.peer == "b" && $0.connected } }
            let statusAtA = try a.replica.peerStatuses().first { $0.peer == "b" }
            #expect(statusAtA?.since == Self.epoch)
            // Heartbeat bookkeeping on the manual clocks: b acknowledges at its tick, and a's
            // heartbeat writes what b acknowledged.
            try await Self.poll(
                "a's heartbeat to record that b acknowledged a's second batch",
                step: {
                    a.clock.advance(milliseconds: a.engine.configuration.tickMilliseconds)
                    b.clock.advance(milliseconds: b.engine.configuration.tickMilliseconds)
                }
            ) {
                try a.replica.peerProgress(peer: "b").contains { $0.origin == "a" && $0.group == "g" && $0.seq >= 2 }
            }
            let heartbeat = try a.replica.servingHeartbeat() ?? 0
            #expect(heartbeat > Self.epoch && heartbeat <= a.clock.wallMilliseconds, "the heartbeat was recorded at \(heartbeat)")

            atA.close(ProtocolError(.goingAway, "the test is over"))
            _ = await (endedAtA, endedAtB)
        }
        await a.storage.shutdown()
        await b.storage.shutdown()
    }

    @Test func aSilentPeerIsDroppedWhenTheManualClockPassesThePeerTimeout() async throws {
        let (a, b) = try Self.sides()
        try await a.engine.prepare()
        try await b.engine.prepare()
        try await Self.whileRunning(a.engine, b.engine) {
            let (pipeA, pipeB) = FramePipe.pair()
            let atA = a.session(with: "b")
            let atB = b.session(with: "a")
            let timeout = Self.peerTimeout
            async let endedAtA = a.engine.runSession(atA, over: pipeA)
            async let endedAtB = b.engine.runSession(atB, over: pipeB)
            try await Self.poll("both sessions to be established") { atA.isEstablished && atB.isEstablished }
            // The start's exchange is over once each side noted the other's audit echo (version
            // 3): nothing of it arrives late to pass for b speaking after the clock moved.
            try await Self.poll("each side to note the other's audit echo") {
                try a.replica.auditEchoes().map(\.peer) == ["b"] && b.replica.auditEchoes().map(\.peer) == ["a"]
            }
            let established = Date()

            // b's clock stands still, so b sends nothing more (no ping is due); a's moves past the
            // timeout, and a's next tick, on a's clock, closes the session. What b sent before
            // (its WANT_DIGEST follows a's HELLO) may reach a only after the first move on a busy
            // machine, so each later step moves a quarter of the timeout again.
            a.clock.advance(milliseconds: timeout + 1_000)
            try await Self.poll("a to close the silent session", seconds: 40, step: { a.clock.advance(milliseconds: timeout / 4) }) {
                !atA.isEstablished
            }
            let (closedAtA, closedAtB) = await (endedAtA, endedAtB)
            #expect(closedAtA?.contains("timeout") == true, "a ended with \(closedAtA ?? "nil")")
            #expect(closedAtB?.contains("peer sent timeout") == true, "b ended with \(closedAtB ?? "nil")")
            // No real wait decided it: less real time than the timeout passed since the
            // sessions came up, and so since the last frame either received.
            #expect(Date().timeIntervalSince(established) < Double(timeout) / 1000)
        }
        await a.storage.shutdown()
        await b.storage.shutdown()
    }

    /// A heartbeat that cannot be written keeps the acknowledgements it carried: the next one
    /// records them, though the peer sends no new ACK (it has nothing new to acknowledge).
    @Test func acknowledgementsAFailedHeartbeatCarriedAreRecordedByTheNext() async throws {
        let (a, b) = try Self.sides()
        let faulty = HeartbeatFaults(a.storage)
        var configuration = SyncEngine.Configuration(nodeID: "a")
        configuration.clock = a.clock
        let engineA = SyncEngine(configuration: configuration, storage: faulty, logger: Logger(label: "sync-engine-test") { _ in SwiftLogNoOpLogHandler() })
        _ = try a.replica.create(.person, in: "g", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Марковић")])
        try await engineA.prepare()
        try await b.engine.prepare()
        try await Self.whileRunning(engineA, b.engine) {
            let (pipeA, pipeB) = FramePipe.pair()
            // The clocks race ahead of the real exchange below; a timeout far beyond what the test
            // advances keeps a slow machine from closing the session under it.
            func sessionConfiguration(_ node: NodeID, _ peer: NodeID) -> PeerSession.Configuration {
                let hello = Hello(network: Self.network, nodeID: node, topologyDigest: [UInt8](repeating: 7, count: 32), softwareVersion: "test")
                var configuration = PeerSession.Configuration(localHello: hello, peerNodeID: peer, sharedStreams: Self.streams)
                configuration.peerTimeoutMilliseconds = 1_000 * 3_600 * 24
                return configuration
            }
            let atA = engineA.makeSession(peer: "b", configuration: sessionConfiguration("a", "b"))
            let atB = b.engine.makeSession(peer: "a", configuration: sessionConfiguration("b", "a"))
            async let endedAtA = engineA.runSession(atA, over: pipeA)
            async let endedAtB = b.engine.runSession(atB, over: pipeB)
            let tick = {
                a.clock.advance(milliseconds: engineA.configuration.tickMilliseconds)
                b.clock.advance(milliseconds: b.engine.configuration.tickMilliseconds)
            }

            // Catch-up first, on real time alone; then b acknowledges a's batch at its tick, and a
            // heartbeat carrying that acknowledgement fails.
            try await Self.poll("b to hold a's batch") { try Self.holds(b.replica, seq: 1, of: "a") }
            try await Self.poll("a heartbeat carrying b's acknowledgement to fail", step: tick) { faulty.failedWithAcknowledgement }
            #expect(try a.replica.peerProgress(peer: "b").isEmpty, "a failed heartbeat wrote nothing")
            // Writes work again: a later heartbeat records what the failed one carried.
            faulty.heal()
            try await Self.poll("a's heartbeat to record b's acknowledgement", step: tick) {
                try a.replica.peerProgress(peer: "b").contains { $0.origin == "a" && $0.group == "g" && $0.seq >= 1 }
            }

            atA.close(ProtocolError(.goingAway, "the test is over"))
            _ = await (endedAtA, endedAtB)
        }
        await a.storage.shutdown()
        await b.storage.shutdown()
    }
}

/// The real storage, but each heartbeat fails until `heal()`: a disk that refuses writes for
/// a while. It notes whether a failed one carried an acknowledgement.
final class HeartbeatFaults: SyncStorage, @unchecked Sendable {
    private let storage: ReplicaStorage
    private let lock = NSLock()
    private var failing = true
    private var failedCarrying = false

    init(_ storage: ReplicaStorage) { self.storage = storage }

    var failedWithAcknowledgement: Bool { lock.withLock { failedCarrying } }
    func heal() { lock.withLock { failing = false } }

    func recordHeartbeat(_ heartbeat: ServingHeartbeat) async throws {
        let fail = lock.withLock {
            if failing, heartbeat.peers.contains(where: { !$0.acknowledged.isEmpty }) { failedCarrying = true }
            return failing
        }
        if fail { throw ReplicaError(.invalid, "the test's disk refuses the heartbeat") }
        try await storage.recordHeartbeat(heartbeat)
    }

    var maxClockSkewMilliseconds: UInt64 { storage.maxClockSkewMilliseconds }
    func updateRoster(_ roster: Roster) throws { try storage.updateRoster(roster) }
    func apply(envelope: [UInt8], relayedBy peer: NodeID) async throws -> ApplyOutcome { try await storage.apply(envelope: envelope, relayedBy: peer) }
    func batches(of stream: StreamID, after seq: UInt64, limit: Int) async throws -> [SignedBatch] {
        try await storage.batches(of: stream, after: seq, limit: limit)
    }
    func streamHeads() async throws -> HeldHeads { try await storage.streamHeads() }
    func unconfirmedOwnStreams() async throws -> [StreamID: UInt64] { try await storage.unconfirmedOwnStreams() }
    func changeVersion() async throws -> Int64 { try await storage.changeVersion() }
    func heldAuditHead(of peer: NodeID) async throws -> AuditHead? { try await storage.heldAuditHead(of: peer) }
    func noteAuditEcho(_ echo: AuditHead?, from peer: NodeID) async throws -> AuditEchoOutcome { try await storage.noteAuditEcho(echo, from: peer) }
    func noteAuditVersion(_ version: UInt16, of peer: NodeID) async throws { try await storage.noteAuditVersion(version, of: peer) }
    func auditHead(for peer: NodeID) async throws -> AuditHead? { try await storage.auditHead(for: peer) }
    func receiveAuditHead(_ head: AuditHead, from peer: NodeID) async throws -> (outcome: PeerAuditHeadOutcome, held: AuditHead?) {
        try await storage.receiveAuditHead(head, from: peer)
    }
    func resetPeerConnections(at now: UInt64) async throws { try await storage.resetPeerConnections(at: now) }
    func recordPeerConnected(peer: NodeID, at now: UInt64, topologyMatches: Bool, software: String, clockSkew: Int64) async throws {
        try await storage.recordPeerConnected(peer: peer, at: now, topologyMatches: topologyMatches, software: software, clockSkew: clockSkew)
    }
    func recordPeerCertificate(peer: NodeID, serial: String, notAfter: UInt64) async throws {
        try await storage.recordPeerCertificate(peer: peer, serial: serial, notAfter: notAfter)
    }
    func recordPeerDisconnected(peer: NodeID, at now: UInt64, error: String?, contact: UInt64?, batchIn: UInt64?, batchOut: UInt64?) async throws {
        try await storage.recordPeerDisconnected(peer: peer, at: now, error: error, contact: contact, batchIn: batchIn, batchOut: batchOut)
    }
    func acknowledgeReceivedRequests() async throws -> Int { try await storage.acknowledgeReceivedRequests() }
    func checkRedactions(caughtUpWith peer: NodeID, through heads: [StreamPosition]) async throws -> RedactionCheck {
        try await storage.checkRedactions(caughtUpWith: peer, through: heads)
    }
    func checkStaleRedactions(olderThan age: UInt64) async throws -> [StreamPosition] { try await storage.checkStaleRedactions(olderThan: age) }
}
