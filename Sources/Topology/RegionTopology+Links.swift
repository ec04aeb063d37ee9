import Crypto
import SyncCore

extension RegionTopology {
    /// The peers `node` dials, each at the link's address or the peer's own.
    public func dialTargets(of node: NodeID) -> [(peer: NodeID, address: String)] {
        links.filter { $0.from == node }.compactMap { link in
            guard let address = link.address ?? self.node(link.to)?.address else { return nil }
            return (link.to, address)
        }
    }

    /// Whether a link lets `dialer` connect to `listener`.
    public func hasLink(dialer: NodeID, listener: NodeID) -> Bool {
        links.contains { $0.from == dialer && $0.to == listener }
    }

    /// The nodes linked to `node`, in either direction.
    public func linkedPeers(of node: NodeID) -> [NodeID] {
        links.compactMap { $0.from == node ? $0.to : $0.to == node ? $0.from : nil }
    }

    /// The groups `a` and `b` are both members of.
    public func sharedGroups(_ a: NodeID, _ b: NodeID) -> [GroupID] {
        groups.filter { $0.value.contains(a) && $0.value.contains(b) }.keys.sorted()
    }

    /// Whether `node` is a member of `group`.
    public func isMember(_ node: NodeID, of group: GroupID) -> Bool {
        groups[group]?.contains(node) ?? false
    }

    /// Members of `group` that `node` cannot reach over links whose two ends are both members:
    /// a group's batches travel only through its members, so these never receive them.
    public func unreachableMembers(of group: GroupID, from node: NodeID) -> [NodeID] {
        guard let members = groups[group], members.contains(node) else { return [] }
        let memberSet = Set(members)
        var reached: Set<NodeID> = [node]
        var frontier = [node]
        while let current = frontier.popLast() {
            for peer in linkedPeers(of: current) where memberSet.contains(peer) && !reached.contains(peer) {
                reached.insert(peer)
                frontier.append(peer)
            }
        }
        return members.filter { !reached.contains($0) }
    }

    /// Whether a certificate serial is on the revocation list. Serials compare as hex numbers,
    /// so `04:1A`, `41a` and `0x041a` are the same serial (the `x` is not a hex digit and the
    /// zeros lead).
    public func isRevoked(serial bytes: [UInt8]) -> Bool {
        let serial = Self.normalizedSerial(RegionCertificates.serialText(bytes))
        return revoked.contains { Self.normalizedSerial($0) == serial }
    }

    static func normalizedSerial(_ text: String) -> String {
        let hex = text.lowercased().filter { $0.isHexDigit }
        let trimmed = hex.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }

    /// SHA-256 of the topology's canonical form: the same for two files that say the same
    /// thing, whatever their layout, comments or key order. It travels in HELLO.
    public var digest: [UInt8] {
        var writer = ByteWriter()
        writer.writeLongString(network)
        for node in nodes.sorted(by: { $0.id < $1.id }) {
            writer.writeLongString(node.id.rawValue)
            writer.writeLongString(node.address)
            writer.writeLongString(node.signingKeys?.canonicalText ?? "")
        }
        writer.write(UInt8(0xFF))
        for link in links.sorted(by: { ($0.from, $0.to) < ($1.from, $1.to) }) {
            writer.writeLongString(link.from.rawValue)
            writer.writeLongString(link.to.rawValue)
            writer.writeLongString(link.address ?? "")
        }
        writer.write(UInt8(0xFF))
        for group in groups.keys.sorted() {
            writer.writeLongString(group.rawValue)
            for member in groups[group]!.sorted() { writer.writeLongString(member.rawValue) }
            writer.write(UInt8(0xFE))
        }
        writer.write(UInt8(0xFF))
        for serial in revoked.map(Self.normalizedSerial).sorted() { writer.writeLongString(serial) }
        // Countries and languages only where a node has them, so a topology without them keeps
        // the digest the releases before them computed.
        let described = nodes.filter { $0.country != nil || $0.languages != [Node.alwaysAccepted] }.sorted { $0.id < $1.id }
        if !described.isEmpty {
            writer.write(UInt8(0xFF))
            for node in described {
                writer.writeLongString(node.id.rawValue)
                writer.writeLongString(node.country ?? "")
                writer.writeLongString(node.languages.dropFirst().sorted().joined(separator: ","))
            }
        }
        return Array(SHA256.hash(data: writer.bytes))
    }
}
