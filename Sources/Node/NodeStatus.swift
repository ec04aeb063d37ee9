import Foundation
import Records
import Replica
import Topology

/// What `pccc status` and `GET /api/status` report: each linked peer (connected or not, its
/// lag per stream), each group's reachability, the streams held, quarantine and alarms.
/// Read from the replica, so it is the same whether or not this process runs the node.
public struct NodeStatus: Sendable {
    /// How far a peer is behind on one stream this node holds.
    public struct StreamLag: Sendable {
        /// The stream's origin node.
        public let origin: String
        /// The stream's group.
        public let group: String
        /// The highest seq this node holds.
        public let held: UInt64
        /// The highest seq the peer acknowledged.
        public let acknowledged: UInt64
        /// Batches held here and not acknowledged by the peer.
        public var lag: UInt64 { held > acknowledged ? held - acknowledged : 0 }
        /// How long the oldest batch the peer lacks has been waiting here.
        public let oldestWaitingSeconds: UInt64
    }

    /// One linked peer.
    public struct Peer: Sendable {
        /// The peer's node id.
        public let peer: String
        /// A session is up and the node is serving.
        public let connected: Bool
        /// What the replica recorded of the peer; nil when never seen.
        public let status: PeerStatus?
        /// The peer's lag on each stream the two share.
        public let streams: [StreamLag]
        /// Milliseconds down, when down and ever seen.
        public let downMilliseconds: UInt64?
        /// Seconds down, when down and ever seen.
        public var downSeconds: UInt64? { downMilliseconds.map { $0 / 1000 } }
        /// Batches the peer lacks, over every stream.
        public var totalLag: UInt64 { streams.reduce(0) { $0 + $1.lag } }
        /// How long the oldest batch the peer lacks, on any stream, has been waiting here.
        public var oldestWaitingSeconds: UInt64 { streams.filter { $0.lag > 0 }.map(\.oldestWaitingSeconds).max() ?? 0 }
    }

    /// One group this node is a member of.
    public struct Group: Sendable {
        /// The group.
        public let name: String
        /// Its members.
        public let members: [String]
        /// Members with no path from this node through the group's links.
        public let unreachable: [String]
    }

    /// How long a linked peer may be down before monitoring is told (`pccc status` exits 2).
    public static let defaultDownThreshold: UInt64 = 300

    /// A serving node records a heartbeat every 2 s; older than this, it is taken as stopped.
    public static let heartbeatFreshness: UInt64 = 10_000

    /// This node's id.
    public let node: String
    /// The topology's network id.
    public let network: String
    /// A `pccc serve` process is running for this replica.
    public let serving: Bool
    /// Every peer a link joins to this node.
    public let peers: [Peer]
    /// Every group this node is a member of.
    public let groups: [Group]
    /// The head of every stream held.
    public let streams: [StreamPosition]
    /// Forked batches kept in quarantine.
    public let quarantined: Int
    /// Open alarms, latest first.
    public let alarms: [Alarm]
    /// Changes whenever a batch is stored here, local or received: what a live view polls.
    public let version: Int64

    /// Reads the status of `replica`'s node under `topology` at `now` (Unix milliseconds).
    public init(replica: Replica, topology: RegionTopology, now: UInt64 = ReplicaConfiguration.systemMilliseconds()) throws {
        let me = replica.configuration.nodeID
        node = me
        network = topology.network
        serving = (try replica.servingHeartbeat()).map { now < $0 + Self.heartbeatFreshness } ?? false
        streams = try replica.streamPositions()
        let held = Dictionary(uniqueKeysWithValues: streams.map { ("\($0.origin)/\($0.group)", $0.seq) })
        let recorded = Dictionary(uniqueKeysWithValues: try replica.peerStatuses().map { ($0.peer, $0) })
        var peers: [Peer] = []
        for peer in topology.linkedPeers(of: me) {
            let acknowledged = Dictionary(uniqueKeysWithValues: try replica.peerProgress(peer: peer).map { ("\($0.origin)/\($0.group)", $0.seq) })
            var lags: [StreamLag] = []
            for group in topology.sharedGroups(me, peer) {
                for origin in topology.groups[group] ?? [] where origin != peer {
                    let key = "\(origin)/\(group)"
                    guard let seq = held[key] else { continue }
                    let acked = acknowledged[key] ?? 0
                    let waiting =
                        seq > acked ? try replica.receivedAt(origin: origin, group: group, seq: acked + 1).map { now > $0 ? (now - $0) / 1000 : 0 } : nil
                    lags.append(StreamLag(origin: origin, group: group, held: seq, acknowledged: acked, oldestWaitingSeconds: waiting ?? 0))
                }
            }
            let status = recorded[peer]
            let connected = serving && (status?.connected ?? false)
            let down = connected ? nil : status?.since.map { now > $0 ? now - $0 : 0 }
            peers.append(Peer(peer: peer, connected: connected, status: status, streams: lags, downMilliseconds: down))
        }
        self.peers = peers
        groups = topology.groups.keys.sorted().filter { topology.isMember(me, of: $0) }.map {
            Group(name: $0, members: topology.groups[$0]!, unreachable: topology.unreachableMembers(of: $0, from: me))
        }
        quarantined = try replica.quarantinedCount()
        alarms = try replica.alarms()
        version = try replica.streamHeadsVersion()
    }

    /// Linked peers down longer than `seconds`; a peer never seen counts as down since ever.
    public func peersDown(longerThan seconds: UInt64) -> [String] {
        peers.filter { !$0.connected && ($0.downMilliseconds.map { $0 > seconds * 1000 } ?? true) }.map(\.peer)
    }
}

extension NodeStatus {
    /// The JSON that `pccc status --json` prints and `GET /api/status` answers.
    public func jsonObject(downThreshold: UInt64 = defaultDownThreshold) -> [String: Any] {
        func time(_ milliseconds: UInt64?) -> Any? { milliseconds.map(Timestamps.iso8601(milliseconds:)) }
        let peerObjects = peers.map { peer -> [String: Any] in
            var entry: [String: Any] = [
                "peer": peer.peer, "connected": peer.connected, "lag": peer.totalLag, "lag_seconds": peer.oldestWaitingSeconds,
                "streams": peer.streams.map {
                    ["origin": $0.origin, "group": $0.group, "held": $0.held, "acked": $0.acknowledged, "lag": $0.lag, "lag_seconds": $0.oldestWaitingSeconds]
                },
            ]
            entry["since"] = time(peer.status?.since)
            entry["last_contact"] = time(peer.status?.lastContact)
            entry["last_error"] = peer.status?.lastError
            entry["topology_match"] = peer.status?.topologyMatches
            entry["software"] = peer.status?.software
            entry["clock_skew_ms"] = peer.status?.clockSkew
            entry["last_batch_in"] = time(peer.status?.lastBatchIn)
            entry["last_batch_out"] = time(peer.status?.lastBatchOut)
            entry["down_seconds"] = peer.downSeconds
            return entry
        }
        return [
            "node": node,
            "network": network,
            "serving": serving,
            "version": version,
            "peers": peerObjects,
            "groups": groups.map { ["group": $0.name, "members": $0.members, "unreachable": $0.unreachable] },
            "streams": streams.map { ["origin": $0.origin, "group": $0.group, "seq": $0.seq] },
            "quarantined": quarantined,
            "alarms": alarms.map { ["code": $0.code, "subject": $0.subject, "message": $0.message, "count": $0.count] },
            "peers_down_over_threshold": peersDown(longerThan: downThreshold),
        ]
    }
}
