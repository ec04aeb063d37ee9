import SyncCore
import Testing

@Suite struct HybridClockTests {
    @Test func ticksAreStrictlyIncreasingEvenWhenTheWallClockStandsStillOrGoesBack() {
        var clock = HybridClock()
        let first = clock.tick(wallMilliseconds: 1000)
        let second = clock.tick(wallMilliseconds: 1000)
        let third = clock.tick(wallMilliseconds: 900)
        #expect(first == HybridTimestamp(milliseconds: 1000, counter: 0))
        #expect(second == HybridTimestamp(milliseconds: 1000, counter: 1))
        #expect(third == HybridTimestamp(milliseconds: 1000, counter: 2))
        #expect(clock.tick(wallMilliseconds: 2000) == HybridTimestamp(milliseconds: 2000, counter: 0))
    }

    @Test func observingARemoteReadingOrdersLaterLocalReadingsAfterIt() {
        var clock = HybridClock()
        _ = clock.tick(wallMilliseconds: 1000)
        clock.observe(HybridTimestamp(milliseconds: 5000, counter: 7), wallMilliseconds: 1001)
        #expect(clock.tick(wallMilliseconds: 1002) == HybridTimestamp(milliseconds: 5000, counter: 9))
    }

    @Test func aFullCounterBorrowsTheNextMillisecond() {
        var clock = HybridClock(latest: HybridTimestamp(milliseconds: 10, counter: .max))
        #expect(clock.tick(wallMilliseconds: 10) == HybridTimestamp(milliseconds: 11, counter: 0))
    }

    @Test func writeStampsBreakHLCTiesByOriginID() {
        let hlc = HybridTimestamp(milliseconds: 5, counter: 0)
        #expect(WriteStamp(hlc: hlc, origin: "al-hani") < WriteStamp(hlc: hlc, origin: "mk-tabanovce"))
        #expect(WriteStamp(hlc: HybridTimestamp(milliseconds: 4, counter: 9), origin: "zz") < WriteStamp(hlc: hlc, origin: "aa"))
    }
}

@Suite struct RecordIDTests {
    @Test func textFormRoundTripsAndCarriesVersionSeven() {
        let id = RecordID.make(milliseconds: 1_800_000_000_000)
        #expect(RecordID(id.description) == id)
        #expect(RecordID(id.description.uppercased()) == id)
        #expect(id.bytes[6] >> 4 == 7)
        #expect(id.bytes[8] >> 6 == 0b10)
        #expect(RecordID.make(milliseconds: 1) < RecordID.make(milliseconds: 2))
    }

    @Test(arguments: ["", "not-a-uuid", "0190f7c2-0000-7000-8000-00000000000", "0190f7c2x0000-7000-8000-000000000000", "0190f7c2-0000-7000-8000-0000000000zz"])
    func malformedTextIsRefused(_ text: String) {
        #expect(RecordID(text) == nil)
    }
}
