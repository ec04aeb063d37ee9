import Documents
import SyncCore
import Yams

extension RegionTopology {
    /// Parses and validates a topology. `file` only names the source in errors.
    public static func parse(yaml: String, file: String) throws(TopologyError) -> RegionTopology {
        try parseWithGroupLines(yaml: yaml, file: file).topology
    }

    /// Parses a topology and checks what only the whole region shows: every group's members
    /// must reach each other over links between members, since a group's batches travel only
    /// through its members. `pccc topology validate` and reloads use it; `parse` does not,
    /// so a node can still start and report such a group in its status.
    public static func validate(yaml: String, file: String) throws(TopologyError) -> RegionTopology {
        let (topology, groupLines) = try parseWithGroupLines(yaml: yaml, file: file)
        for group in topology.groups.keys.sorted(by: { (groupLines[$0] ?? 0) < (groupLines[$1] ?? 0) }) {
            guard let first = topology.groups[group]?.first else { continue }
            let unreachable = topology.unreachableMembers(of: group, from: first)
            if !unreachable.isEmpty {
                throw TopologyError(
                    file: file, line: groupLines[group],
                    "group \(group) is split: \(first) cannot reach \(unreachable.map(\.rawValue).joined(separator: ", ")) over links between members"
                )
            }
        }
        return topology
    }

    private static func parseWithGroupLines(yaml: String, file: String) throws(TopologyError) -> (topology: RegionTopology, groupLines: [GroupID: Int]) {
        let root = try DocumentYAML.compose(yaml, file: file, whenEmpty: "the topology file is empty")
        var parser = Parser(file: file)
        let topology = try parser.topology(root)
        return (topology, parser.groupLines)
    }

}

private struct Parser {
    let file: String
    var groupLines: [GroupID: Int] = [:]

    func fail(_ node: Yams.Node?, _ reason: String) -> TopologyError {
        TopologyError(file: file, line: node?.mark?.line, reason)
    }

    mutating func topology(_ root: Yams.Node) throws(TopologyError) -> RegionTopology {
        guard let mapping = root.mapping else { throw fail(root, "the topology must be a mapping with network, nodes, links and groups") }
        for (key, _) in mapping {
            guard let name = key.string, ["network", "nodes", "links", "groups", "revoked"].contains(name) else {
                throw fail(key, "unknown key \(key.string ?? "?"); the keys are network, nodes, links, groups and revoked")
            }
        }
        guard let networkNode = mapping["network"], let network = networkNode.string, Self.isSlug(network) else {
            throw fail(mapping["network"] ?? root, "network must be a slug of lowercase letters, digits and '-'")
        }
        let nodes = try parseNodes(mapping["nodes"], root: root)
        let ids = Set(nodes.map(\.id))
        let links = try parseLinks(mapping["links"], ids: ids)
        let groups = try parseGroups(mapping["groups"], ids: ids, root: root)
        var revoked: [String] = []
        if let revokedNode = mapping["revoked"] {
            guard let items = revokedNode.sequence else { throw fail(revokedNode, "revoked must be a list of certificate serials") }
            for item in items {
                guard let serial = item.string,
                    serial.contains(where: \.isHexDigit), serial.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "x" || $0 == "X" })
                else {
                    throw fail(item, "a revoked serial must be hex bytes such as 4f:1a:09, as pccc certs show prints it")
                }
                revoked.append(serial)
            }
        }
        return RegionTopology(network: network, nodes: nodes, links: links, groups: groups, revoked: revoked)
    }

    func parseNodes(_ node: Yams.Node?, root: Yams.Node) throws(TopologyError) -> [RegionTopology.Node] {
        guard let node, let items = node.sequence, !items.isEmpty else {
            throw fail(node ?? root, "nodes must be a non-empty list")
        }
        var result: [RegionTopology.Node] = []
        for item in items {
            guard let entry = item.mapping else { throw fail(item, "each node must be a mapping with id, address and signing_key") }
            guard let idNode = entry["id"], let id = idNode.string, Self.isSlug(id) else {
                throw fail(item, "a node id must be a slug of lowercase letters, digits and '-'")
            }
            guard !result.contains(where: { $0.id.rawValue == id }) else { throw fail(idNode, "node \(id) is defined twice") }
            guard let addressNode = entry["address"], let address = addressNode.string, Self.isAddress(address) else {
                throw fail(entry["address"] ?? item, "node \(id) needs an address of the form host:port")
            }
            for (key, _) in entry {
                guard let name = key.string, ["id", "address", "signing_key", "signing_keys", "country", "languages"].contains(name) else {
                    throw fail(
                        key,
                        "unknown key \(key.string ?? "?") in node \(id); a node has id, address, signing_key or signing_keys, and optionally country and languages"
                    )
                }
            }
            var country: String?
            if let countryNode = entry["country"] {
                guard let text = countryNode.string, text.utf8.count == 2, text.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }) else {
                    throw fail(countryNode, "country of node \(id) must be an ISO 3166 alpha-2 code in capitals, such as RS")
                }
                country = text
            }
            var languages = [RegionTopology.Node.alwaysAccepted]
            if let languagesNode = entry["languages"] {
                guard let items = languagesNode.sequence, items.count <= 32 else {
                    throw fail(languagesNode, "languages of node \(id) must be a list of at most 32 ISO 639-1 codes, such as [sr, en]")
                }
                for item in items {
                    guard let code = item.string, code.utf8.count == 2, code.utf8.allSatisfy({ $0 >= 97 && $0 <= 122 }) else {
                        throw fail(item, "each language of node \(id) must be an ISO 639-1 code in lower case, such as sr")
                    }
                    if !languages.contains(code) { languages.append(code) }
                }
            }
            var keys: SigningKeyHistory?
            switch (entry["signing_key"], entry["signing_keys"]) {
            case (let keyNode?, nil):
                keys = SigningKeyHistory(try parseKey(keyNode, of: id, field: "signing_key"))
            case (nil, let listNode?):
                keys = try parseKeyHistory(listNode, of: id)
            case (_?, let listNode?):
                throw fail(listNode, "node \(id) has both signing_key and signing_keys; keep one")
            case (nil, nil):
                keys = nil
            }
            result.append(RegionTopology.Node(id: NodeID(id), address: address, signingKeys: keys, country: country, languages: languages))
        }
        return result
    }

    func parseKey(_ node: Yams.Node, of id: String, field: String) throws(TopologyError) -> BatchVerifyingKey {
        guard let text = node.string, text.hasPrefix("ed25519:"), let raw = Base64.decode(String(text.dropFirst(8))),
            let parsed = try? BatchVerifyingKey(rawRepresentation: raw)
        else {
            throw fail(node, "\(field) of \(id) must be ed25519: followed by the base64 of a 32-byte public key")
        }
        return parsed
    }

    /// `signing_keys`: a list of `{key, from_epoch, revoked_after}`, the first from epoch 0
    /// (its `from_epoch` may be left out), epochs ascending; `revoked_after` maps
    /// `EPOCH/GROUP` to the last seq the key signed there.
    func parseKeyHistory(_ node: Yams.Node, of id: String) throws(TopologyError) -> SigningKeyHistory {
        guard let items = node.sequence, !items.isEmpty else {
            throw fail(node, "signing_keys of \(id) must be a non-empty list of {key, from_epoch, revoked_after}")
        }
        var entries: [SigningKeyHistory.Entry] = []
        for item in items {
            guard let entry = item.mapping else { throw fail(item, "each of \(id)'s signing_keys must be a mapping with key and from_epoch") }
            for (key, _) in entry {
                guard let name = key.string, ["key", "from_epoch", "revoked_after"].contains(name) else {
                    throw fail(key, "unknown key \(key.string ?? "?") in a signing key of \(id); the keys are key, from_epoch and revoked_after")
                }
            }
            guard let keyNode = entry["key"] else { throw fail(item, "a signing key of \(id) needs key: ed25519:BASE64") }
            let key = try parseKey(keyNode, of: id, field: "key")
            var from: UInt64 = 0
            if let fromNode = entry["from_epoch"] {
                guard let text = fromNode.string, let value = UInt64(text) else {
                    throw fail(fromNode, "from_epoch of a signing key of \(id) must be an epoch number, as pccc keys rotate prints it")
                }
                from = value
            }
            if entries.isEmpty, from != 0 { throw fail(item, "the first signing key of \(id) signs from epoch 0; leave its from_epoch out") }
            if let last = entries.last, from <= last.fromEpoch {
                throw fail(item, "signing keys of \(id) must be listed by ascending from_epoch")
            }
            var revoked: [UInt64: [GroupID: UInt64]]?
            if let revokedNode = entry["revoked_after"] {
                guard let parts = revokedNode.mapping else {
                    throw fail(revokedNode, "revoked_after of a signing key of \(id) must map EPOCH/GROUP to the last valid seq")
                }
                var limits: [UInt64: [GroupID: UInt64]] = [:]
                for (partNode, seqNode) in parts {
                    let pieces = partNode.string?.split(separator: "/", omittingEmptySubsequences: false) ?? []
                    guard pieces.count == 2, let epoch = UInt64(pieces[0]), Self.isSlug(String(pieces[1])),
                        let seqText = seqNode.string, let seq = UInt64(seqText)
                    else {
                        throw fail(partNode, "revoked_after of \(id) maps EPOCH/GROUP (such as 0/region) to a seq number")
                    }
                    limits[epoch, default: [:]][GroupID(String(pieces[1]))] = seq
                }
                revoked = limits
            }
            entries.append(SigningKeyHistory.Entry(key: key, fromEpoch: from, revokedAfter: revoked))
        }
        guard let history = SigningKeyHistory(entries: entries) else { throw fail(node, "signing_keys of \(id) are out of order") }
        return history
    }

    func parseLinks(_ node: Yams.Node?, ids: Set<NodeID>) throws(TopologyError) -> [RegionTopology.Link] {
        guard let node else { return [] }
        guard let items = node.sequence else { throw fail(node, "links must be a list") }
        var result: [RegionTopology.Link] = []
        for item in items {
            let link: RegionTopology.Link
            if let pair = item.sequence {
                guard pair.count == 2, let from = pair[0].string, let to = pair[1].string else {
                    throw fail(item, "a link must be [from, to] or a mapping with from, to and address")
                }
                link = RegionTopology.Link(from: NodeID(from), to: NodeID(to), address: nil)
            } else if let entry = item.mapping, let from = entry["from"]?.string, let to = entry["to"]?.string {
                let address = entry["address"]?.string
                if let address, !Self.isAddress(address) { throw fail(entry["address"], "link address \(address) is not host:port") }
                link = RegionTopology.Link(from: NodeID(from), to: NodeID(to), address: address)
            } else {
                throw fail(item, "a link must be [from, to] or a mapping with from, to and address")
            }
            for end in [link.from, link.to] where !ids.contains(end) {
                throw fail(item, "link names unknown node \(end)")
            }
            guard link.from != link.to else { throw fail(item, "a node cannot link to itself (\(link.from))") }
            guard !result.contains(where: { Set([$0.from, $0.to]) == Set([link.from, link.to]) }) else {
                throw fail(item, "link \(link.from)–\(link.to) is defined twice")
            }
            result.append(link)
        }
        return result
    }

    mutating func parseGroups(_ node: Yams.Node?, ids: Set<NodeID>, root: Yams.Node) throws(TopologyError) -> [GroupID: [NodeID]] {
        guard let node, let mapping = node.mapping else { throw fail(node ?? root, "groups must be a mapping of group name to member list") }
        var result: [GroupID: [NodeID]] = [:]
        for (key, value) in mapping {
            guard let name = key.string, Self.isSlug(name) else { throw fail(key, "a group name must be a slug") }
            guard result[GroupID(name)] == nil else { throw fail(key, "group \(name) is defined twice") }
            groupLines[GroupID(name)] = key.mark?.line
            guard let members = value.sequence, !members.isEmpty else { throw fail(value, "group \(name) needs a list of members") }
            var list: [NodeID] = []
            for member in members {
                guard let text = member.string, case let id = NodeID(text), ids.contains(id) else {
                    throw fail(member, "group \(name) names unknown node \(member.string ?? "?")")
                }
                guard !list.contains(id) else { throw fail(member, "group \(name) lists \(id) twice") }
                list.append(id)
            }
            result[GroupID(name)] = list
        }
        return result
    }

    static func isSlug(_ text: String) -> Bool {
        RegionTopology.isNodeID(text)
    }

    static func isAddress(_ text: String) -> Bool {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { return false }
        return colon != text.startIndex && (1...65535).contains(port)
    }
}
