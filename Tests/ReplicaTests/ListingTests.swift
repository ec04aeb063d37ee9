import Foundation
import Records
import Replica
import SyncCore
import TestSupport
import Testing

@Suite(.ownThread) struct ListingTests {
    /// a, b and c share `region`; a and b also share `ab`.
    static func region() throws -> TestRegion {
        try TestRegion(nodes: ["a", "b", "c"], groups: ["region": ["a", "b", "c"], "ab": ["a", "b"]])
    }

    @Test func listFiltersByKindGroupAlertStatusOriginAndChangeTime() throws {
        let region = try Self.region()
        let wanted = try region["a"].create(
            .person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Hoxha"), FieldWrite("alert", "wanted")])
        let missing = try region["a"].create(
            .person, in: "ab", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Marković"), FieldWrite("alert", "missing")])
        let stolenCar = try region["a"].create(.vehicle, in: "region", [FieldWrite("plate", "SK 123 AB"), FieldWrite("alert", "stolen")])
        region.clocks["b"]!.advance(by: 60_000)
        let stolenPassport = try region["b"].create(
            .document, in: "region", [FieldWrite("doc_type", "passport"), FieldWrite("number", "P123"), FieldWrite("status", "stolen")]
        )
        try region.syncAll()
        let replica = region["a"]
        func ids(_ configure: (inout RecordFilter) -> Void) throws -> Set<String> {
            var filter = RecordFilter()
            configure(&filter)
            return Set(try replica.list(filter).map(\.id))
        }
        let all = Set([wanted, missing, stolenCar, stolenPassport].map(\.description))
        #expect(try ids { _ in } == all)
        #expect(try ids { $0.kinds = [.person] } == [wanted.description, missing.description])
        #expect(try ids { $0.group = "ab" } == [missing.description])
        #expect(try ids { $0.alert = "wanted" } == [wanted.description])
        #expect(try ids { $0.alert = "stolen" } == [stolenCar.description])
        #expect(try ids { $0.status = "stolen" } == [stolenPassport.description])
        #expect(try ids { $0.origin = "b" } == [stolenPassport.description])
        #expect(try ids { $0.changedSince = region.clocks["b"]!.now } == [stolenPassport.description])
        // A later change brings an old record into the changed-since window.
        region.clocks["a"]!.advance(by: 120_000)
        try replica.update(wanted, [FieldWrite("reason", "warrant 17/2026")])
        #expect(try ids { $0.changedSince = region.clocks["a"]!.now } == [wanted.description])
        let newestFirst = try replica.list(RecordFilter()).map(\.id)
        #expect(newestFirst.first == wanted.description)
        var limited = RecordFilter()
        limited.limit = 2
        #expect(try replica.list(limited).count == 2)
        #expect(try replica.list(RecordFilter()).first?.label == "Hoxha · alert wanted")
    }

    @Test func exportHoldsEveryLiveRecordOfTheGroupWithHitsAndNotesAndNoErasedOne() throws {
        let region = try Self.region()
        let kept = try region["a"].create(.person, in: "ab", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Krasniqi")])
        let erased = try region["a"].create(.person, in: "ab", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Zzgone")])
        let elsewhere = try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Other")])
        let hit = try region["a"].append(.hit, [FieldWrite("record_id", kept.description), FieldWrite("place", "Tabanovce")])
        try region["a"].erase(erased, reason: "court_order")
        let exported = try region["a"].records(inGroup: "ab")
        #expect(Set(exported.map(\.id)) == [kept, hit])
        #expect(exported.first { $0.id == kept }?.values["family_name"] == "Krasniqi")
        #expect(!exported.contains { $0.id == elsewhere })
        #expect(try region["a"].attachments(of: kept).map(\.id) == [hit])
    }
}
