import Records
import Replica
import SyncCore
import TestSupport
import Testing

/// One named test per merge class and erasure case, across real replicas exchanging batches.
@Suite(.ownThread) struct MergeRuleScenarioTests {
    @Test func concurrentLWWWritesWithEqualHLCResolveByOriginID() throws {
        let region = try TestRegion(nodes: ["aa-one", "bb-two"])
        let id = try region["aa-one"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Original")])
        try region.syncAll()
        // Same wall clock, same HLC state: both writes get the identical HLC reading.
        region.clocks["aa-one"]!.set(1_900_000_000_000)
        region.clocks["bb-two"]!.set(1_900_000_000_000)
        let before = try region["bb-two"].live(id)!.provenance["family_name"]!.hlc
        try region["aa-one"].update(id, [FieldWrite("family_name", "From A")])
        try region["bb-two"].update(id, [FieldWrite("family_name", "From B")])
        let stampA = try region["aa-one"].live(id)!.provenance["family_name"]!
        let stampB = try region["bb-two"].live(id)!.provenance["family_name"]!
        #expect(stampA.hlc == stampB.hlc, "the test needs equal HLCs")
        #expect(stampA.hlc > before)
        try region.syncAll()
        #expect(try region.digests().count == 1)
        #expect(try region["aa-one"].live(id)!.values["family_name"] == "From B", "bb-two sorts after aa-one")
    }

    @Test func maxRegisterNeverGoesBack() throws {
        let region = try TestRegion(nodes: ["requester", "requested"])
        let id = try region["requester"].create(
            .request, in: "region", RequestForm.filled("Owner of NI-123?").writes(from: "requester", to: "requested"))
        try region.syncAll()
        region.clocks["requested"]!.advance(by: 60_000)
        try region["requested"].update(id, [FieldWrite("status", "answered"), FieldWrite("answer", "Petar P.")])
        // Later by the clock, but earlier in the status order: must not win.
        region.clocks["requested"]!.advance(by: 60_000)
        try region["requested"].update(id, [FieldWrite("status", "acknowledged")])
        try region.syncAll()
        for node in region.nodeIDs {
            #expect(try region[node].live(id)!.values["status"] == "answered")
        }
        try region["requester"].update(id, [FieldWrite("status", "closed")])
        try region.syncAll()
        #expect(try region["requested"].live(id)!.values["status"] == "closed")
        #expect(try region.digests().count == 1)
    }

    @Test func ownerFieldWrittenByNonOwnerIsIgnoredEverywhere() throws {
        let region = try TestRegion(nodes: ["owner", "other"])
        let id = try region["owner"].create(
            .person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Kovač"), FieldWrite("handling_code", "H2")])
        try region.syncAll()
        region.clocks["other"]!.advance(by: 60_000)
        try region["other"].update(id, [FieldWrite("handling_code", "H0"), FieldWrite("given_name", "Ivan")])
        // Even the non-owner's own replica keeps the owner's value: it merges its own writes by the same rules.
        #expect(try region["other"].live(id)!.values["handling_code"] == "H2")
        try region.syncAll()
        for node in region.nodeIDs {
            let record = try region[node].live(id)!
            #expect(record.values["handling_code"] == "H2")
            #expect(record.values["given_name"] == "Ivan", "lww fields of the same batch still apply")
        }
        try region["owner"].update(id, [FieldWrite("handling_code", "H3")])
        try region.syncAll()
        #expect(try region["other"].live(id)!.values["handling_code"] == "H3")
    }

    @Test func immutableFieldsKeepTheirCreationValue() throws {
        let region = try TestRegion(nodes: ["aa-one"])
        let id = try region["aa-one"].create(
            .request, in: "region", RequestForm.filled("?").writes(from: "aa-one", to: "bb"))
        #expect(throws: ReplicaError.self) { try region["aa-one"].update(id, [FieldWrite("urgency", "urgent_direct")]) }
        #expect(try region["aa-one"].live(id)!.values["urgency"] == "standard")
    }

    @Test func writeAfterErasureIsDropped() throws {
        let region = try TestRegion(nodes: ["aa-one", "bb-two"])
        let id = try region["aa-one"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Erased")])
        try region.syncAll()
        try region["aa-one"].erase(id, reason: "court_order")
        // bb-two has not heard of the erasure and writes later by the clock.
        region.clocks["bb-two"]!.advance(by: 300_000)
        try region["bb-two"].update(id, [FieldWrite("family_name", "Written after")])
        try region.syncAll()
        for node in region.nodeIDs {
            guard case .erased(let tombstone) = try region[node].lookup(id) else {
                Issue.record("\(node) still shows the record")
                continue
            }
            #expect(tombstone.reason == "court_order")
        }
        #expect(throws: ReplicaError(.erased, "record \(id) has been erased")) {
            try region["bb-two"].update(id, [FieldWrite("family_name", "again")])
        }
        #expect(try region.digests().count == 1)
    }

    @Test func anErasureByAnyoneButTheOwnerIsIgnoredWhereverItArrivesFirst() throws {
        let region = try TestRegion(nodes: ["origin", "relay", "late"])
        let id = try region["origin"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Early")])
        try region["relay"].pullChecked(from: region["origin"])
        #expect(throws: ReplicaError.self, "the relay's staff cannot erase another centre's record") {
            try region["relay"].erase(id, reason: "retention_expired")
        }
        // The relay writes the erasure anyway, signed with its own key: `late` gets it before the create.
        let forged = try region.signed(
            by: "relay", [Change(kind: "person", recordID: id, hlc: region.hlc("relay"), operation: .erase(reason: "retention_expired"))]
        )
        #expect(try region["late"].apply(envelope: forged.envelope) == .applied(changes: 1), "stored and relayed, not refused")
        try region["origin"].apply(envelope: forged.envelope)
        try region["late"].pullChecked(from: region["origin"])
        for node: NodeID in ["origin", "late"] {
            #expect(try region[node].live(id)?.values["family_name"] == "Early", "\(node) let the relay erase the record")
        }
        // The owner's own erasure does count, and the create that follows it in no order brings nothing back.
        try region["origin"].erase(id, reason: "court_order")
        try region.syncAll()
        for node in region.nodeIDs {
            guard case .erased(let tombstone) = try region[node].lookup(id) else {
                Issue.record("\(node) still shows the record the owner erased")
                continue
            }
            #expect(tombstone.reason == "court_order")
        }
        #expect(try region.digests().count == 1)
    }

    @Test func updateThatArrivesBeforeTheCreateWaitsForIt() throws {
        let region = try TestRegion(nodes: ["origin", "editor", "late"])
        let id = try region["origin"].create(
            .person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Novak"), FieldWrite("handling_code", "H1")])
        try region["editor"].pullChecked(from: region["origin"])
        try region["editor"].update(id, [FieldWrite("given_name", "Jan"), FieldWrite("handling_code", "H0")])
        for batch in try region["editor"].batches(of: StreamID(origin: "editor", group: "region"), after: 0) {
            _ = try region["late"].apply(envelope: batch.envelope)
        }
        #expect(try region["late"].lookup(id) == .unknown, "an orphan update must not make a record")
        try region["late"].pullChecked(from: region["origin"])
        let record = try region["late"].live(id)!
        #expect(record.values["given_name"] == "Jan")
        #expect(record.values["handling_code"] == "H1", "the editor is not the owner")
        try region.syncAll()
        #expect(try region.digests().count == 1)
    }

    @Test func erasingARecordDropsItsHitsAndNotesInAnyOrder() throws {
        let region = try TestRegion(nodes: ["aa-one", "bb-two", "cc-three"])
        let person = try region["aa-one"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Hit")])
        try region.syncAll()
        let hit = try region["bb-two"].append(.hit, [FieldWrite("record_id", person.description), FieldWrite("place", "Border crossing 7")])
        try region["aa-one"].erase(person, reason: "court_order")
        // cc-three gets the erase first, then the hit: the hit must be buried on arrival.
        try region["cc-three"].pullChecked(from: region["aa-one"])
        try region["cc-three"].pullChecked(from: region["bb-two"])
        try region.syncAll()
        for node in region.nodeIDs {
            #expect(try region[node].lookup(hit) == .unknown, "\(node) kept the hit of an erased person")
        }
        #expect(try region.digests().count == 1)
    }

    @Test func appendOnlyRowsCannotBeChanged() throws {
        let region = try TestRegion(nodes: ["aa-one"])
        let person = try region["aa-one"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "X")])
        let note = try region["aa-one"].append(.note, [FieldWrite("record_id", person.description), FieldWrite("text", "seen")])
        #expect(throws: ReplicaError.self) { try region["aa-one"].update(note, [FieldWrite("text", "changed")]) }
        #expect(try region["aa-one"].live(note)!.values["text"] == "seen")
    }
}
