import Replica
import SyncCore
import Topology

extension RegionTopology {
    /// The replica's trust inputs: network id, pinned keys and group members.
    public var roster: Roster {
        var keys: [NodeID: BatchVerifyingKey] = [:]
        for node in nodes {
            if let key = node.signingKey { keys[node.id] = key }
        }
        return Roster(network: network, signingKeys: keys, groups: groups.mapValues(Set.init))
    }
}
