import Foundation
import SyncCore
import Testing
import Topology

@Suite struct TopologyParsingTests {
    static let key = BatchSigningKey().publicKey.topologyForm

    @Test func parsesTheDesignExample() throws {
        let yaml = """
            network: wb-region
            nodes:
              - id: mk-tabanovce
                address: 10.20.0.11:7443
                signing_key: \(Self.key)
              - id: rs-presevo
                address: 10.30.0.5:7443
              - id: me-dobrakovo
                address: 10.40.0.7:7443
            links:
              - [mk-tabanovce, rs-presevo]
              - { from: rs-presevo, to: me-dobrakovo, address: 10.30.0.7:7443 }
            groups:
              region: [mk-tabanovce, rs-presevo, me-dobrakovo]
              mk-rs: [mk-tabanovce, rs-presevo]
            revoked: ["4f:1a"]
            """
        let topology = try RegionTopology.parse(yaml: yaml, file: "wb.yaml")
        #expect(topology.network == "wb-region")
        #expect(topology.nodes.map(\.id) == ["mk-tabanovce", "rs-presevo", "me-dobrakovo"])
        #expect(topology.node("mk-tabanovce")?.signingKey?.topologyForm == Self.key)
        #expect(topology.links[1] == RegionTopology.Link(from: "rs-presevo", to: "me-dobrakovo", address: "10.30.0.7:7443"))
        #expect(topology.groups["mk-rs"] == ["mk-tabanovce", "rs-presevo"])
        #expect(topology.revoked == ["4f:1a"])
    }

    @Test(arguments: [
        ("network: x\nnodes:\n  - id: a\n    address: h:1\n  - id: a\n    address: h:2\ngroups: {g: [a]}\n", 5, "node a is defined twice"),
        ("network: x\nnodes:\n  - id: a\n    address: h:1\nlinks:\n  - [a, b]\ngroups: {g: [a]}\n", 6, "link names unknown node b"),
        ("network: x\nnodes:\n  - id: a\n    address: nowhere\ngroups: {g: [a]}\n", 4, "node a needs an address of the form host:port"),
        ("network: x\nnodes:\n  - id: a\n    address: h:1\n    signing_key: ed25519:AAAA\ngroups: {g: [a]}\n", 5, "signing_key of a must be"),
        ("network: x\nnodes:\n  - id: a\n    address: h:1\ngroups:\n  g: [a, zz]\n", 6, "group g names unknown node zz"),
        ("network: x\nnodes:\n  - id: a\n    address: h:1\nlinks:\n  - [a, a]\ngroups: {g: [a]}\n", 6, "a node cannot link to itself"),
        (
            "network: x\nnodes:\n  - id: a\n    address: h:1\n  - id: b\n    address: h:2\nlinks:\n  - [a, b]\n  - [b, a]\ngroups: {g: [a]}\n", 9,
            "link b–a is defined twice"
        ),
        (
            "network: x\nnodes:\n  - id: a\n    address: h:1\nlinks:\n  - {from: a, to: a, address: \"h\"}\ngroups: {g: [a]}\n", 6,
            "link address h is not host:port"
        ),
        ("network: x\nnodes:\n  - id: a\n    address: h:1\ngroups:\n  g: [a, a]\n", 6, "group g lists a twice"),
        ("network: x\nnodes:\n  - id: a\n    address: h:1\ngroups:\n  g: [a]\nrevoked:\n  - \"4f:zz\"\n", 8, "a revoked serial must be hex bytes"),
        ("network: x\nnodes:\n  - id: Bad_Id\n    address: h:1\ngroups: {g: [a]}\n", 3, "a node id must be a slug"),
        ("network: x\nnodes:\n  - id: a\n    address: h:1\ngroups: {g: [a]}\ncolour: red\n", 6, "unknown key colour"),
        ("network: x\nnodes: [\n", 3, "the file is not valid YAML"),
    ])
    func errorsNameTheLine(_ yaml: String, _ line: Int, _ message: String) {
        #expect {
            try RegionTopology.parse(yaml: yaml, file: "t.yaml")
        } throws: { error in
            guard let error = error as? TopologyError else { return false }
            return error.line == line && error.reason.hasPrefix(message) && error.description.hasPrefix("t.yaml:\(line): ")
        }
    }
}

@Suite struct TopologyValidationTests {
    @Test func aGroupSplitByANonMemberIsAnErrorThatNamesTheGroupsLine() {
        let yaml = """
            network: x
            nodes:
              - { id: a, address: "h:1" }
              - { id: b, address: "h:2" }
              - { id: c, address: "h:3" }
            links: [[a, b], [b, c]]
            groups:
              all: [a, b, c]
              ac: [a, c]
            """
        #expect(throws: TopologyError(file: "t.yaml", line: 9, "group ac is split: a cannot reach c over links between members")) {
            try RegionTopology.validate(yaml: yaml, file: "t.yaml")
        }
        #expect(throws: Never.self, "parse alone accepts it, so a node can start and report it") {
            try RegionTopology.parse(yaml: yaml, file: "t.yaml")
        }
    }

    @Test func everyShippedTopologyValidatesAndItsGroupsAreWhole() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Topology")
        let text = try String(contentsOf: folder.appendingPathComponent("western-balkans.yaml"), encoding: .utf8)
        let topology = try RegionTopology.validate(yaml: text, file: "western-balkans.yaml")
        #expect(topology.nodes.count >= 6)
        #expect(topology.groups["region"]?.count == topology.nodes.count, "a region-wide group")
        #expect(topology.groups.values.filter { $0.count == 2 }.count >= 2, "bilateral groups")
        let svg = topology.svg()
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>"))
        for node in topology.nodes { #expect(svg.contains(">\(node.id)<")) }
        #expect(topology.dot().contains("\"mk-tabanovce\" -> \"rs-presevo\""))
        #expect(topology.text().contains("mk-rs: mk-tabanovce, rs-presevo — every member reaches every other"))
    }
}

@Suite struct ShippedTopologyTests {
    @Test func everyTopologyFileInTheRepositoryParses() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Topology")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }
        #expect(!files.isEmpty)
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            _ = try RegionTopology.validate(yaml: text, file: file)
        }
    }
}

/// A node's signing keys over the years in the topology (docs/PROTOCOL.md §5.10).
@Suite struct SigningKeysParsingTests {
    static let old = BatchSigningKey().publicKey.topologyForm
    static let new = BatchSigningKey().publicKey.topologyForm

    static func topology(_ node: String) -> String {
        "network: x\nnodes:\n  - id: a\n    address: h:1\n\(node)groups: {g: [a]}\n"
    }

    @Test func aKeyHistoryParsesWithItsEpochsAndRevocation() throws {
        let yaml = Self.topology(
            """
                signing_keys:
                  - key: \(Self.old)
                    revoked_after: {0/g: 12, 1900000000000/g: 3}
                  - key: \(Self.new)
                    from_epoch: 1900000000001

            """)
        let history = try #require(try RegionTopology.parse(yaml: yaml, file: "t.yaml").node("a")?.signingKeys)
        #expect(history.entries.map(\.fromEpoch) == [0, 1_900_000_000_001])
        #expect(history.entries[0].revokedAfter == [0: ["g": 12], 1_900_000_000_000: ["g": 3]])
        #expect(history.current.key.topologyForm == Self.new)
        #expect(history.verdict(epoch: 0, group: "g", seq: 12) == .verify(history.entries[0].key))
        #expect(history.verdict(epoch: 0, group: "g", seq: 13) == .revoked(lastValidSeq: 12))
        #expect(history.verdict(epoch: 5, group: "g", seq: 1) == .revoked(lastValidSeq: 0))
        #expect(history.verdict(epoch: 1_900_000_000_001, group: "g", seq: 99) == .verify(history.current.key))
        #expect(history.canonicalText == "\(Self.old) from 0 revoked after 0/g#12 1900000000000/g#3;\(Self.new) from 1900000000001")
    }

    @Test func oneKeyListedEitherWayHasTheDigestOfBefore() throws {
        let single = try RegionTopology.parse(yaml: Self.topology("    signing_key: \(Self.old)\n"), file: "t.yaml")
        let listed = try RegionTopology.parse(yaml: Self.topology("    signing_keys:\n      - key: \(Self.old)\n"), file: "t.yaml")
        #expect(single.digest == listed.digest)
        let rotated = try RegionTopology.parse(
            yaml: Self.topology("    signing_keys:\n      - key: \(Self.old)\n      - key: \(Self.new)\n        from_epoch: 5\n"), file: "t.yaml")
        #expect(rotated.digest != single.digest)
    }

    @Test(arguments: [
        ("    signing_key: \(old)\n    signing_keys:\n      - key: \(new)\n", 7, "node a has both signing_key and signing_keys; keep one"),
        ("    signing_keys:\n      - key: \(old)\n        from_epoch: 3\n", 6, "the first signing key of a signs from epoch 0; leave its from_epoch out"),
        (
            "    signing_keys:\n      - key: \(old)\n      - key: \(new)\n        from_epoch: 9\n      - key: \(old)\n        from_epoch: 9\n", 9,
            "signing keys of a must be listed by ascending from_epoch"
        ),
        (
            "    signing_keys:\n      - key: \(old)\n        revoked_after: {region: 3}\n", 7,
            "revoked_after of a maps EPOCH/GROUP (such as 0/region) to a seq number"
        ),
        ("    signing_keys: []\n", 5, "signing_keys of a must be a non-empty list of {key, from_epoch, revoked_after}"),
        (
            "    signing_keys:\n      - key: \(old)\n        since: 4\n", 7,
            "unknown key since in a signing key of a; the keys are key, from_epoch and revoked_after"
        ),
    ])
    func aBadKeyHistoryNamesItsLine(_ node: String, _ line: Int, _ reason: String) {
        #expect(throws: TopologyError(file: "t.yaml", line: line, reason)) {
            try RegionTopology.parse(yaml: Self.topology(node), file: "t.yaml")
        }
    }
}
