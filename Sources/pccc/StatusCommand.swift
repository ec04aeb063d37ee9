import ArgumentParser
import Foundation
import Records
import Replica
import Topology

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show peers (connected or not, last contact, lag per stream), group reachability, streams held and alarms."
    )
    @Option(help: "The node folder.") var data: String
    @Flag(help: "Print JSON.") var json = false

    /// A serving node records a heartbeat every 2 s; older than this, it is taken as stopped.
    static let heartbeatFreshness: UInt64 = 10_000

    func run() throws {
        let directory = NodeDirectory(data)
        let replica = try directory.open()
        let topology = try NodeDirectory.loadTopology(directory.topologyPath)
        let me = replica.configuration.nodeID
        let now = ReplicaConfiguration.systemMilliseconds()
        let serving = (try replica.servingHeartbeat()).map { now < $0 + Self.heartbeatFreshness } ?? false
        let streams = try replica.streamPositions()
        let held = Dictionary(uniqueKeysWithValues: streams.map { ("\($0.origin)/\($0.group)", $0.seq) })
        let recorded = Dictionary(uniqueKeysWithValues: try replica.peerStatuses().map { ($0.peer, $0) })

        var peers: [[String: Any]] = []
        for peer in topology.linkedPeers(of: me) {
            let status = recorded[peer]
            let acknowledged = Dictionary(uniqueKeysWithValues: try replica.peerProgress(peer: peer).map { ("\($0.origin)/\($0.group)", $0.seq) })
            var lags: [[String: Any]] = []
            for group in topology.sharedGroups(me, peer) {
                for origin in topology.groups[group] ?? [] where origin != peer {
                    let key = "\(origin)/\(group)"
                    guard let seq = held[key] else { continue }
                    let acked: UInt64 = acknowledged[key] ?? 0
                    let lag: UInt64 = seq > acked ? seq - acked : 0
                    lags.append(["origin": origin, "group": group, "held": seq, "acked": acked, "lag": lag])
                }
            }
            var entry: [String: Any] = [
                "peer": peer,
                "connected": serving && (status?.connected ?? false),
                "streams": lags,
            ]
            entry["since"] = status?.since.map { Timestamps.iso8601(milliseconds: $0) }
            entry["last_contact"] = status?.lastContact.map { Timestamps.iso8601(milliseconds: $0) }
            entry["last_error"] = status?.lastError
            entry["topology_match"] = status?.topologyMatches
            entry["software"] = status?.software
            peers.append(entry)
        }
        var groups: [[String: Any]] = []
        for group in topology.groups.keys.sorted() where topology.isMember(me, of: group) {
            groups.append(["group": group, "members": topology.groups[group]!, "unreachable": topology.unreachableMembers(of: group, from: me)])
        }
        let alarms = try replica.alarms()
        let quarantined = try replica.quarantinedCount()
        if json {
            try printJSON([
                "node": me,
                "serving": serving,
                "peers": peers,
                "groups": groups,
                "streams": streams.map { ["origin": $0.origin, "group": $0.group, "seq": $0.seq] },
                "quarantined": quarantined,
                "alarms": alarms.map { ["code": $0.code, "subject": $0.subject, "message": $0.message, "count": $0.count] },
            ])
            return
        }
        print("node \(me): \(serving ? "serving" : "not serving")")
        print(peers.isEmpty ? "peers: none linked" : "peers:")
        for peer in peers {
            let connected = peer["connected"] as! Bool
            var line = "  \(peer["peer"]!): \(connected ? "connected" : "down")"
            if let since = peer["since"] { line += " since \(since)" }
            if let contact = peer["last_contact"] { line += ", last contact \(contact)" }
            if peer["topology_match"] as? Bool == false { line += ", TOPOLOGY DIFFERS" }
            if !connected, let error = peer["last_error"] { line += " (\(error))" }
            print(line)
            for lag in peer["streams"] as! [[String: Any]] where (lag["lag"] as? UInt64 ?? 0) > 0 {
                print("    \(lag["origin"]!)/\(lag["group"]!): \(lag["lag"]!) batches not acknowledged")
            }
        }
        for group in groups {
            let unreachable = group["unreachable"] as! [String]
            if !unreachable.isEmpty {
                print("group \(group["group"]!) has no path to \(unreachable.joined(separator: ", ")) through its members")
            }
        }
        print("streams held:")
        for stream in streams { print("  \(stream.origin)/\(stream.group): seq \(stream.seq)") }
        print("quarantined batches: \(quarantined)")
        print(alarms.isEmpty ? "alarms: none" : "alarms:")
        for alarm in alarms { print("  [\(alarm.code)] \(alarm.message) (×\(alarm.count))") }
    }
}
