import Foundation
import TestSupport
import Testing

/// A region grows its record schema one centre at a time (docs/SCHEMA.md, docs/OPERATIONS.md):
/// real `pccc serve` processes on loopback, a chain a–b–c, so what a writes in the new field
/// reaches c only through b, which does not know it yet.
@Suite(.serialized, .ownThread) struct SchemaUpgradeTests {
    static let schemaFile = """
        version: 4
        kinds:
          person:
            fields:
              - {name: eye_colour, allowed: [blue, brown, green]}
          boat:
            fields:
              - {name: hull_number, required: true, search: identifier}
              - {name: boat_name, search: name}

        """

    /// Stops `node`, installs the region's schema file in its folder, and starts it again.
    static func upgrade(_ region: LiveRegion, _ node: String) throws {
        region.stop(node)
        let path = region.folder(node) + "/schema.yaml"
        try schemaFile.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(chmod(path, 0o600) == 0)
        try region.start(node)
    }

    static func schemaVersion(_ region: LiveRegion, _ node: String) throws -> Int? {
        (try region.status(at: node)["record_schema_version"] as? NSNumber)?.intValue
    }

    @Test func threeNodesOnTwoSchemaVersionsConvergeOnceEachHasGrown() throws {
        let region = try LiveRegion(
            nodes: ["a", "b", "c"], links: [LiveRegion.Link(from: "a", to: "b"), LiveRegion.Link(from: "b", to: "c")],
            groups: ["region": ["a", "b", "c"]])
        for node in ["a", "b", "c"] { try region.start(node) }
        try region.waitUntil("sessions a–b and b–c", seconds: 30) { try region.isConnected("b", to: "a") && region.isConnected("b", to: "c") }
        var written: [String] = []
        var upgrades = 0
        func writeAtEveryNode(_ round: String) throws {
            for node in ["a", "b", "c"] {
                written.append(try region.addRecord(at: node, group: "region", ["family_name": "\(round) \(node)"]))
            }
        }
        try writeAtEveryNode("before")

        // a grows first, then writes the new field, a new kind's record, and the new field of
        // a person c made, while b and c still run the built-in schema.
        try Self.upgrade(region, "a")
        upgrades += 1
        #expect(try Self.schemaVersion(region, "a") == 4 && Self.schemaVersion(region, "b") == 3)
        try region.waitUntil("a–b session again", seconds: 30) { try region.isConnected("b", to: "a") }
        let eyes = try region.addRecord(at: "a", group: "region", ["family_name": "Marković", "eye_colour": "green"])
        let boat = try region.addRecord(at: "a", kind: "boat", group: "region", ["hull_number": "ST-44 12", "boat_name": "Galeb"])
        try region.update(at: "a", written[2], ["eye_colour": "brown"])
        written += [eyes, boat]
        try writeAtEveryNode("mixed")
        let refused = try PCCCExecutable.run(
            ["record", "add", "boat", "--data", region.folder("b"), "--group", "region", "--set", "hull_number=X"])
        #expect(
            refused.status != 0 && refused.error.contains("kind must be person, vehicle, document, firearm, organisation, object or link, not boat"),
            "\(refused.error)")

        // b and c hold a's batches whole and wait with them; each status says so.
        try region.waitUntil("c holds a's boat batch", seconds: 30) {
            (try region.status(at: "c")["waiting_for_schema"] as? NSNumber)?.intValue == 3
        }
        let waiting = try region.peerEntry(at: "b", "a")["waiting_for_schema"] as? NSNumber
        #expect(waiting?.intValue == 3, "b's status counts a's three changes it cannot apply yet")
        #expect(try region.record(at: "c", eyes)?["fields"].flatMap { ($0 as? [String: Any])?["eye_colour"] } == nil)
        let software = try region.peerEntry(at: "a", "b")["software"] as? String
        #expect(software?.contains("schema=3") == true, "a sees which schema b runs: \(software ?? "none")")

        try Self.upgrade(region, "b")
        upgrades += 1
        try writeAtEveryNode("after b")
        try Self.upgrade(region, "c")
        upgrades += 1
        try writeAtEveryNode("after all")
        let healed = Date()
        let seconds = try region.waitUntil("equal digests", seconds: 60) {
            let digests = try Set(["a", "b", "c"].map { try region.digest(at: $0) })
            return digests.count == 1
        }
        for node in ["a", "b", "c"] {
            for id in written { #expect(try region.record(at: node, id) != nil, "\(id) is missing at \(node)") }
            let fields = try region.record(at: node, eyes)?["fields"] as? [String: Any]
            #expect((fields?["eye_colour"] as? [String: Any])?["value"] as? String == "green", "\(node): \(fields ?? [:])")
            #expect(try Self.schemaVersion(region, node) == 4)
            #expect((try region.status(at: node)["waiting_for_schema"] as? NSNumber)?.intValue == 0)
        }
        let found = try region.pccc(["search", "ST4412", "--data", region.folder("c"), "--kind", "boat", "--purpose", "test"])
        #expect(found.contains(boat), "c finds the boat by its hull number: \(found)")
        print(
            "schema upgrade: \(written.count) writes over 3 nodes, \(upgrades) upgrades one at a time, equal digests \(String(format: "%.2f", seconds)) s after the last (\(String(format: "%.2f", Date().timeIntervalSince(healed))) s to check)"
        )
    }

    @Test func aNodeWhoseSchemaFileGoesBackRefusesToStartWithOneSentence() throws {
        let region = try LiveRegion(nodes: ["a", "b"], links: [LiveRegion.Link(from: "a", to: "b")], groups: ["region": ["a", "b"]])
        try Self.upgrade(region, "a")
        region.stop("a")
        try FileManager.default.removeItem(atPath: region.folder("a") + "/schema.yaml")
        let refused = try PCCCExecutable.run(["serve", "--data", region.folder("a")])
        #expect(refused.status != 0)
        #expect(
            refused.error.contains("this is schema version 3 and the replica runs version 4; a schema never goes back"), "\(refused.error)")
    }
}
