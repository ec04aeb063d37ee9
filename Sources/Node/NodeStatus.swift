import Foundation
import Records
import Replica
import SyncCore
import Topology
import Transport

/// What `pccc status` and `GET /api/status` report: each linked peer (connected or not, its
/// lag per stream), each group's reachability, the streams held, quarantine and alarms.
/// Read from the replica, so it is the same whether or not this process runs the node.
public struct NodeStatus: Sendable {
    /// How far a peer is behind on one stream this node holds.
    public struct StreamLag: Sendable {
        /// The stream.
        public let stream: StreamID
        /// The stream's origin node.
        public var origin: NodeID { stream.origin }
        /// The stream's group.
        public var group: GroupID { stream.group }
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
        public let peer: NodeID
        /// A session is up and the node is serving.
        public let connected: Bool
        /// What the replica recorded of the peer; nil when never seen.
        public let status: PeerStatus?
        /// The peer's lag on each stream the two share.
        public let streams: [StreamLag]
        /// Milliseconds down, when down and ever seen.
        public let downMilliseconds: UInt64?
        /// Changes the peer sent that wait here for a newer record schema.
        public let waitingForSchema: Int
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
        public let name: GroupID
        /// Its members.
        public let members: [NodeID]
        /// Members with no path from this node through the group's links.
        public let unreachable: [NodeID]
    }

    /// How long a linked peer may be down before monitoring is told (`pccc status` exits 2).
    public static let defaultDownThreshold: UInt64 = 300

    /// A serving node records a heartbeat every 2 s; older than this, it is taken as stopped.
    public static let heartbeatFreshness: UInt64 = 10_000

    /// This node's id.
    public let node: NodeID
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
    /// The epoch this node writes in (docs/PROTOCOL.md §5.9), and why it began.
    public let writeEpoch: WriteEpoch
    /// Forked batches kept in quarantine.
    public let quarantined: Int
    /// Open alarms, latest first.
    public let alarms: [Alarm]
    /// Changes whenever a batch is stored here, local or received: what a live view polls.
    public let version: Int64
    /// Every certificate in use and how soon it expires: the node's own and each trusted CA
    /// (as given), then each linked peer's as last seen at a handshake.
    public let certificates: [CertificateExpiry]
    /// The version of the record schema this node runs (docs/SCHEMA.md); not the SQL
    /// schema's `user_version`.
    public let recordSchemaVersion: Int
    /// Changes held here that wait for a newer record schema, from every sender.
    public let waitingForSchema: Int

    /// Reads the status of `replica`'s node under `topology` at `now` (Unix milliseconds);
    /// `certificates` are the node's own certificate and its CAs (``TLSCredentials/certificatesInUse``).
    public init(
        replica: Replica, topology: RegionTopology, now: UInt64 = ReplicaConfiguration.systemMilliseconds(), certificates: [CertificateInUse] = []
    ) throws {
        let me = replica.configuration.nodeID
        node = me
        network = topology.network
        serving = (try replica.servingHeartbeat()).map { now < $0 + Self.heartbeatFreshness } ?? false
        streams = try replica.streamPositions()
        let recorded = Dictionary(uniqueKeysWithValues: try replica.peerStatuses().map { ($0.peer, $0) })
        let backlog = Dictionary(uniqueKeysWithValues: try replica.schemaBacklog().map { ($0.peer, $0.changes) })
        var peers: [Peer] = []
        for peer in topology.linkedPeers(of: me) {
            let acknowledged = Dictionary(uniqueKeysWithValues: try replica.peerProgress(peer: peer).map { ($0.stream, $0.seq) })
            var lags: [StreamLag] = []
            let shared = Set(topology.sharedGroups(me, peer))
            for position in streams where position.origin != peer && shared.contains(position.group) && topology.isMember(position.origin, of: position.group) {
                let stream = position.stream
                let seq = position.seq
                let acked = acknowledged[stream] ?? 0
                let waiting =
                    seq > acked ? try replica.receivedAt(StreamPosition(stream, seq: acked + 1)).map { now > $0 ? (now - $0) / 1000 : 0 } : nil
                lags.append(StreamLag(stream: stream, held: seq, acknowledged: acked, oldestWaitingSeconds: waiting ?? 0))
            }
            let status = recorded[peer]
            let connected = serving && (status?.connected ?? false)
            let down = connected ? nil : status?.since.map { now > $0 ? now - $0 : 0 }
            peers.append(
                Peer(peer: peer, connected: connected, status: status, streams: lags, downMilliseconds: down, waitingForSchema: backlog[peer] ?? 0))
        }
        self.peers = peers
        groups = topology.groups.keys.sorted().filter { topology.isMember(me, of: $0) }.map {
            Group(name: $0, members: topology.groups[$0]!, unreachable: topology.unreachableMembers(of: $0, from: me))
        }
        writeEpoch = try replica.writeEpoch()
        quarantined = try replica.quarantinedCount()
        alarms = try replica.alarms()
        version = try replica.streamHeadsVersion()
        recordSchemaVersion = replica.recordSchema.version
        waitingForSchema = backlog.values.reduce(0, +)
        let peerCertificates = peers.compactMap { peer -> CertificateInUse? in
            guard let serial = peer.status?.certificateSerial, let notAfter = peer.status?.certificateNotAfter else { return nil }
            return CertificateInUse(
                name: CertificateInUse.peerPrefix + peer.peer.rawValue, serial: serial, notAfter: Date(timeIntervalSince1970: Double(notAfter) / 1000)
            )
        }
        let at = Date(timeIntervalSince1970: Double(now) / 1000)
        self.certificates = (certificates + peerCertificates).map { CertificateExpiry($0, now: at) }
    }

    /// Linked peers down longer than `seconds`; a peer never seen counts as down since ever.
    public func peersDown(longerThan seconds: UInt64) -> [NodeID] {
        peers.filter { !$0.connected && ($0.downMilliseconds.map { $0 > seconds * 1000 } ?? true) }.map(\.peer)
    }
}

/// The JSON that `pccc status --json` prints and `GET /api/status` answers. A peer's keys
/// from `since` on are left out, not null, when nothing was recorded.
public struct NodeStatusJSON: Codable, Sendable, Equatable {
    /// How far a peer is behind on one stream.
    public struct StreamLag: Codable, Sendable, Equatable {
        /// The stream's origin node.
        public var origin: NodeID
        /// The origin's epoch of the stream (0 for the first epoch of nodes made before epochs).
        public var epoch: UInt64
        /// The stream's group.
        public var group: GroupID
        /// The highest seq held here.
        public var held: UInt64
        /// The highest seq the peer acknowledged.
        public var acked: UInt64
        /// Batches the peer lacks.
        public var lag: UInt64
        /// How long the oldest of them has waited, seconds.
        public var lagSeconds: UInt64

        enum CodingKeys: String, CodingKey {
            case origin, epoch, group, held, acked, lag
            case lagSeconds = "lag_seconds"
        }
    }

    /// One linked peer.
    public struct Peer: Codable, Sendable, Equatable {
        /// The peer's node id.
        public var peer: NodeID
        /// A session is up and the node is serving.
        public var connected: Bool
        /// Batches it lacks, over every stream.
        public var lag: UInt64
        /// How long the oldest of them has waited, seconds.
        public var lagSeconds: UInt64
        /// Its lag per shared stream.
        public var streams: [StreamLag]
        /// When the current or last session started, ISO 8601.
        public var since: String?
        /// When anything last arrived from it.
        public var lastContact: String?
        /// Why the last session ended.
        public var lastError: String?
        /// Whether its topology digest matches.
        public var topologyMatch: Bool?
        /// Its software version.
        public var software: String?
        /// How far its clock is ahead, milliseconds.
        public var clockSkewMs: Int64?
        /// When a batch last arrived from it.
        public var lastBatchIn: String?
        /// When a batch last went to it.
        public var lastBatchOut: String?
        /// Seconds down, when down and ever seen.
        public var downSeconds: UInt64?
        /// Changes it sent that wait here for a newer record schema; absent from answers of
        /// releases before the record schema could grow.
        public var waitingForSchema: Int? = nil

        enum CodingKeys: String, CodingKey {
            case peer, connected, lag, streams, since, software
            case waitingForSchema = "waiting_for_schema"
            case lagSeconds = "lag_seconds"
            case lastContact = "last_contact"
            case lastError = "last_error"
            case topologyMatch = "topology_match"
            case clockSkewMs = "clock_skew_ms"
            case lastBatchIn = "last_batch_in"
            case lastBatchOut = "last_batch_out"
            case downSeconds = "down_seconds"
        }
    }

    /// One group of this node.
    public struct Group: Codable, Sendable, Equatable {
        /// The group.
        public var group: GroupID
        /// Its members.
        public var members: [NodeID]
        /// Members this node has no path to.
        public var unreachable: [NodeID]
    }

    /// The head of one stream held.
    public struct Stream: Codable, Sendable, Equatable {
        /// Its origin node.
        public var origin: NodeID
        /// The origin's epoch of the stream.
        public var epoch: UInt64
        /// Its group.
        public var group: GroupID
        /// Its highest seq.
        public var seq: UInt64
    }

    /// The epoch this node writes in.
    public struct Epoch: Codable, Sendable, Equatable {
        /// The epoch: 0, or the Unix milliseconds at which it began.
        public var epoch: UInt64
        /// Why it began: `initialised`, `restored`, `restore_detected` or `key_rotated`; absent for 0.
        public var reason: String?
        /// When it began, ISO 8601; absent for 0.
        public var startedAt: String?

        enum CodingKeys: String, CodingKey {
            case epoch, reason
            case startedAt = "started_at"
        }
    }

    /// One open alarm.
    public struct AlarmEntry: Codable, Sendable, Equatable {
        /// The alarm code.
        public var code: String
        /// What it is about.
        public var subject: String
        /// One sentence.
        public var message: String
        /// How many times it was raised.
        public var count: Int
    }

    /// This node's id.
    public var node: NodeID
    /// The network id.
    public var network: String
    /// A `pccc serve` process runs for this replica.
    public var serving: Bool
    /// Moves whenever a batch is stored here.
    public var version: Int64
    /// Every linked peer.
    public var peers: [Peer]
    /// Every group of this node.
    public var groups: [Group]
    /// Every stream held.
    public var streams: [Stream]
    /// The epoch this node writes in.
    public var epoch: Epoch
    /// Forked batches in quarantine.
    public var quarantined: Int
    /// Open alarms.
    public var alarms: [AlarmEntry]
    /// Peers down longer than the threshold.
    public var peersDownOverThreshold: [NodeID]
    /// Every certificate in use and when it expires; absent from answers of releases
    /// before certificate expiry was reported.
    public var certificates: [Certificate]? = nil
    /// The version of the record schema this node runs; absent from answers of releases
    /// before the record schema could grow.
    public var recordSchemaVersion: Int? = nil
    /// Changes held that wait for a newer record schema, from every sender.
    public var waitingForSchema: Int? = nil

    enum CodingKeys: String, CodingKey {
        case node, network, serving, version, peers, groups, streams, epoch, quarantined, alarms, certificates
        case peersDownOverThreshold = "peers_down_over_threshold"
        case recordSchemaVersion = "record_schema_version"
        case waitingForSchema = "waiting_for_schema"
    }
}

extension NodeStatus {
    /// The status as `pccc status --json` prints it and `GET /api/status` answers it.
    public func json(downThreshold: UInt64 = defaultDownThreshold) -> NodeStatusJSON {
        func time(_ milliseconds: UInt64?) -> String? { milliseconds.map(Timestamps.iso8601(milliseconds:)) }
        return NodeStatusJSON(
            node: node, network: network, serving: serving, version: version,
            peers: peers.map { peer in
                NodeStatusJSON.Peer(
                    peer: peer.peer, connected: peer.connected, lag: peer.totalLag, lagSeconds: peer.oldestWaitingSeconds,
                    streams: peer.streams.map {
                        .init(
                            origin: $0.origin, epoch: $0.stream.epoch, group: $0.group, held: $0.held, acked: $0.acknowledged, lag: $0.lag,
                            lagSeconds: $0.oldestWaitingSeconds)
                    },
                    since: time(peer.status?.since), lastContact: time(peer.status?.lastContact), lastError: peer.status?.lastError,
                    topologyMatch: peer.status?.topologyMatches, software: peer.status?.software, clockSkewMs: peer.status?.clockSkew,
                    lastBatchIn: time(peer.status?.lastBatchIn), lastBatchOut: time(peer.status?.lastBatchOut), downSeconds: peer.downSeconds,
                    waitingForSchema: peer.waitingForSchema
                )
            },
            groups: groups.map { .init(group: $0.name, members: $0.members, unreachable: $0.unreachable) },
            streams: streams.map { .init(origin: $0.origin, epoch: $0.stream.epoch, group: $0.group, seq: $0.seq) },
            epoch: .init(epoch: writeEpoch.epoch, reason: writeEpoch.reason?.rawValue, startedAt: time(writeEpoch.startedAt)),
            quarantined: quarantined,
            alarms: alarms.map { .init(code: $0.code, subject: $0.subject, message: $0.message, count: $0.count) },
            peersDownOverThreshold: peersDown(longerThan: downThreshold),
            certificates: certificates.map(NodeStatusJSON.Certificate.init),
            recordSchemaVersion: recordSchemaVersion, waitingForSchema: waitingForSchema
        )
    }
}
