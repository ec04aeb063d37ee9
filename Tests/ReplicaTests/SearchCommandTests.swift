import Foundation
import TestSupport
import Testing

@Suite(.ownThread) struct SearchCommandTests {
    @Test func searchFindsACyrillicNameByItsASCIISpelling() throws {
        let directory = try TemporaryDirectory()
        let topology = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Topology/sample-region.yaml").path
        let data = directory.path("mk")
        #expect(try PCCCExecutable.run(["init", "--data", data, "--node", "mk-tabanovce", "--topology", topology]).status == 0)
        let added = try PCCCExecutable.run([
            "record", "add", "person", "--set", "category=suspect", "--data", data, "--group", "region", "--set", "family_name=Ђорђевић",
        ])
        let id = added.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let found = try PCCCExecutable.run(["search", "Dordevic", "--data", data, "--json", "--purpose", "test"])
        #expect(found.status == 0)
        let hits = try #require(try JSONSerialization.jsonObject(with: Data(found.output.utf8)) as? [[String: Any]])
        #expect(hits.map { $0["id"] as? String } == [id])
        #expect(hits.first?["label"] as? String == "Ђорђевић")
        let none = try PCCCExecutable.run(["search", "Hoxha", "--data", data, "--purpose", "test"])
        #expect(none.status == 0 && none.output.contains("no record matches"))
        let wrongKind = try PCCCExecutable.run(["search", "x", "--data", data, "--kind", "hit", "--purpose", "test"])
        #expect(wrongKind.status != 0 && wrongKind.error.contains("--kind must be person, vehicle, document, firearm, organisation or object"))
    }
}
