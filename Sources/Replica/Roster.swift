import Records
import SyncCore

/// What a replica trusts: the region's network id, each node's pinned signing keys and the
/// members of each sharing group. The topology supplies it; tests build it directly.
public struct Roster: Sendable {
    /// The region's network id.
    public let network: String
    /// Each node's Ed25519 signing keys and the part of its streams each signs.
    public let signingKeys: [NodeID: SigningKeyHistory]
    /// Each group's member node ids.
    public let groups: [GroupID: Set<NodeID>]
    /// The centres' countries, where the topology gives them.
    public let countries: [NodeID: String]
    /// The languages each centre accepts requests in, where the topology gives more than
    /// English (``acceptedLanguages(of:)``).
    public let languages: [NodeID: [String]]

    /// Creates a roster.
    public init(
        network: String, keyHistories: [NodeID: SigningKeyHistory], groups: [GroupID: Set<NodeID>], countries: [NodeID: String] = [:],
        languages: [NodeID: [String]] = [:]
    ) {
        self.network = network
        signingKeys = keyHistories
        self.groups = groups
        self.countries = countries
        self.languages = languages
    }

    /// The languages `node` accepts requests in: English, and those the topology adds.
    public func acceptedLanguages(of node: NodeID) -> [String] {
        languages[node] ?? [RequestForm.alwaysAccepted]
    }

    /// What the request statistics count `node` under: its country, else its id.
    public func country(of node: NodeID) -> String {
        countries[node] ?? node.rawValue
    }

    /// Creates a roster in which every node has one key for all its streams.
    public init(network: String, signingKeys: [NodeID: BatchVerifyingKey], groups: [GroupID: Set<NodeID>]) {
        self.init(network: network, keyHistories: signingKeys.mapValues(SigningKeyHistory.init), groups: groups)
    }

    /// Whether `node` is a member of `group`.
    public func isMember(_ node: NodeID, of group: GroupID) -> Bool {
        groups[group]?.contains(node) ?? false
    }
}
