import Foundation
import GRDB
import Records
import Replica
import SyncCore
import TestSupport
import Testing

/// A region grows its record schema while its nodes run two versions of it: what an older
/// schema cannot apply is stored and relayed byte-exact, and applied from the stored batches
/// once the node's schema knows it (docs/PROTOCOL.md §5.11, docs/SCHEMA.md). Replicas on disk,
/// reopened with the grown schema as a restarted node would be.
@Suite(.ownThread) struct SchemaGrowthTests {
    static let regionFile = """
        version: 4
        kinds:
          person:
            fields:
              - {name: eye_colour, allowed: [blue, brown, green]}
              - {name: photo_ref, merge: immutable}
              - {name: alert, allowed: [deported]}
          boat:
            fields:
              - {name: hull_number, required: true, search: identifier}
              - {name: boat_name, search: name}
              - {name: flag, format: country, indexed: true}

        """

    static let boat = "  boat:\n    fields:\n      - {name: hull_number}\n"

    static func isApplied(_ outcome: ApplyOutcome) -> Bool {
        if case .applied = outcome { return true }
        return false
    }

    static func grown() throws -> RecordSchema {
        try RecordSchema.builtIn.grown(by: regionFile, file: "schema.yaml")
    }

    /// Reopens a node's replica file as a restarted node with `schema` would.
    static func reopen(_ region: TestRegion, _ node: NodeID, in folder: TemporaryDirectory, schema: RecordSchema) throws -> Replica {
        var configuration = region[node].configuration
        configuration.schema = schema
        return try Replica(path: folder.path("\(node).sqlite"), configuration: configuration)
    }

    @Test func writesOfAGrownSchemaWaitAtOlderNodesAndApplyOnceTheyGrow() throws {
        let folder = try TemporaryDirectory()
        let grown = try Self.grown()
        let region = try TestRegion(nodes: ["a", "b", "c"], directory: folder.url)
        let a = try Self.reopen(region, "a", in: folder, schema: grown)
        // a, on the grown schema, writes the new field, an immutable new field, a new allowed
        // value, and a record of the new kind; b and c know none of them.
        let person = try a.create(
            .person, in: "region",
            [
                FieldWrite("category", "suspect"), FieldWrite("family_name", "Marković"), FieldWrite("eye_colour", "green"), FieldWrite("photo_ref", "p-17"),
                FieldWrite("alert", "deported"),
            ])
        let boat = try a.create("boat", in: "region", [FieldWrite("hull_number", "ST-44 12"), FieldWrite("boat_name", "Galeb"), FieldWrite("flag", "ME")])
        // b, on the built-in schema, writes the same person meanwhile: its write must stand.
        try region["b"].pullChecked(from: a)
        try region["b"].update(person, [FieldWrite("given_name", "Ana")])
        try a.update(person, [FieldWrite("eye_colour", "blue")])
        // c hears of a's writes only through b, which relays what it could not apply.
        try region["b"].pullChecked(from: a)
        try region["c"].pullChecked(from: region["b"])
        try a.pullChecked(from: region["b"])

        let atB = try #require(try region["b"].live(person))
        #expect(atB.values["eye_colour"] == nil && atB.values["alert"] == nil, "b's schema has no eye_colour and no alert deported")
        #expect(atB.values["given_name"] == "Ana")
        let backlogB = try region["b"].schemaBacklog()
        #expect(backlogB.map(\.peer) == [Replica.localCopy] && backlogB.map(\.batches) == [3] && backlogB.map(\.changes) == [3], "\(backlogB)")
        #expect(try region["c"].schemaBacklog().map(\.changes) == [3], "c waits for the same three changes, relayed by b")
        #expect(try region["b"].digest() != a.digest(), "a holds values b cannot apply yet")

        // b and then c restart on the grown schema: the stored batches apply, in stream order.
        let grownB = try Self.reopen(region, "b", in: folder, schema: grown)
        #expect(try grownB.schemaBacklog().isEmpty)
        #expect(try grownB.digest() == a.digest(), "b applied from its stored batches what a applied on arrival")
        let grownC = try Self.reopen(region, "c", in: folder, schema: grown)
        #expect(try grownC.digest() == a.digest())
        let atC = try #require(try grownC.live(person))
        #expect(atC.values["eye_colour"] == "blue" && atC.values["photo_ref"] == "p-17" && atC.values["alert"] == "deported")
        #expect(atC.values["given_name"] == "Ana")
        #expect(try grownC.search("ST4412", kind: "boat").map(\.id) == [boat.description], "the new kind's identifier is searchable")
        #expect(try grownC.recordSchema.version == 4)
    }

    @Test func aNodeOnTheGrownSchemaAndAnOlderOneAgreeWhileNoNewFieldIsSet() throws {
        let folder = try TemporaryDirectory()
        let region = try TestRegion(nodes: ["a", "b"], directory: folder.url)
        let a = try Self.reopen(region, "a", in: folder, schema: try Self.grown())
        _ = try a.create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Hoxha")])
        try region["b"].pullChecked(from: a)
        #expect(try region["b"].digest() == a.digest(), "an unset region field is outside the digest")
        #expect(try region["b"].schemaBacklog().isEmpty)
    }

    @Test func reapplyingTheBacklogTwiceChangesNothing() throws {
        let folder = try TemporaryDirectory()
        let region = try TestRegion(nodes: ["a", "b"], directory: folder.url)
        let grown = try Self.grown()
        let a = try Self.reopen(region, "a", in: folder, schema: grown)
        let person = try a.create(
            .person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Berisha"), FieldWrite("eye_colour", "brown")])
        try a.erase(try a.create("boat", in: "region", [FieldWrite("hull_number", "X1")]), reason: "entered_in_error")
        try region["b"].pullChecked(from: a)
        let grownB = try Self.reopen(region, "b", in: folder, schema: grown)
        let digest = try grownB.digest()
        #expect(digest == (try a.digest()))
        let again = try grownB.reapplyDeferredBatches()
        #expect(again.batches == 0, "nothing waits once the schema knows everything")
        #expect(try grownB.live(person)?.values["eye_colour"] == "brown")
    }

    @Test func aSchemaThatGoesBackOrChangesIsRefusedAndTheReplicaKeepsItsOwn() throws {
        let folder = try TemporaryDirectory()
        let region = try TestRegion(nodes: ["a"], directory: folder.url)
        _ = try Self.reopen(region, "a", in: folder, schema: try Self.grown())
        #expect(throws: ReplicaError(.wrongSchema, "this is schema version 3 and the replica runs version 4; a schema never goes back")) {
            _ = try Self.reopen(region, "a", in: folder, schema: .builtIn)
        }
        let otherTwo = try RecordSchema.builtIn.grown(by: "version: 4\nkinds:\n  boat:\n    fields:\n      - {name: hull_number}\n", file: "other.yaml")
        #expect(throws: ReplicaError.self) { _ = try Self.reopen(region, "a", in: folder, schema: otherTwo) }
        // The replica still opens with the schema it ran.
        #expect(try Self.reopen(region, "a", in: folder, schema: try Self.grown()).recordSchema.version == 4)
    }

    @Test(arguments: [
        ("version: 3\nkinds:\n  boat:\n    fields:\n      - {name: x}\n", 1, "version must be greater than 3"),
        (
            "version: 4\nkinds:\n  person:\n    fields:\n      - {name: sex, merge: owner}\n", 5,
            "field person.sex exists; a schema may only add allowed values to it, not change its merge"
        ),
        ("version: 4\nkinds:\n  person:\n    fields:\n      - {name: family_name, allowed: [x]}\n", 5, "field person.family_name is free text"),
        ("version: 4\nkinds:\n  request:\n    fields:\n      - {name: status, allowed: [lost]}\n", 5, "field request.status merges by the order of its values"),
        ("version: 4\nkinds:\n  boat:\n    append_only: true\n    fields:\n      - {name: x}\n", 4, "a region's kind cannot be append-only"),
        ("version: 4\nkinds:\n  boat:\n    fields:\n      - {name: origin}\n", 5, "origin is a column every record has"),
        ("version: 4\nkinds:\n  boat:\n    fields:\n      - {name: x, colour: red}\n", 5, "unknown key colour in field boat.x"),
        ("version: 4\nkinds:\n  Boat:\n    fields:\n      - {name: x}\n", 3, "a kind name must be lowercase"),
        ("version: 4\nkinds:\n  boat:\n    fields:\n      - {name: x, merge: max}\n", 5, "field boat.x merges by max and needs its values"),
        ("version: 4\ncommon_fields: []\nkinds: {}\n", 2, "unknown key common_fields"),
        ("version: 4\nkinds:\n  boat:\n    fields:\n      - {name: x, managed: true}\n", 5, "field boat.x cannot be managed"),
        ("version: 4\nkinds:\n  boat:\n    fields:\n      - {name: handling_code}\n", 5, "handling_code is a field every kind has already"),
        ("version: 4\nkinds:\n  boat:\n    fields: [\n", 5, "the file is not valid YAML"),
    ])
    func aBadSchemaFileIsRefusedWithItsLine(_ text: String, _ line: Int, _ reason: String) {
        do {
            _ = try RecordSchema.builtIn.grown(by: text, file: "schema.yaml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.reason.hasPrefix(reason), "\(error)")
        }
    }

    @Test func theWrittenOutSchemaReadsBackToTheSameSchema() throws {
        let grown = try Self.grown()
        #expect(try RecordSchema.parseDocument(grown.document, file: "document") == grown)
        #expect(try RecordSchema.parseDocument(RecordSchema.builtIn.document, file: "document") == .builtIn)
        #expect(grown["boat"]?.tableName == "region_boat" && grown[.person]?.tableName == "person")
        #expect(grown[.person]?.field(named: "alert")?.allowedValues == ["wanted", "missing", "suspect", "none", "deported"])
    }

    @Test func anUpdateThatOutranItsCreateWaitsOnceAndAppliesWhenBothHaveCome() throws {
        let folder = try TemporaryDirectory()
        let grown = try Self.grown()
        let region = try TestRegion(nodes: ["a", "b", "c"], directory: folder.url)
        let a = try Self.reopen(region, "a", in: folder, schema: grown)
        let c = try Self.reopen(region, "c", in: folder, schema: grown)
        let person = try a.create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Hoxha")])
        try c.pullChecked(from: a)
        try c.update(person, [FieldWrite("eye_colour", "green")])
        // b meets c's update first: the person is not held, and eye_colour is not known.
        for batch in try c.batches(of: StreamID(origin: "c", group: "region"), after: 0, limit: .max) {
            #expect(Self.isApplied(try region["b"].apply(envelope: batch.envelope)))
        }
        #expect(try region["b"].live(person) == nil)
        #expect(try region["b"].schemaBacklog().map(\.changes) == [1])
        let grownB = try Self.reopen(region, "b", in: folder, schema: grown)
        let file = try DatabaseQueue(path: folder.path("b.sqlite"), configuration: SQLiteLibrary.configuration())
        #expect(try file.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM orphan_change") } == 1, "the update waits once, not once more for the re-apply")
        try file.close()
        try grownB.pullChecked(from: a)
        #expect(try grownB.live(person)?.values["eye_colour"] == "green")
        #expect(try grownB.digest() == c.digest())
    }

    @Test func twoCreatesOfOneRecordByItsOwnerSettleAlikeWhateverEachNodeKnew() throws {
        let folder = try TemporaryDirectory()
        let withKinds = try RecordSchema.builtIn.grown(
            by: "version: 4\nkinds:\n  person:\n    fields:\n      - {name: photo_kind, merge: immutable, allowed: [passport, visa]}\n" + Self.boat, file: "v2")
        let withMore = try RecordSchema.builtIn.grown(
            by: "version: 5\nkinds:\n  person:\n    fields:\n      - {name: photo_kind, merge: immutable, allowed: [passport, visa, wanted_poster]}\n"
                + Self.boat,
            file: "v3")
        let region = try TestRegion(nodes: ["m", "x", "y"], directory: folder.url)
        let x = try Self.reopen(region, "x", in: folder, schema: withMore)
        let y = try Self.reopen(region, "y", in: folder, schema: withKinds)
        // A hostile owner creates its record twice, with values only version 5 knows, then not.
        let id = RecordID.make(milliseconds: region.clocks["m"]!.now, boundTo: RecordBinding(origin: "m", group: "region", kind: "person"))
        let first = try region.signed(
            by: "m",
            [
                Change(
                    kind: "person", recordID: id, hlc: region.hlc("m"),
                    operation: .create([FieldWrite("family_name", "M"), FieldWrite("photo_kind", "wanted_poster")]))
            ])
        let second = try SignedBatch.make(
            network: TestRegion.network, origin: "m", group: "region", seq: 2, prevHash: first.header.hash,
            leaves: [
                .full(
                    Change(
                        kind: "person", recordID: id, hlc: region.hlc("m", counter: 1),
                        operation: .create([FieldWrite("family_name", "M"), FieldWrite("photo_kind", "passport")])))
            ],
            signingKey: region.keys["m"]!)
        // An unbound id never makes a record of a region's kind.
        let unbound = try #require(RecordID("0190f7c2-0000-7000-8000-00000000000a"))
        let third = try SignedBatch.make(
            network: TestRegion.network, origin: "m", group: "region", seq: 3, prevHash: second.header.hash,
            leaves: [.full(Change(kind: "boat", recordID: unbound, hlc: region.hlc("m", counter: 2), operation: .create([FieldWrite("hull_number", "U1")])))],
            signingKey: region.keys["m"]!)
        for batch in [first, second, third] {
            for node in [x, y] { #expect(Self.isApplied(try node.apply(envelope: batch.envelope))) }
        }
        #expect(try x.live(id)?.values["photo_kind"] == "wanted_poster")
        let grownY = try Self.reopen(region, "y", in: folder, schema: withMore)
        #expect(try grownY.live(id)?.values["photo_kind"] == "wanted_poster", "the earlier create's value stands at both")
        #expect(try grownY.digest() == x.digest())
        #expect(try x.lookup(unbound) == .unknown)
    }

    @Test func batchesAReleaseBeforeSchemaDocumentsStoredApplyWhenTheSchemaGrows() throws {
        let folder = try TemporaryDirectory()
        let grown = try Self.grown()
        let region = try TestRegion(nodes: ["a", "b"], directory: folder.url)
        let a = try Self.reopen(region, "a", in: folder, schema: grown)
        // A person as that release's peers wrote it: fields of version 1 and one the region added
        // (a create of this release would carry the category, a field of version 3, which b,
        // opened below with this release's schema, would stamp though that release could not).
        let made = try region.signed(
            by: "a",
            [
                Change(
                    kind: "person", recordID: RecordID.make(milliseconds: 1, boundTo: RecordBinding(origin: "a", group: "region", kind: "person")),
                    hlc: region.hlc("a"), operation: .create([FieldWrite("family_name", "Gashi"), FieldWrite("eye_colour", "blue")]))
            ])
        guard case .applied = try a.apply(envelope: made.envelope) else { throw ScenarioFailure("a did not take its batch") }
        try region["b"].pullChecked(from: a)
        // What b's file looks like after the release before this one stored the batch.
        let queue = try DatabaseQueue(path: folder.path("b.sqlite"), configuration: SQLiteLibrary.configuration())
        try queue.write { db in
            try db.execute(sql: "DELETE FROM deferred_batch; DELETE FROM replica_meta WHERE key = 'record_schema'")
            // That release ran version 1 of the built-in schema: no table or column of version 2.
            for kind in RecordSchema.builtIn.kinds {
                guard let old = RecordSchema.builtInVersion1[kind.kind] else {
                    try db.execute(sql: "DROP TABLE \"\(kind.tableName)\"")
                    continue
                }
                for field in kind.fields where old.field(named: field.name) == nil {
                    try db.execute(sql: "ALTER TABLE \"\(kind.tableName)\" DROP COLUMN \"\(field.name)\"")
                }
            }
        }
        try queue.close()
        let grownB = try Self.reopen(region, "b", in: folder, schema: grown)
        #expect(try grownB.digest() == a.digest())
    }

    @Test func aRegionsIndexNamesNeverMeetTheNodesOwn() throws {
        let folder = try TemporaryDirectory()
        let region = try TestRegion(nodes: ["a"], directory: folder.url)
        let schema = try RecordSchema.builtIn.grown(
            by:
                "version: 4\nkinds:\n  person:\n    fields:\n      - {name: group, indexed: true}\n  person_by:\n    fields:\n      - {name: group, indexed: true}\n",
            file: "schema.yaml")
        #expect(try Self.reopen(region, "a", in: folder, schema: schema).recordSchema.version == 4)
    }

    @Test func aValueOutsideAMaxFieldsOrderNeverWaitsForASchema() throws {
        let id = try #require(RecordID("0190f7c2-0000-7000-8000-00000000000b"))
        let hlc = HybridTimestamp(milliseconds: 1, counter: 0)
        #expect(!RecordSchema.builtIn.needsNewerSchema(Change(kind: "request", recordID: id, hlc: hlc, operation: .update([FieldWrite("status", "reopened")]))))
        #expect(RecordSchema.builtIn.needsNewerSchema(Change(kind: "person", recordID: id, hlc: hlc, operation: .update([FieldWrite("alert", "deported")]))))
    }
}
