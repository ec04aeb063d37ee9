import Testing
import Topology

@Suite struct RevocationEditTests {
    static let head = "network: x  # the region\nnodes:\n  - { id: a, address: \"h:1\" }\ngroups: {g: [a]}\n"

    @Test(arguments: [
        ("revoked: []\n", "revoked: [\"0a:0b\"]\n"),
        ("revoked: [\"01\"]   # old laptop\n", "revoked: [\"01\", \"0a:0b\"]   # old laptop\n"),
        ("revoked:\n  - \"01\"\n  - \"02\"\n", "revoked:\n  - \"01\"\n  - \"02\"\n  - \"0a:0b\"\n"),
        ("", "revoked: [\"0a:0b\"]\n"),
    ])
    func theSerialIsAddedAndEverythingElseKept(_ list: String, _ expected: String) throws {
        let edited = try RegionTopology.addingRevokedSerial("0a:0b", toYAML: Self.head + list, file: "t.yaml")
        #expect(edited == Self.head + expected)
        #expect(try RegionTopology.parse(yaml: edited, file: "t.yaml").isRevoked(serial: [0x0A, 0x0B]))
    }

    @Test func aListItCannotEditIsRefusedWithItsLine() {
        #expect(throws: TopologyError.self) {
            try RegionTopology.addingRevokedSerial("0a", toYAML: Self.head + "revoked: !!seq []\n", file: "t.yaml")
        }
    }
}
