import Foundation
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
        version: 2
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
            [FieldWrite("family_name", "Marković"), FieldWrite("eye_colour", "green"), FieldWrite("photo_ref", "p-17"), FieldWrite("alert", "deported")])
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
        #expect(try grownC.recordSchema.version == 2)
    }

    @Test func aNodeOnTheGrownSchemaAndAnOlderOneAgreeWhileNoNewFieldIsSet() throws {
        let folder = try TemporaryDirectory()
        let region = try TestRegion(nodes: ["a", "b"], directory: folder.url)
        let a = try Self.reopen(region, "a", in: folder, schema: try Self.grown())
        _ = try a.create(.person, in: "region", [FieldWrite("family_name", "Hoxha")])
        try region["b"].pullChecked(from: a)
        #expect(try region["b"].digest() == a.digest(), "an unset region field is outside the digest")
        #expect(try region["b"].schemaBacklog().isEmpty)
    }

    @Test func reapplyingTheBacklogTwiceChangesNothing() throws {
        let folder = try TemporaryDirectory()
        let region = try TestRegion(nodes: ["a", "b"], directory: folder.url)
        let grown = try Self.grown()
        let a = try Self.reopen(region, "a", in: folder, schema: grown)
        let person = try a.create(.person, in: "region", [FieldWrite("family_name", "Berisha"), FieldWrite("eye_colour", "brown")])
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
        #expect(throws: ReplicaError(.wrongSchema, "this is schema version 1 and the replica runs version 2; a schema never goes back")) {
            _ = try Self.reopen(region, "a", in: folder, schema: .builtIn)
        }
        let otherTwo = try RecordSchema.builtIn.grown(by: "version: 2\nkinds:\n  boat:\n    fields:\n      - {name: hull_number}\n", file: "other.yaml")
        #expect(throws: ReplicaError.self) { _ = try Self.reopen(region, "a", in: folder, schema: otherTwo) }
        // The replica still opens with the schema it ran.
        #expect(try Self.reopen(region, "a", in: folder, schema: try Self.grown()).recordSchema.version == 2)
    }

    @Test(arguments: [
        ("version: 1\nkinds:\n  boat:\n    fields:\n      - {name: x}\n", 1, "version must be greater than 1"),
        (
            "version: 2\nkinds:\n  person:\n    fields:\n      - {name: sex, merge: owner}\n", 5,
            "field person.sex exists; a schema may only add allowed values to it, not change its merge"
        ),
        ("version: 2\nkinds:\n  person:\n    fields:\n      - {name: family_name, allowed: [x]}\n", 5, "field person.family_name is free text"),
        ("version: 2\nkinds:\n  request:\n    fields:\n      - {name: status, allowed: [lost]}\n", 5, "field request.status merges by the order of its values"),
        ("version: 2\nkinds:\n  boat:\n    append_only: true\n    fields:\n      - {name: x}\n", 4, "a region's kind cannot be append-only"),
        ("version: 2\nkinds:\n  boat:\n    fields:\n      - {name: origin}\n", 5, "origin is a column every record has"),
        ("version: 2\nkinds:\n  boat:\n    fields:\n      - {name: x, colour: red}\n", 5, "unknown key colour in field boat.x"),
        ("version: 2\nkinds:\n  Boat:\n    fields:\n      - {name: x}\n", 3, "a kind name must be lowercase"),
        ("version: 2\nkinds:\n  boat:\n    fields:\n      - {name: x, merge: max}\n", 5, "field boat.x merges by max and needs its values"),
        ("version: 2\ncommon_fields: []\nkinds: {}\n", 2, "unknown key common_fields"),
        ("version: 2\nkinds:\n  boat:\n    fields: [\n", 5, "the file is not valid YAML"),
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
}
