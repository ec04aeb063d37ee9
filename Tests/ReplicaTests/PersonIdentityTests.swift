import Records
import Replica
import SyncCore
import TestSupport
import Testing

/// Schema version 3: a person's lists (names, dates of birth, nationalities, identification
/// numbers, markers) merged as add-wins sets, the new fields and kinds, and links.
@Suite(.ownThread) struct PersonIdentityTests {
    static let ana = AuditActor(user: "ana", purpose: "case 17/2026")

    // MARK: Validation

    static let refusals: [(fields: [FieldWrite], sets: [SetEdit], field: String, reason: String)] = [
        (
            [], [SetEdit("national_ids", add: ["RS:0101990710006"])], "national_ids",
            "an entry of national_ids has a JMBG/EMBG whose control digit is wrong; check the number, not \"RS:0101990710006\""
        ),
        (
            [], [SetEdit("national_ids", add: ["MK:12345"])], "national_ids",
            "an entry of national_ids must hold, for MK, the 13 digits of a JMBG/EMBG, not \"MK:12345\""
        ),
        (
            [], [SetEdit("national_ids", add: ["0101990710008"])], "national_ids",
            "an entry of national_ids must be COUNTRY:NUMBER, such as RS:0101990710008, not \"0101990710008\""
        ),
        (
            [], [SetEdit("names", add: ["nickname|Petrović"])], "names",
            "an entry of names must be TYPE|SURNAME or TYPE|SURNAME|FORENAMES with TYPE one of current, birth, previous, alias, not \"nickname|Petrović\""
        ),
        (
            [], [SetEdit("names", add: ["alias| Petrović"])], "names",
            "an entry of names must be TYPE|SURNAME or TYPE|SURNAME|FORENAMES with TYPE one of current, birth, previous, alias, with no space at either end of a part, not \"alias| Petrović\""
        ),
        (
            [], [SetEdit("birth_dates", add: ["1984-02-30"])], "birth_dates",
            "an entry of birth_dates must be a date written YYYY-MM-DD, YYYY-MM or YYYY, or a range of them such as 1980..1985, not \"1984-02-30\""
        ),
        (
            [], [SetEdit("birth_dates", add: ["1985..1980"])], "birth_dates",
            "an entry of birth_dates must be a date written YYYY-MM-DD, YYYY-MM or YYYY, or a range of them such as 1980..1985, not \"1985..1980\""
        ),
        (
            [], [SetEdit("nationalities", add: ["Serbia"])], "nationalities",
            "an entry of nationalities must be an ISO 3166 alpha-2 country code in capitals, such as RS, MK, ME, AL, BA or XK, not \"Serbia\""
        ),
        (
            [], [SetEdit("markers", add: ["dangerous"])], "markers",
            "markers cannot hold \"dangerous\"; allowed values are armed, violent, escaped, suicide_risk, public_health_risk, terrorism"
        ),
        (
            [FieldWrite("category", "suspected")], [], "category",
            "field category cannot be \"suspected\"; allowed values are suspect, convicted, victim, witness, contact, associate"
        ),
        (
            [FieldWrite("names", "[\"current|Hoxha\"]")], [], "names",
            "field names is a list; add or remove its entries (pccc record --add/--remove, \"add\" and \"remove\" in the API)"
        ),
        (
            [], [SetEdit("aliases", add: ["x"])], "aliases",
            "aliases is not a list of person; its lists are names, birth_dates, nationalities, national_ids, markers"
        ),
        ([], [SetEdit("names", remove: ["current|Hoxha"])], "names", "a new person has no names entry to remove"),
        ([FieldWrite("category", nil)], [], "category", "field category is required and cannot be cleared"),
    ]

    @Test func aNewPersonNeedsItsCategory() throws {
        let region = try TestRegion(nodes: ["a"])
        #expect(throws: ReplicaError(.invalid, "field category is required for a new person", field: "category")) {
            _ = try region["a"].create(.person, in: "region", [FieldWrite("family_name", "Hoxha")])
        }
    }

    @Test(arguments: 0..<refusals.count) func eachNewFieldOfAPersonIsRefusedWithOneSentence(_ index: Int) throws {
        let (fields, sets, field, reason) = Self.refusals[index]
        let region = try TestRegion(nodes: ["a"])
        #expect(throws: ReplicaError(.invalid, reason, field: field)) {
            let category = fields.contains { $0.field == "category" } ? [] : [FieldWrite("category", "suspect")]
            _ = try region["a"].create(.person, in: "region", category + [FieldWrite("family_name", "Hoxha")] + fields, sets: sets)
        }
        #expect(try region["a"].streamPositions().isEmpty, "a refused write leaves no batch")
    }

    @Test func theNewFieldsOfDocumentsObjectsAndOrganisationsAreChecked() throws {
        let region = try TestRegion(nodes: ["a"])
        let replica = region["a"]
        #expect(
            throws: ReplicaError(.invalid, "field expiry_date must be a date written YYYY-MM-DD, such as 1984-03-07, not \"2030-13-01\"", field: "expiry_date")
        ) {
            _ = try replica.create(
                .document, in: "region", [FieldWrite("doc_type", "passport"), FieldWrite("number", "P1"), FieldWrite("expiry_date", "2030-13-01")])
        }
        #expect(
            throws: ReplicaError(
                .invalid, "field object_type cannot be \"car\"; allowed values are plate, registration_certificate, payment_card, boat, container, other",
                field: "object_type")
        ) {
            _ = try replica.create(.object, in: "region", [FieldWrite("object_type", "car"), FieldWrite("identifier", "X")])
        }
        #expect(throws: ReplicaError(.invalid, "field name is required for a new organisation", field: "name")) {
            _ = try replica.create(.organisation, in: "region", [FieldWrite("country", "RS")])
        }
        let document = try replica.create(
            .document, in: "region",
            [
                FieldWrite("doc_type", "passport"), FieldWrite("number", "P 123-456"), FieldWrite("holder", "Марко Петровић"),
                FieldWrite("issue_date", "2020-01-15"), FieldWrite("expiry_date", "2030-01-14"), FieldWrite("issuing_authority", "MUP RS"),
            ])
        #expect(try replica.search("Petrovic", kind: .document).map(\.id) == [document.description], "the holder's name is searched")
    }

    // MARK: Sets

    @Test func concurrentAdditionsAtTwoNodesBothSurvive() throws {
        let region = try TestRegion(nodes: ["a", "b", "c"])
        let id = try region["a"].create(
            .person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Petrović")],
            sets: [SetEdit("names", add: ["current|Petrović|Marko"])])
        try region.syncAll()
        try region["a"].update(id, [], sets: [SetEdit("names", add: ["alias|Petrovic|Marko"])])
        try region["b"].update(id, [], sets: [SetEdit("names", add: ["alias|Петровић|Марко"])])
        try region.syncAll()
        for node in region.nodeIDs {
            #expect(
                try region[node].live(id)!.entries(of: "names") == ["alias|Petrovic|Marko", "alias|Петровић|Марко", "current|Petrović|Marko"], "at \(node)")
        }
        #expect(try region.digests().count == 1)
    }

    @Test func aRemovalRemovesOnlyWhatItsWriterSaw() throws {
        let region = try TestRegion(nodes: ["a", "b"])
        let id = try region["a"].create(
            .person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Hoxha")],
            sets: [SetEdit("names", add: ["alias|Hoxa", "alias|Hodža"])])
        try region.syncAll()
        // Concurrently: a removes an alias it saw; b removes the other, and adds it back as a new
        // entry along with another; the same value added at a meanwhile is a second entry.
        try region["a"].update(id, [], sets: [SetEdit("names", remove: ["alias|Hoxa"])])
        try region["b"].update(id, [], sets: [SetEdit("names", remove: ["alias|Hodža"])])
        try region["b"].update(id, [], sets: [SetEdit("names", add: ["alias|Hodža", "alias|Hoxhaj"])])
        try region["a"].update(id, [], sets: [SetEdit("names", add: ["alias|Hoxhaj"])])
        try region.syncAll()
        for node in region.nodeIDs {
            #expect(try region[node].live(id)!.entries(of: "names") == ["alias|Hodža", "alias|Hoxhaj"], "at \(node)")
        }
        #expect(try region.digests().count == 1)
        // A removal now removes both entries of the value added twice: its writer saw both.
        try region["b"].update(id, [], sets: [SetEdit("names", remove: ["alias|Hoxhaj"])])
        try region.syncAll()
        for node in region.nodeIDs { #expect(try region[node].live(id)!.entries(of: "names") == ["alias|Hodža"], "at \(node)") }
        #expect(throws: ReplicaError(.invalid, "names of \(id) holds no entry \"alias|Hoxhaj\"", field: "names")) {
            try region["a"].update(id, [], sets: [SetEdit("names", remove: ["alias|Hoxhaj"])])
        }
        #expect(throws: ReplicaError(.invalid, "the update of \(id) changes nothing: its lists already hold every entry it adds")) {
            try region["a"].update(id, [], sets: [SetEdit("names", add: ["alias|Hodža"])])
        }
        // The last entry removed leaves the column empty, as on a record that never had one.
        try region["a"].update(id, [], sets: [SetEdit("names", remove: ["alias|Hodža"])])
        try region.syncAll()
        #expect(try region["b"].live(id)!.values["names"] == nil)
        #expect(try region.digests().count == 1)
    }

    @Test func aRemovedEntryStaysRemovedWhateverOrderItsWritesArriveIn() throws {
        let region = try TestRegion(nodes: ["a", "b", "c"])
        let id = try region["a"].create(
            .person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Kovač")], sets: [SetEdit("markers", add: ["armed"])])
        try region["b"].pullChecked(from: region["a"])
        try region["b"].update(id, [], sets: [SetEdit("markers", remove: ["armed"])])
        // c hears of the removal first (b relays a's create with it), then of the addition again.
        try region["c"].pullChecked(from: region["b"])
        try region["c"].pullChecked(from: region["a"])
        #expect(try region["c"].live(id)!.values["markers"] == nil)
        try region.syncAll()
        #expect(try region.digests().count == 1)
    }

    @Test func aHostileMembersListWritesAreIgnoredAlikeAndBounded() throws {
        let region = try TestRegion(nodes: ["a", "m"], groups: ["region": ["a", "m"], "a-only": ["a"]])
        let id = try region["a"].create(
            .person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Gashi")], sets: [SetEdit("names", add: ["current|Gashi"])])
        let hidden = try region["a"].create(.person, in: "a-only", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Hidden")])
        try region.syncAll()
        let hlc = region.hlc("m", counter: 9)
        let flood = (0..<300).map { FieldWrite("names#f\(String($0, radix: 16))", "alias|Flood \($0)") }
        let batch = try region.signed(
            by: "m",
            [
                Change(
                    kind: "person", recordID: id, hlc: hlc,
                    operation: .update(
                        [
                            FieldWrite("names", "[\"current|Forged\"]"), FieldWrite("names#Upper", "alias|Bad tag"),
                            FieldWrite("names#big", "alias|" + String(repeating: "x", count: 2000)),
                        ] + flood)),
                Change(kind: "person", recordID: hidden, hlc: hlc, operation: .update([FieldWrite("names#x1", "alias|Elsewhere")])),
            ])
        guard case .applied = try region["m"].apply(envelope: batch.envelope) else { throw ScenarioFailure("m did not take its batch") }
        try region.syncAll()
        // The column written whole and a malformed tag are ignored; the 2,000-byte entry is
        // ignored but counts, in field-name order, towards the 256 writes of one change.
        let names = try region["a"].live(id)!.entries(of: "names")
        #expect(names.count == 1 + 255 && names.filter { $0.hasPrefix("alias|Flood") }.count == 255, "\(names.count) entries")
        #expect(names.contains("current|Gashi") && !names.contains("current|Forged") && !names.contains("alias|Bad tag"))
        #expect(!names.contains { $0.hasPrefix("alias|xxx") })
        #expect(try region["a"].live(hidden)!.values["names"] == nil, "a record of a group m is not in")
        // A second change's entries are kept, but the column shows the first 256 in byte order.
        let more = try region.signed(
            by: "m",
            [
                Change(
                    kind: "person", recordID: id, hlc: region.hlc("m", counter: 10),
                    operation: .update((0..<100).map { FieldWrite("names#g\($0)", "alias|More \($0)") }))
            ])
        guard case .applied = try region["m"].apply(envelope: more.envelope) else { throw ScenarioFailure("m did not take its batch") }
        try region.syncAll()
        let shown = try region["a"].live(id)!.entries(of: "names")
        #expect(shown.count == 256 && !shown.contains("current|Gashi") && shown == shown.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(throws: ReplicaError(.invalid, "a list holds at most 256 entries; remove some of names first", field: "names")) {
            try region["a"].update(id, [], sets: [SetEdit("names", add: ["alias|One more"])])
        }
        #expect(try region.digests(group: "region").count == 1)
    }

    @Test func oneTagWrittenTwiceSettlesOnTheSmallerStampWhateverTheOrder() throws {
        let region = try TestRegion(nodes: ["a", "m", "x", "y"])
        let id = try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Berisha")])
        try region["x"].pullChecked(from: region["a"])
        // m writes one tag three times, its stream's HLCs out of order: v1 late, v1 early, v2 between.
        let base = region.hlc("m")
        for (counter, value) in [(3, "alias|One"), (1, "alias|One"), (2, "alias|Two")] {
            let hlc = HybridTimestamp(rawValue: base.rawValue + UInt64(counter))
            let batch = try region.signed(by: "m", [Change(kind: "person", recordID: id, hlc: hlc, operation: .update([FieldWrite("names#t1", value)]))])
            guard case .applied = try region["m"].apply(envelope: batch.envelope) else { throw ScenarioFailure("m did not take its batch") }
        }
        // x holds the record and applies them in stream order; y meets them before the record,
        // and replays them in HLC order once the create arrives.
        try region["x"].pullChecked(from: region["m"])
        try region["y"].pullChecked(from: region["m"])
        try region["y"].pullChecked(from: region["a"])
        #expect(try region["x"].live(id)!.entries(of: "names") == ["alias|One"])
        #expect(try region["y"].live(id)!.entries(of: "names") == ["alias|One"])
        #expect(try region["x"].digest() == region["y"].digest())
    }

    // MARK: Search

    @Test func searchFindsAnyNameOfTheListAndAnyDateOfBirth() throws {
        let region = try TestRegion(nodes: ["a", "b"])
        let id = try region["a"].create(
            .person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Petrović")],
            sets: [
                SetEdit("names", add: ["current|Petrović|Marko", "birth|Jovanović|Marko"]), SetEdit("birth_dates", add: ["1984-03-07", "1983"]),
                SetEdit("national_ids", add: ["RS:0101990710008"]),
            ])
        try region.syncAll()
        try region["b"].update(id, [], sets: [SetEdit("names", add: ["alias|Ђокић"])])
        try region.syncAll()
        for query in ["Jovanovic Marko", "Đokić", "Djokic", "1984-03-07", "1983", "0101990710008", "0101 9907 10008"] {
            #expect(try region["a"].search(query).map(\.id) == [id.description], "\(query) finds the person")
        }
        try region["a"].update(id, [], sets: [SetEdit("names", remove: ["birth|Jovanović|Marko"])])
        #expect(try region["a"].search("Jovanovic").isEmpty, "a removed name is no longer found")
    }

    // MARK: Links

    @Test func aLinkShowsOnBothRecordsAndOnlyWithinItsGroup() throws {
        let region = try TestRegion(nodes: ["a", "b", "m"], groups: ["region": ["a", "b", "m"], "ab": ["a", "b"]])
        let person = try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Krasniqi")])
        let car = try region["a"].create(.vehicle, in: "region", [FieldWrite("plate", "PR 123 AB")])
        let secret = try region["a"].create(.vehicle, in: "ab", [FieldWrite("plate", "SECRET 1")])
        try region.syncAll()
        let link = try region["b"].create(
            .link, in: "region", [FieldWrite("from_id", person.description), FieldWrite("to_id", car.description), FieldWrite("role", "owner")])
        #expect(throws: ReplicaError(.invalid, "record \(secret) lives in group ab; a link joins records of its own group region", field: "to_id")) {
            _ = try region["b"].create(
                .link, in: "region", [FieldWrite("from_id", person.description), FieldWrite("to_id", secret.description), FieldWrite("role", "owner")])
        }
        #expect(throws: ReplicaError(.invalid, "a link joins two different records", field: "to_id")) {
            _ = try region["b"].create(
                .link, in: "region", [FieldWrite("from_id", car.description), FieldWrite("to_id", car.description), FieldWrite("role", "owner")])
        }
        // m, not in ab, signs a link of region to the record of ab: no node shows it.
        let forged = try region.signed(
            by: "m",
            [
                Change(
                    kind: "link", recordID: RecordID.make(milliseconds: 1, boundTo: RecordBinding(origin: "m", group: "region", kind: "link")),
                    hlc: region.hlc("m"),
                    operation: .create([FieldWrite("from_id", person.description), FieldWrite("to_id", secret.description), FieldWrite("role", "driver")]))
            ])
        guard case .applied = try region["m"].apply(envelope: forged.envelope) else { throw ScenarioFailure("m did not take its batch") }
        try region.syncAll()
        for node in ["a", "b"] as [NodeID] {
            let fromPerson = try region[node].linkedRecords(of: person)
            #expect(fromPerson.map(\.otherID) == [car] && fromPerson.first?.isOutgoing == true && fromPerson.first?.role == "owner", "at \(node)")
            let fromCar = try region[node].linkedRecords(of: car)
            #expect(fromCar.map(\.otherID) == [person] && fromCar.first?.isOutgoing == false && fromCar.first?.linkID == link, "at \(node)")
            #expect(try region[node].linkedRecords(of: secret).isEmpty, "a link from another group shows nothing at \(node)")
        }
        guard case .live(_, _, let links) = try region["a"].consult(car, auditedAs: Self.ana) else { throw ScenarioFailure("gone") }
        #expect(links.map(\.otherLabel) == ["Krasniqi"])
        // A search following links brings the car in after its owner.
        let followed = try region["a"].search("Krasniqi", followLinks: true)
        #expect(followed.map(\.id) == [person.description, car.description] && followed[1].linkedFrom?.id == person.description)
        #expect(followed[1].linkedFrom?.role == "owner" && followed[0].linkedFrom == nil)
        #expect(try region["a"].search("Krasniqi").map(\.id) == [person.description])
        // An end erased takes the link off the other's page.
        try region["a"].erase(car, reason: "court_order")
        try region.syncAll()
        #expect(try region["b"].linkedRecords(of: person).isEmpty)
    }
}
