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
