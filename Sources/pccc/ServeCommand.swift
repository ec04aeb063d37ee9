import API
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import Node
import NodeService
import Prometheus
import ServiceLifecycle
import Transport
import UnixSignals
import WireProtocol

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the node: listen for peers, dial linked peers, and sync until SIGINT or SIGTERM.",
        discussion: """
            The node reloads DATA/topology.yaml when it changes and on SIGHUP; a file that does not parse is refused. \
            SIGHUP also reloads DATA/tls (ca.pem, which may hold several CAs, node.pem and node.key) for every new \
            handshake; sessions already up stay, and files that cannot be used are refused.
            """
    )

    @Option(help: "The node folder.") var data: String
    @Option(help: "Listen on HOST:PORT instead of the node's topology address; port 0 picks a free port.")
    var listen: String?
    @Option(help: "Log level: trace, debug, info, warning or error.") var logLevel = "info"
    @Option(
        help: """
            Serve the web UI, the HTTP API and /metrics on HOST:PORT: any address over HTTPS with --api-cert and --api-key,             else plain HTTP on loopback only (127.0.0.1:8080); port 0 picks a free port.
            """
    )
    var api: String?
    @Option(help: "The web UI's TLS certificate chain, PEM, leaf first (the centre's PKI, or pccc certs issue-api).")
    var apiCert: String?
    @Option(help: "The private key of --api-cert, PEM.") var apiKey: String?
    @Option(help: "Drop a peer silent this many seconds (PINGs go out at a third of it, at most every 10 s); at least 3.")
    var peerTimeout = 45
    @Option(help: "Close a connection whose TLS handshake has not finished after this many seconds (0.1 to 300).")
    var handshakeTimeout = 10.0
    @Option(help: "Send each peer this node's audit head when it moved, every this many seconds (1 to 3600; protocol version 3).")
    var auditInterval = 60
    @Option(
        help: """
            Record the node's heartbeat, its peers' acknowledgements and request receipts every this many seconds \
            (0.25, the node's tick, to 2; status takes a node silent for 10 s as stopped).
            """
    )
    var heartbeatInterval = 2.0
    @Option(
        help: """
            Accept peers on this inherited file descriptor, a TCP socket already bound, listening or not \
            (socket activation), instead of binding the listen address.
            """
    )
    var listenFd: Int32?
    @Option(
        help: """
            The protocol versions to offer peers, LOW-HIGH or one version, within this build's \
            \(Hello.supportedProtocolVersions.lowerBound)-\(Hello.supportedProtocolVersions.upperBound): a narrower range makes the node \
            speak as an older release would, to test a region on two releases.
            """
    )
    var protocolVersions: String?
    @Flag(help: "Stop when the process that started this node ends, for scripts and supervisors that may be killed before they can stop it.")
    var stopWithParent = false

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw CLIError("--log-level must be trace, debug, info, warning or error")
        }
        guard peerTimeout >= 3 else {
            throw CLIError("--peer-timeout must be at least 3 seconds, not \(peerTimeout)")
        }
        guard (1...3600).contains(auditInterval) else {
            throw CLIError("--audit-interval must be from 1 to 3600 seconds, not \(auditInterval)")
        }
        guard (0.1...300).contains(handshakeTimeout) else {
            throw CLIError("--handshake-timeout must be from 0.1 to 300 seconds, not \(handshakeTimeout)")
        }
        guard (0.25...2).contains(heartbeatInterval) else {
            throw CLIError("--heartbeat-interval must be from 0.25 to 2 seconds, not \(heartbeatInterval)")
        }
        if let listenFd {
            guard listen == nil else { throw CLIError("--listen and --listen-fd cannot be used together") }
            guard fcntl(listenFd, F_GETFD) != -1 else { throw CLIError("--listen-fd \(listenFd) is not an open file descriptor") }
            // An inherited descriptor is open across exec. Closed there, no process this one
            // starts (the Swift runtime's crash reporter, which outlives a killed node by up to
            // 30 s) keeps the node's port taken once the node is gone.
            _ = fcntl(listenFd, F_SETFD, FD_CLOEXEC)
        }
        let offered = try protocolVersions.map(Self.protocolVersionRange) ?? Hello.supportedProtocolVersions
        guard api != nil || (apiCert == nil && apiKey == nil) else { throw CLIError("--api-cert and --api-key need --api HOST:PORT") }
        let apiAddress: APIServerAddress?
        do {
            apiAddress = try api.map { try APIServerAddress($0, certificatePath: apiCert, keyPath: apiKey) }
        } catch let refusal as APIServerAddress.Refusal {
            throw CLIError(refusal.description)
        }
        let directory = NodeDirectory(data)
        let loosened = try directory.restrictPermissions()
        // Held until the process ends: a second serve, or a restore, on this folder is refused.
        let serveLock = try directory.acquireServeLock()
        defer { withExtendedLifetime(serveLock) {} }
        // The text in force before the node reads it: a change made while the node starts is
        // then seen as a change by the watch, never taken as already loaded.
        let topologyText = try? String(contentsOfFile: directory.topologyPath, encoding: .utf8)
        let (replica, topology) = try directory.openWithTopology()
        let credentials = try directory.credentials()
        let configuration = {
            var configuration = NodeConfiguration(
                nodeID: replica.configuration.nodeID, topology: topology, credentials: credentials, listenAddress: listen
            )
            configuration.inheritedListener = listenFd
            configuration.peerTimeoutMilliseconds = UInt64(peerTimeout) * 1000
            configuration.auditIntervalMilliseconds = UInt64(auditInterval) * 1000
            configuration.pingIntervalMilliseconds = min(configuration.pingIntervalMilliseconds, configuration.peerTimeoutMilliseconds / 3)
            configuration.handshakeTimeoutMilliseconds = UInt64((handshakeTimeout * 1000).rounded())
            configuration.heartbeatMilliseconds = UInt64((heartbeatInterval * 1000).rounded())
            configuration.protocolVersions = offered
            // Peers show it in their status: which record schema each node of the region runs.
            configuration.softwareVersion += " schema=\(replica.recordSchema.version)"
            return configuration
        }()
        var logger = Logger(label: "pccc.\(configuration.nodeID)") { EscapingLogHandler(StreamLogHandler.standardError(label: $0)) }
        logger.logLevel = level
        for change in loosened { logger.warning("node folder: \(change)") }
        let node = SyncNode(replica: replica, configuration: configuration, logger: logger)
        let watch = TopologyFileWatch(path: directory.topologyPath, inForce: topologyText, node: node, logger: logger)
        let metrics = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics))
        // Every part stops with the group: SIGINT and SIGTERM shut it down gracefully, and so
        // does the end of the node or of the parent process it was told to stop with.
        let stopsGroup = { (service: any Service) in
            ServiceGroupConfiguration.ServiceConfiguration(
                service: service, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup
            )
        }
        var services = [
            stopsGroup(
                SyncNodeService(node) { port in
                    // Unbuffered, so a script waiting for this line sees it at once.
                    FileHandle.standardOutput.write(Data("node \(configuration.nodeID) listening on port \(port)\n".utf8))
                }
            ),
            // SIGHUP is trapped here, before the group starts: whoever starts the node may send it
            // as soon as it reads the listening line, and must not kill it by the default action.
            .init(
                service: TopologyReloadService(
                    watch, hangUps: await UnixSignalsSequence(trapping: .sighup), path: directory.topologyPath, logger: logger,
                    onHangUp: { node.reloadCredentials { try directory.credentials() } }
                )
            ),
        ]
        if let address = apiAddress {
            let application = Application(
                router: APIRouter.make(
                    replica: replica, topology: { node.currentTopology }, metrics: { metrics.emitToBuffer() },
                    certificates: { node.currentCredentials.certificatesInUse }
                ),
                server: try address.server(),
                configuration: .init(address: .hostname(address.host, port: address.port), serverName: "pccc"),
                onServerRunning: { channel in
                    let port = channel.localAddress?.port ?? address.port
                    FileHandle.standardOutput.write(Data("api listening on \(address.scheme)://\(address.host):\(port)\n".utf8))
                },
                logger: logger
            )
            services.append(stopsGroup(application))
        }
        // Last, so it is the first stopped: a parent that ends while the group shuts down then
        // finds its watch already gone, not a service ending out of turn.
        if stopWithParent { services.append(stopsGroup(ParentProcessService(logger: logger))) }
        var groupConfiguration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        // A part stuck in its shutdown is cancelled rather than holding the stop for ever.
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(20)
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await group.run()
        } catch {
            throw CLIError("node \(configuration.nodeID) stopped: \(error)")
        }
    }

    /// `--protocol-versions`: LOW-HIGH or one version, within what this build speaks.
    static func protocolVersionRange(_ text: String) throws -> ClosedRange<UInt16> {
        let supported = Hello.supportedProtocolVersions
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false).map { UInt16($0) }
        guard (1...2).contains(bounds.count), let low = bounds.first ?? nil, let high = bounds.last ?? nil, low <= high else {
            throw CLIError("--protocol-versions must be LOW-HIGH or one version, such as 1-2 or 1, not \(text)")
        }
        guard supported.contains(low), supported.contains(high) else {
            throw CLIError(
                "--protocol-versions \(text) is outside what this build speaks, \(supported.lowerBound)-\(supported.upperBound)")
        }
        return low...high
    }
}
