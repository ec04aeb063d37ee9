import Replica
import SyncCore
import Topology

extension RegionTopology {
    /// The replica's trust inputs (network id, pinned keys with their histories, group members)
    /// and what requests need of each centre (country, languages).
    public var roster: Roster {
        var keys: [NodeID: SigningKeyHistory] = [:]
        for node in nodes {
            if let history = node.signingKeys { keys[node.id] = history }
        }
        var countries: [NodeID: String] = [:]
        var languages: [NodeID: [String]] = [:]
        for node in nodes {
            countries[node.id] = node.country
            languages[node.id] = node.languages
        }
        return Roster(network: network, keyHistories: keys, groups: groups.mapValues(Set.init), countries: countries, languages: languages)
    }
}
