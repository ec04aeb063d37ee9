import Foundation
import Records
import Replica
import SyncCore
import Synchronization

/// A wall clock tests can set and skew; shared by reference so a replica sees changes.
final class TestClock: Sendable {
    private let milliseconds: Mutex<UInt64>

    init(_ start: UInt64 = 1_800_000_000_000) {
        milliseconds = Mutex(start)
    }

    var now: UInt64 { milliseconds.withLock { $0 } }

    func advance(by delta: UInt64) {
        milliseconds.withLock { $0 += delta }
    }

    func set(_ value: UInt64) {
        milliseconds.withLock { $0 = value }
    }
}

/// Nodes of one test network with keys, a roster and replicas in memory or in temporary files.
struct TestRegion {
    static let network = "test-net"
    let nodeIDs: [NodeID]
    let keys: [NodeID: BatchSigningKey]
    let roster: Roster
    let clocks: [NodeID: TestClock]
    let replicas: [NodeID: Replica]

    /// `groups` defaults to one group `region` holding every node.
    init(
        nodes: [NodeID],
        groups: [GroupID: Set<NodeID>]? = nil,
        directory: URL? = nil,
        limits: BatchLimits = .default,
        timeZone: TimeZone = .current,
        tune: (inout ReplicaConfiguration) -> Void = { _ in }
    ) throws {
        nodeIDs = nodes
        var keys: [NodeID: BatchSigningKey] = [:]
        for node in nodes { keys[node] = BatchSigningKey() }
        self.keys = keys
        roster = Roster(
            network: Self.network,
            signingKeys: keys.mapValues(\.publicKey),
            groups: groups ?? ["region": Set(nodes)]
        )
        var clocks: [NodeID: TestClock] = [:]
        var replicas: [NodeID: Replica] = [:]
        for node in nodes {
            let clock = TestClock()
            clocks[node] = clock
            var configuration = ReplicaConfiguration(nodeID: node, signingKey: keys[node]!, roster: roster)
            configuration.wallClock = { clock.now }
            configuration.limits = limits
            configuration.timeZone = timeZone
            tune(&configuration)
            if let directory {
                replicas[node] = try Replica(path: directory.appendingPathComponent("\(node).sqlite").path, configuration: configuration)
            } else {
                replicas[node] = try Replica.inMemory(configuration: configuration)
            }
        }
        self.clocks = clocks
        self.replicas = replicas
    }

    subscript(node: NodeID) -> Replica { replicas[node]! }

    /// Every batch `node` holds, all streams, oldest first per stream.
    func batches(of node: NodeID) throws -> [SignedBatch] {
        let replica = self[node]
        return try replica.streamPositions().flatMap { try replica.batches(of: $0.stream, after: 0, limit: .max) }
    }

    /// Pulls both ways between every pair until nothing moves.
    func syncAll() throws {
        var moved = true
        while moved {
            moved = false
            for a in nodeIDs {
                for b in nodeIDs where a != b {
                    let before = try self[b].streamPositions()
                    try self[b].pullChecked(from: self[a])
                    moved = try moved || self[b].streamPositions() != before
                }
            }
        }
    }

    /// The next batch of `node`'s stream in `group`, made by the test with that node's own key
    /// rather than by its replica: what a hostile member writes straight from the protocol. It
    /// follows the longest copy of the stream any replica holds.
    func signed(by node: NodeID, group: GroupID = "region", _ changes: [Change]) throws -> SignedBatch {
        var last: SignedBatch?
        for replica in replicas.values {
            let held = try replica.batches(of: StreamID(origin: node, group: group), after: last?.header.seq ?? 0, limit: .max)
            if let newest = held.last { last = newest }
        }
        return try SignedBatch.make(
            network: Self.network,
            origin: node,
            group: group,
            seq: (last?.header.seq ?? 0) + 1,
            prevHash: last?.header.hash ?? BatchHeader.zeroHash,
            leaves: changes.map { .full($0) },
            signingKey: keys[node]!
        )
    }

    /// A reading of `node`'s wall clock as an HLC, for changes the test writes by hand.
    func hlc(_ node: NodeID, counter: UInt16 = 0) -> HybridTimestamp {
        HybridTimestamp(milliseconds: clocks[node]!.now, counter: counter)
    }

    /// Digests of every node, for one group or all.
    func digests(group: GroupID? = nil) throws -> Set<String> {
        Set(try nodeIDs.map { try self[$0].digest(group: group) })
    }
}

extension Replica {
    /// Pulls from `source` and fails the test's operation when any batch is not applied.
    func pullChecked(from source: Replica) throws {
        let summary = try pull(from: source)
        guard summary.refused.isEmpty else { throw ScenarioFailure("pull refused: \(summary.refused)") }
    }

    /// The live record, or nil when erased or unknown.
    func live(_ id: RecordID) throws -> RecordSnapshot? {
        if case .live(let record) = try lookup(id) { return record }
        return nil
    }
}
