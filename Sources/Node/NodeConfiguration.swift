import SyncCore
import Topology
import Transport
import WireProtocol

/// What a running node needs besides its replica.
public struct NodeConfiguration: Sendable {
    /// This node's id.
    public var nodeID: NodeID
    /// The region's topology at start; ``SyncNode/reload(_:)`` replaces it while running.
    public var topology: RegionTopology
    /// The node's TLS material.
    public var credentials: TLSCredentials
    /// Where to listen; nil to use the node's topology address. Port 0 picks a free port.
    public var listenAddress: String?
    /// A TCP socket already bound (listening or not), inherited as this file descriptor; when
    /// set, the node listens on it instead of binding ``listenAddress``.
    public var inheritedListener: CInt?
    /// This build's version, sent in HELLO.
    public var softwareVersion = "0.3.0"
    /// The protocol versions HELLO offers (docs/PROTOCOL.md §3); a narrower range makes the
    /// node speak as an older release would, for testing a region on two releases.
    public var protocolVersions = Hello.supportedProtocolVersions
    /// Cap on a frame's length.
    public var maxFrameLength = Frame.defaultMaxLength
    /// How often stream heads are polled for writes made by other processes.
    public var headPollMilliseconds: UInt64 = 50
    /// How often sessions get their tick (acknowledgements, pings, timeouts).
    public var tickMilliseconds: UInt64 = 250
    /// How often the node records that it serves, what each peer acknowledged and when it
    /// was last heard from, and tells senders which of their requests arrived. `pccc status`
    /// takes a node whose last heartbeat is older than ``NodeStatus/heartbeatFreshness`` as
    /// stopped, so this stays well below it; it is checked every ``tickMilliseconds``, so it is
    /// never shorter than that.
    public var heartbeatMilliseconds: UInt64 = 2_000
    /// How long a TLS handshake, accepted or dialed, may take before the connection is closed.
    public var handshakeTimeoutMilliseconds: UInt64 = 10_000
    /// Reconnect delays.
    public var backoff = Backoff()
    /// Timings of each session.
    public var pingIntervalMilliseconds: UInt64 = 10_000
    /// A peer silent this long is disconnected.
    public var peerTimeoutMilliseconds: UInt64 = 45_000
    /// How often a session of protocol version 3 sends this node's audit head when it moved.
    public var auditIntervalMilliseconds: UInt64 = 60_000
    /// Where every time reading and wait of the node comes from: the system's clocks unless a
    /// test drives the node with its own.
    public var clock: any NodeClock = SystemClock()

    /// Creates a configuration with default timings.
    public init(nodeID: NodeID, topology: RegionTopology, credentials: TLSCredentials, listenAddress: String? = nil) {
        self.nodeID = nodeID
        self.topology = topology
        self.credentials = credentials
        self.listenAddress = listenAddress
    }
}

extension NodeConfiguration {
    /// The sync engine's share of this configuration.
    var engine: SyncEngine.Configuration {
        var engine = SyncEngine.Configuration(nodeID: nodeID)
        engine.headPollMilliseconds = headPollMilliseconds
        engine.tickMilliseconds = tickMilliseconds
        engine.heartbeatMilliseconds = heartbeatMilliseconds
        engine.clock = clock
        return engine
    }
}

extension RegionTopology {
    /// The streams a link between `a` and `b` carries: every member of every group both are
    /// members of, in any epoch. Nothing else is ever sent or accepted on it.
    func sharedStreams(_ a: NodeID, _ b: NodeID) -> SharedStreams {
        var carried: [GroupID: Set<NodeID>] = [:]
        for group in sharedGroups(a, b) { carried[group] = Set(groups[group] ?? []) }
        return SharedStreams(groups: carried)
    }
}
