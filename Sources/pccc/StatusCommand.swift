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
    @Option(help: "Exit with status 2 when a linked peer has been down longer than this many seconds (for monitoring).")
    var downThreshold: UInt64 = 300

    /// A serving node records a heartbeat every 2 s; older than this, it is taken as stopped.
    static let heartbeatFreshness: UInt64 = 10_000

    func run() throws {
        let directory = NodeDirectory(data)
        let (replica, topology) = try directory.openWithTopology()
        let me = replica.configuration.nodeID
        let now = ReplicaConfiguration.systemMilliseconds()
        let serving = (try replica.servingHeartbeat()).map { now < $0 + Self.heartbeatFreshness } ?? false
        let streams = try replica.streamPositions()
        let held = Dictionary(uniqueKeysWithValues: streams.map { ("\($0.origin)/\($0.group)", $0.seq) })
        let recorded = Dictionary(uniqueKeysWithValues: try replica.peerStatuses().map { ($0.peer, $0) })

        var peers: [[String: Any]] = []
        var overThreshold: [String] = []
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
                    // How long the oldest batch the peer lacks has been waiting here.
                    let waiting = lag > 0 ? try replica.receivedAt(origin: origin, group: group, seq: acked + 1).map { now > $0 ? (now - $0) / 1000 : 0 } : 0
                    lags.append(["origin": origin, "group": group, "held": seq, "acked": acked, "lag": lag, "lag_seconds": waiting ?? 0])
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
            entry["clock_skew_ms"] = status?.clockSkew
            entry["last_batch_in"] = status?.lastBatchIn.map { Timestamps.iso8601(milliseconds: $0) }
            entry["last_batch_out"] = status?.lastBatchOut.map { Timestamps.iso8601(milliseconds: $0) }
            let connected = serving && (status?.connected ?? false)
            if !connected {
                // Down since the session ended; a peer never seen counts as down since ever.
                let downMilliseconds = status?.since.map { now > $0 ? now - $0 : 0 }
                entry["down_seconds"] = downMilliseconds.map { $0 / 1000 }
                if downMilliseconds.map({ $0 > downThreshold * 1000 }) ?? true { overThreshold.append(peer) }
            }
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
                "peers_down_over_threshold": overThreshold,
            ])
            try exitWhenDown(overThreshold)
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
            if let skew = peer["clock_skew_ms"] as? Int64, abs(skew) >= 1000 { line += ", clock \(skew > 0 ? "+" : "")\(skew / 1000) s" }
            if let batchIn = peer["last_batch_in"] { line += ", last batch in \(batchIn)" }
            if let batchOut = peer["last_batch_out"] { line += ", out \(batchOut)" }
            if !connected, let error = peer["last_error"] { line += " (\(error))" }
            print(line)
            for lag in peer["streams"] as! [[String: Any]] where (lag["lag"] as? UInt64 ?? 0) > 0 {
                print("    \(lag["origin"]!)/\(lag["group"]!): \(lag["lag"]!) batches not acknowledged, oldest waiting \(lag["lag_seconds"]!) s")
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
        try exitWhenDown(overThreshold)
    }

    private func exitWhenDown(_ peers: [String]) throws {
        guard !peers.isEmpty else { return }
        FileHandle.standardError.write(Data("peers down longer than \(downThreshold) s: \(peers.joined(separator: ", "))\n".utf8))
        throw ExitCode(2)
    }
}
