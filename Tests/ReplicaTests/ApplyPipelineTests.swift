import Records
import Replica
import SyncCore
import TestSupport
import Testing

/// The receive order of DESIGN §4: every refusal leaves the replica unchanged.
@Suite(.ownThread) struct ApplyPipelineTests {
    let region: TestRegion
    let batch: SignedBatch

    init() throws {
        region = try TestRegion(nodes: ["sender", "receiver", "outsider"], groups: ["region": ["sender", "receiver"], "other": ["sender", "outsider"]])
        _ = try region["sender"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Test")])
        batch = try region["sender"].batches(of: StreamID(origin: "sender", group: "region"), after: 0)[0]
    }

    @Test func aBatchAlreadyHeldIsANoOp() throws {
        #expect(try region["receiver"].apply(envelope: batch.envelope) == .applied(changes: 1))
        let digest = try region["receiver"].digest()
        #expect(try region["receiver"].apply(envelope: batch.envelope) == .duplicate)
        #expect(try region["receiver"].digest() == digest)
    }

    @Test func aGapIsRefusedUntilTheMissingBatchArrives() throws {
        _ = try region["sender"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Second")])
        let second = try region["sender"].batches(of: StreamID(origin: "sender", group: "region"), after: 1)[0]
        guard case .rejected(let rejection) = try region["receiver"].apply(envelope: second.envelope) else {
            Issue.record("a gap was accepted")
            return
        }
        #expect(rejection.code == .outOfOrder)
        #expect(try region["receiver"].streamPositions().isEmpty)
        #expect(try region["receiver"].apply(envelope: batch.envelope) == .applied(changes: 1))
        #expect(try region["receiver"].apply(envelope: second.envelope) == .applied(changes: 1))
    }

    @Test func aForkIsQuarantinedWithAnAlarm() throws {
        #expect(try region["receiver"].apply(envelope: batch.envelope) == .applied(changes: 1))
        // The origin signs a second, different seq 1: a fork of its own stream.
        let forged = try SignedBatch.make(
            network: TestRegion.network, origin: "sender", group: "region", seq: 1, prevHash: BatchHeader.zeroHash,
            leaves: [
                .full(
                    Change(
                        kind: "person", recordID: RecordID.make(milliseconds: 1), hlc: HybridTimestamp(milliseconds: 1_800_000_000_000, counter: 9),
                        operation: .create([FieldWrite("family_name", "Fork")])))
            ],
            signingKey: region.keys["sender"]!
        )
        let digest = try region["receiver"].digest()
        guard case .forked = try region["receiver"].apply(envelope: forged.envelope) else {
            Issue.record("the fork was not detected")
            return
        }
        #expect(try region["receiver"].digest() == digest)
        #expect(try region["receiver"].quarantinedCount() == 1)
        #expect(try region["receiver"].alarms().map(\.code) == ["fork"])

        // The region's branch goes on, and so does the forked one, for more batches than the
        // quarantine keeps per origin: each of the fork's continues the quarantined batch,
        // proves nothing more and takes no place of its own.
        let length = region["receiver"].configuration.maxQuarantinedPerOrigin + 4
        for index in 2...length {
            _ = try region["sender"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Region \(index)")])
        }
        for batch in try region["sender"].batches(of: StreamID(origin: "sender", group: "region"), after: 1) {
            #expect(try region["receiver"].apply(envelope: batch.envelope) == .applied(changes: 1))
        }
        let held = try region["receiver"].digest()
        var previous = forged.header.hash
        var branch: [SignedBatch] = []
        for seq in UInt64(2)...UInt64(length) {
            let next = try SignedBatch.make(
                network: TestRegion.network, origin: "sender", group: "region", seq: seq, prevHash: previous,
                leaves: [
                    .full(
                        Change(
                            kind: "person", recordID: RecordID.make(milliseconds: seq),
                            hlc: HybridTimestamp(milliseconds: 1_800_000_000_000, counter: UInt16(seq)),
                            operation: .create([FieldWrite("family_name", "Fork \(seq)")])))
                ],
                signingKey: region.keys["sender"]!
            )
            let outcome = try region["receiver"].apply(envelope: next.envelope)
            guard case .forked = outcome else {
                Issue.record("seq \(seq) of the forked branch was not taken as a fork: \(outcome)")
                return
            }
            previous = next.header.hash
            branch.append(next)
        }
        // A session asks for a forked stream again: the branch comes a second time, from inside.
        for seq in UInt64(3)...UInt64(length) {
            guard case .forked = try region["receiver"].apply(envelope: branch[Int(seq) - 2].envelope) else {
                Issue.record("seq \(seq) of the forked branch, sent again, was not taken as a fork")
                return
            }
        }
        let kept = try region["receiver"].quarantinedCount()
        #expect(kept == 1, "\(kept) batches of one forked branch are quarantined")
        #expect(try region["receiver"].alarms().map(\.code) == ["fork"], "one branch never fills the quarantine")
        #expect(try region["receiver"].digest() == held)
    }

    @Test func aBatchFarAheadOfTheLocalClockIsHeldBack() throws {
        region.clocks["sender"]!.advance(by: 3_600_000)
        _ = try region["sender"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Future")])
        let summary = try region["receiver"].pull(from: region["sender"])
        #expect(summary.applied == 1 && summary.refused.count == 1)
        let positions = try region["receiver"].streamPositions()
        #expect(positions == [StreamPosition(StreamID(origin: "sender", group: "region"), seq: 1)])
        let future = try region["sender"].batches(of: StreamID(origin: "sender", group: "region"), after: 1)[0]
        guard case .heldBack(let ahead) = try region["receiver"].apply(envelope: future.envelope) else {
            Issue.record("a batch an hour ahead was applied")
            return
        }
        #expect(ahead >= 3_600_000)
        #expect(try region["receiver"].alarms().map(\.code) == ["clock_skew"])
        region.clocks["receiver"]!.advance(by: 3_600_000)
        #expect(try region["receiver"].apply(envelope: future.envelope) == .applied(changes: 1))
    }

    @Test(arguments: [
        ("wrong network", BatchRejection.Code.wrongNetwork),
        ("unknown origin", .unknownOrigin),
        ("forged by a relay", .badSignature),
        ("origin not in group", .notMember),
        ("receiver not in group", .notMember),
    ])
    func untrustedBatchesAreRefused(_ scenario: String, _ code: BatchRejection.Code) throws {
        let leaves: [BatchLeaf] = [
            .full(
                Change(
                    kind: "person", recordID: RecordID.make(milliseconds: 2), hlc: HybridTimestamp(milliseconds: 1_800_000_000_000, counter: 1),
                    operation: .create([FieldWrite("family_name", "Bad")])))
        ]
        let stranger = BatchSigningKey()
        let (network, origin, group, key): (String, NodeID, GroupID, BatchSigningKey) =
            switch scenario {
            case "wrong network": ("other-net", "sender", "region", region.keys["sender"]!)
            case "unknown origin": (TestRegion.network, "stranger", "region", stranger)
            case "forged by a relay": (TestRegion.network, "sender", "region", region.keys["outsider"]!)
            case "origin not in group": (TestRegion.network, "outsider", "region", region.keys["outsider"]!)
            default: (TestRegion.network, "sender", "other", region.keys["sender"]!)
            }
        let bad = try SignedBatch.make(network: network, origin: origin, group: group, seq: 1, prevHash: BatchHeader.zeroHash, leaves: leaves, signingKey: key)
        let digest = try region["receiver"].digest()
        guard case .rejected(let rejection) = try region["receiver"].apply(envelope: bad.envelope) else {
            Issue.record("\(scenario) was accepted")
            return
        }
        #expect(rejection.code == code)
        #expect(try region["receiver"].digest() == digest)
        #expect(try region["receiver"].streamPositions().isEmpty)
    }
}
