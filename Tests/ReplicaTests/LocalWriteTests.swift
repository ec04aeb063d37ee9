import Foundation
import Records
import Replica
import SyncCore
import TestSupport
import Testing

/// Local writes: one transaction is one batch, chained; refused writes change nothing.
@Suite(.ownThread) struct LocalWriteTests {
    @Test func eachTransactionIsOneBatchChainedToThePrevious() throws {
        let region = try TestRegion(nodes: ["aa-one"])
        let replica = region["aa-one"]
        let first = try replica.transact(in: "region") { transaction in
            transaction.create(.person, [FieldWrite("category", "suspect"), FieldWrite("family_name", "One")])
            transaction.create(.vehicle, [FieldWrite("plate", "SK-1")])
        }
        let second = try replica.transact(in: "region") { $0.create(.person, [FieldWrite("category", "suspect"), FieldWrite("family_name", "Two")]) }
        #expect(first.header.seq == 1 && first.header.changeCount == 2 && first.header.prevHash == BatchHeader.zeroHash)
        #expect(second.header.seq == 2 && second.header.prevHash == first.header.hash)
        #expect(second.header.hlcMin > first.header.hlcMax, "HLCs keep rising across transactions")
        #expect(try replica.batches(of: StreamID(origin: "aa-one", group: "region"), after: 0) == [first, second])
        #expect(try replica.schemaVersion() == 20)
    }

    @Test func refusedWritesStoreNothing() throws {
        var limits = BatchLimits.default
        limits.maxEnvelopeBytes = 2048
        let region = try TestRegion(nodes: ["aa-one", "bb-two"], groups: ["region": ["aa-one", "bb-two"], "private": ["bb-two"]], limits: limits)
        let replica = region["aa-one"]
        let digest = try replica.digest()
        #expect(throws: ReplicaError.self) {
            try replica.transact(in: "region") { transaction in
                for index in 0..<200 {
                    transaction.create(.person, [FieldWrite("category", "suspect"), FieldWrite("family_name", "Person \(index) \(UUID())")])
                }
            }
        }
        #expect(throws: ReplicaError(.notMember, "this node is not a member of group private")) {
            _ = try replica.create(.person, in: "private", [FieldWrite("category", "suspect"), FieldWrite("family_name", "X")])
        }
        #expect(throws: ReplicaError(.invalid, "field alert cannot be \"armed\"; allowed values are wanted, missing, suspect, none", field: "alert")) {
            _ = try replica.create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "X"), FieldWrite("alert", "armed")])
        }
        let unknown = RecordID.make(milliseconds: 7)
        #expect(throws: ReplicaError(.notFound, "no record has id \(unknown)")) { try replica.update(unknown, [FieldWrite("given_name", "Y")]) }
        #expect(throws: ReplicaError(.notFound, "no record has id \(unknown)")) {
            _ = try replica.append(.hit, [FieldWrite("record_id", unknown.description), FieldWrite("place", "P")])
        }
        #expect(throws: ReplicaError.self) { try replica.transact(in: "region") { _ in } }
        #expect(try replica.digest() == digest)
        #expect(try replica.streamPositions().isEmpty)

        let id = try replica.create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Z")])
        #expect(throws: ReplicaError(.invalid, "the erasure reason must be a code of 1 to 64 lowercase letters, digits, '_' or '-'", field: "reason")) {
            try replica.erase(id, reason: "Because I said so")
        }
        try replica.erase(id, reason: "retention_expired")
        #expect(throws: ReplicaError(.erased, "record \(id) has been erased")) { try replica.erase(id, reason: "again") }
    }

    @Test func aReplicaFileRefusesAnotherNode() throws {
        let folder = try TemporaryDirectory()
        let region = try TestRegion(nodes: ["aa-one", "bb-two"], directory: folder.url)
        let path = folder.url.appendingPathComponent("aa-one.sqlite").path
        let impostor = ReplicaConfiguration(nodeID: "bb-two", signingKey: region.keys["bb-two"]!, roster: region.roster)
        #expect(throws: ReplicaError(.wrongReplica, "this replica belongs to node id aa-one, not bb-two")) {
            _ = try Replica(path: path, configuration: impostor)
        }
    }
}
