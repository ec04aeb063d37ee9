import SyncCore
import Testing

@Suite struct MergeRuleTests {
    static func value(_ text: String?, _ ms: UInt64, _ origin: NodeID) -> StampedValue {
        StampedValue(value: text, stamp: WriteStamp(hlc: HybridTimestamp(milliseconds: ms, counter: 0), origin: origin))
    }

    @Test func lwwTakesTheGreaterStampAndBreaksTiesByOrigin() {
        #expect(MergeRule.incomingWins(.lww, current: Self.value("a", 1, "x"), incoming: Self.value("b", 2, "a"), recordOrigin: "x", isCreate: false))
        #expect(!MergeRule.incomingWins(.lww, current: Self.value("a", 2, "x"), incoming: Self.value("b", 1, "z"), recordOrigin: "x", isCreate: false))
        #expect(MergeRule.incomingWins(.lww, current: Self.value("a", 2, "a"), incoming: Self.value("b", 2, "b"), recordOrigin: "x", isCreate: false))
        #expect(!MergeRule.incomingWins(.lww, current: Self.value("b", 2, "b"), incoming: Self.value("a", 2, "a"), recordOrigin: "x", isCreate: false))
    }

    @Test func maxFollowsTheDeclaredOrderWhateverTheClocks() {
        let order = MergeClass.max(order: ["open", "acknowledged", "answered", "closed"])
        #expect(
            !MergeRule.incomingWins(order, current: Self.value("answered", 1, "a"), incoming: Self.value("open", 9, "b"), recordOrigin: "a", isCreate: false))
        #expect(
            MergeRule.incomingWins(order, current: Self.value("answered", 9, "a"), incoming: Self.value("closed", 1, "b"), recordOrigin: "a", isCreate: false))
        #expect(
            !MergeRule.incomingWins(order, current: Self.value("open", 1, "a"), incoming: Self.value("reopened", 9, "b"), recordOrigin: "a", isCreate: false))
        #expect(!MergeRule.incomingWins(order, current: Self.value("open", 1, "a"), incoming: Self.value(nil, 9, "b"), recordOrigin: "a", isCreate: false))
    }

    @Test func ownerFieldsCountOnlyTheOwnersWrites() {
        #expect(
            !MergeRule.incomingWins(.owner, current: Self.value("H1", 1, "own"), incoming: Self.value("H0", 9, "other"), recordOrigin: "own", isCreate: false))
        #expect(MergeRule.incomingWins(.owner, current: Self.value("H1", 1, "own"), incoming: Self.value("H2", 2, "own"), recordOrigin: "own", isCreate: false))
        #expect(!MergeRule.incomingWins(.owner, current: nil, incoming: Self.value("H0", 9, "other"), recordOrigin: nil, isCreate: false))
        #expect(
            MergeRule.incomingWins(.owner, current: Self.value("H0", 9, "other"), incoming: Self.value("H1", 1, "own"), recordOrigin: "own", isCreate: false))
    }

    @Test func immutableFieldsAreSetOnlyByTheCreate() {
        #expect(MergeRule.incomingWins(.immutable, current: nil, incoming: Self.value("x", 1, "a"), recordOrigin: "a", isCreate: true))
        #expect(!MergeRule.incomingWins(.immutable, current: Self.value("x", 1, "a"), incoming: Self.value("y", 9, "a"), recordOrigin: "a", isCreate: true))
        #expect(!MergeRule.incomingWins(.immutable, current: nil, incoming: Self.value("y", 9, "a"), recordOrigin: "a", isCreate: false))
    }
}
