import Replica
import SyncCore
import Topology

extension RegionTopology {
    /// The replica's trust inputs: network id, pinned keys with their histories, and group members.
    public var roster: Roster {
        var keys: [NodeID: SigningKeyHistory] = [:]
        for node in nodes {
            if let history = node.signingKeys { keys[node.id] = history }
        }
        return Roster(network: network, keyHistories: keys, groups: groups.mapValues(Set.init))
    }
}
