import Records
import Replica
import SyncCore
import Testing

/// Which key signs which part of a node's streams (docs/PROTOCOL.md §5.10): batches signed
/// before a rotation verify for ever, a revoked key signs nothing after its point, and a new
/// epoch under a key the topology does not list yet waits rather than closing the session.
@Suite struct SigningKeyHistoryTests {
    let oldKey = BatchSigningKey()
    let newKey = BatchSigningKey()
    let rotation: UInt64 = 1_900_000_000_000

    func receiver(_ history: SigningKeyHistory) throws -> Replica {
        let roster = Roster(
            network: "keys-net", keyHistories: ["a": history, "b": SigningKeyHistory(BatchSigningKey().publicKey)], groups: ["region": ["a", "b"]])
        return try Replica.inMemory(configuration: ReplicaConfiguration(nodeID: "b", signingKey: BatchSigningKey(), roster: roster))
    }

    func batch(epoch: UInt64, seq: UInt64, after previous: SignedBatch?, key: BatchSigningKey, name: String) throws -> SignedBatch {
        let now = ReplicaConfiguration.systemMilliseconds()
        let change = Change(
            kind: "person", recordID: RecordID.make(milliseconds: now, boundTo: RecordBinding(origin: "a", group: "region", kind: "person")),
            hlc: HybridTimestamp(milliseconds: now, counter: 0), operation: .create([FieldWrite("family_name", name)]))
        return try SignedBatch.make(
            network: "keys-net", origin: "a", epoch: epoch, group: "region", seq: seq, prevHash: previous?.header.hash ?? BatchHeader.zeroHash,
            leaves: [.full(change)], signingKey: key)
    }

    @Test func eachKeyVerifiesTheEpochsItSignsAndNoOther() throws {
        let history = try #require(
            SigningKeyHistory(entries: [.init(key: oldKey.publicKey), .init(key: newKey.publicKey, fromEpoch: rotation)]))
        let node = try receiver(history)
        let before = try batch(epoch: 0, seq: 1, after: nil, key: oldKey, name: "Old key")
        #expect(try node.apply(envelope: before.envelope) == .applied(changes: 1))
        let after = try batch(epoch: rotation, seq: 1, after: nil, key: newKey, name: "New key")
        #expect(try node.apply(envelope: after.envelope) == .applied(changes: 1))
        let oldInNew = try batch(epoch: rotation, seq: 2, after: after, key: oldKey, name: "Old key, new epoch")
        guard case .rejected(let rejection) = try node.apply(envelope: oldInNew.envelope) else {
            Issue.record("the old key signed a batch of the new key's epoch")
            return
        }
        #expect(rejection.code == .badSignature)
        let newInOld = try batch(epoch: 0, seq: 2, after: before, key: newKey, name: "New key, old epoch")
        guard case .rejected(let refused) = try node.apply(envelope: newInOld.envelope) else {
            Issue.record("the new key signed a batch of an epoch before it")
            return
        }
        #expect(refused.code == .badSignature)
    }

    @Test func aRevokedKeySignsNothingAfterItsPointOnAnyNode() throws {
        let history = try #require(
            SigningKeyHistory(entries: [
                .init(key: oldKey.publicKey, revokedAfter: [0: ["region": 2]]), .init(key: newKey.publicKey, fromEpoch: rotation),
            ]))
        let one = try batch(epoch: 0, seq: 1, after: nil, key: oldKey, name: "One")
        let two = try batch(epoch: 0, seq: 2, after: one, key: oldKey, name: "Two")
        let stolen = try batch(epoch: 0, seq: 3, after: two, key: oldKey, name: "Signed with the stolen key")
        let otherEpoch = try batch(epoch: 7, seq: 1, after: nil, key: oldKey, name: "An epoch the revocation does not list")
        var digests: Set<String> = []
        for _ in 0..<2 {
            let node = try receiver(history)
            #expect(try node.apply(envelope: one.envelope) == .applied(changes: 1), "before the point the key still verifies")
            #expect(try node.apply(envelope: two.envelope) == .applied(changes: 1))
            guard case .revoked = try node.apply(envelope: stolen.envelope) else {
                Issue.record("a batch after the revocation point was taken")
                return
            }
            guard case .revoked = try node.apply(envelope: otherEpoch.envelope) else {
                Issue.record("a batch of an epoch the revocation does not list was taken")
                return
            }
            #expect(try node.streamPositions().map(\.seq) == [2])
            #expect(try node.alarms().contains { $0.code == "revoked_key" })
            digests.insert(try node.digest())
        }
        #expect(digests.count == 1)
    }

    @Test func aNewEpochUnderAKeyTheTopologyDoesNotListYetIsHeldBackUntilItDoes() throws {
        let node = try receiver(SigningKeyHistory(oldKey.publicKey))
        let rotated = try batch(epoch: rotation, seq: 1, after: nil, key: newKey, name: "Rotated before the topology came")
        #expect(try node.apply(envelope: rotated.envelope) == .heldBack(aheadByMilliseconds: 0))
        #expect(try node.alarms().contains { $0.code == "unknown_signing_key" })
        let history = try #require(
            SigningKeyHistory(entries: [.init(key: oldKey.publicKey), .init(key: newKey.publicKey, fromEpoch: rotation)]))
        try node.updateRoster(
            Roster(network: "keys-net", keyHistories: ["a": history, "b": node.configuration.roster.signingKeys["b"]!], groups: ["region": ["a", "b"]]))
        #expect(try node.apply(envelope: rotated.envelope) == .applied(changes: 1))
        // An epoch-0 batch with a wrong signature is a forgery, not a key not yet known.
        let forged = try batch(epoch: 0, seq: 1, after: nil, key: BatchSigningKey(), name: "Forged")
        guard case .rejected(let rejection) = try node.apply(envelope: forged.envelope) else {
            Issue.record("a forged batch was not refused")
            return
        }
        #expect(rejection.code == .badSignature)
    }
}
