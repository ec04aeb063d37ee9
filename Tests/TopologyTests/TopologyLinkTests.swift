import Foundation
import Testing
import Topology

@Suite struct TopologyLinkTests {
    static func topology(_ body: String) throws -> RegionTopology {
        try RegionTopology.parse(
            yaml: "network: net\nnodes:\n" + ["a", "b", "c", "d"].map { "  - { id: \($0), address: \"127.0.0.1:1\" }\n" }.joined() + body, file: "t.yaml")
    }

    @Test func aGroupReachesOnlyMembersLinkedThroughMembers() throws {
        let chain = try Self.topology("links:\n  - [a, b]\n  - [b, c]\n  - [c, d]\ngroups:\n  all: [a, b, c, d]\n  ac: [a, c]\n  abd: [a, b, d]\n")
        #expect(chain.unreachableMembers(of: "all", from: "a").isEmpty)
        #expect(chain.unreachableMembers(of: "ac", from: "a") == ["c"], "b is not a member, so ac cannot cross it")
        #expect(chain.unreachableMembers(of: "abd", from: "b") == ["d"])
        #expect(chain.unreachableMembers(of: "abd", from: "c").isEmpty, "a non-member has nothing to reach")
        #expect(chain.sharedGroups("a", "b") == ["abd", "all"])
        #expect(chain.dialTargets(of: "b").map(\.peer) == ["c"])
        #expect(chain.hasLink(dialer: "a", listener: "b"))
        #expect(!chain.hasLink(dialer: "b", listener: "a"), "a link is directed for dialing")
    }

    @Test func revokedSerialsCompareAsNumbers() throws {
        let topology = try Self.topology("groups: {g: [a]}\nrevoked: [\"00:4F:1a\", \"0x0b\"]\n")
        #expect(topology.isRevoked(serial: [0x4F, 0x1A]))
        #expect(topology.isRevoked(serial: [0x00, 0x00, 0x4F, 0x1A]))
        #expect(topology.isRevoked(serial: [0x0B]))
        #expect(!topology.isRevoked(serial: [0x4F, 0x1B]))
        #expect(!topology.isRevoked(serial: [0x4F, 0x1A, 0x00]))
    }

    @Test func theDigestIgnoresLayoutButNotMeaning() throws {
        let one = try Self.topology("links:\n  - [a, b]\n  - [c, d]\ngroups:\n  g: [a, b]\n  h: [c, d]\n")
        let reordered = try Self.topology("# comment\nlinks: [[c, d], [a, b]]\ngroups: {h: [d, c], g: [b, a]}\n")
        let otherLink = try Self.topology("links:\n  - [b, a]\n  - [c, d]\ngroups:\n  g: [a, b]\n  h: [c, d]\n")
        let revoked = try Self.topology("links:\n  - [a, b]\n  - [c, d]\ngroups:\n  g: [a, b]\n  h: [c, d]\nrevoked: [\"01\"]\n")
        #expect(one.digest == reordered.digest)
        #expect(one.digest != otherLink.digest)
        #expect(one.digest != revoked.digest)
        #expect(one.digest.count == 32)
    }
}
