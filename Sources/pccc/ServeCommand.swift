import API
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import Node
import Prometheus
import Transport

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the node: listen for peers, dial linked peers, and sync until SIGINT or SIGTERM.",
        discussion: "The node reloads DATA/topology.yaml when it changes and on SIGHUP; a file that does not parse is refused."
    )

    @Option(help: "The node folder.") var data: String
    @Option(help: "Listen on HOST:PORT instead of the node's topology address; port 0 picks a free port.")
    var listen: String?
    @Option(help: "Log level: trace, debug, info, warning or error.") var logLevel = "info"
    @Option(help: "Serve the web UI, the HTTP API and /metrics on HOST:PORT, loopback only (127.0.0.1:8080); port 0 picks a free port.")
    var api: String?
    @Option(help: "Drop a peer silent this many seconds (PINGs go out at a third of it, at most every 10 s); at least 3.")
    var peerTimeout = 45

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw CLIError("--log-level must be trace, debug, info, warning or error")
        }
        guard peerTimeout >= 3 else {
            throw CLIError("--peer-timeout must be at least 3 seconds, not \(peerTimeout)")
        }
        let apiAddress = try api.map(Self.loopbackAddress)
        let directory = NodeDirectory(data)
        let (replica, topology) = try directory.openWithTopology()
        let credentials = try directory.credentials()
        let configuration = {
            var configuration = NodeConfiguration(
                nodeID: replica.configuration.nodeID, topology: topology, credentials: credentials, listenAddress: listen
            )
            configuration.peerTimeoutMilliseconds = UInt64(peerTimeout) * 1000
            configuration.pingIntervalMilliseconds = min(configuration.pingIntervalMilliseconds, configuration.peerTimeoutMilliseconds / 3)
            return configuration
        }()
        var logger = Logger(label: "pccc.\(configuration.nodeID)") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = level
        let node = SyncNode(replica: replica, configuration: configuration, logger: logger)
        let task = Task {
            try await node.run { port in
                // Unbuffered, so a script waiting for this line sees it at once.
                FileHandle.standardOutput.write(Data("node \(configuration.nodeID) listening on port \(port)\n".utf8))
            }
        }
        let watch = TopologyFileWatch(path: directory.topologyPath, node: node, logger: logger)
        let watching = Task { await watch.run() }
        let metrics = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics))
        let serving = apiAddress.map { address in
            let application = Application(
                router: APIRouter.make(replica: replica, topology: { node.currentTopology }, metrics: { metrics.emitToBuffer() }),
                configuration: .init(address: .hostname(address.host, port: address.port), serverName: "pccc"),
                onServerRunning: { channel in
                    let port = channel.localAddress?.port ?? address.port
                    FileHandle.standardOutput.write(Data("api listening on http://\(address.host):\(port)\n".utf8))
                },
                logger: logger
            )
            return Task { try await application.run() }
        }
        let signals =
            onSignals([SIGINT, SIGTERM]) {
                watching.cancel()
                serving?.cancel()
                task.cancel()
            }
            + onSignals([SIGHUP]) { [logger] in
                logger.info("SIGHUP: reloading \(directory.topologyPath)")
                watch.reload(force: true)
            }
        defer { signals.forEach { $0.cancel() } }
        do {
            try await task.value
        } catch {
            throw CLIError("node \(configuration.nodeID) stopped: \(error)")
        }
    }

    /// HOST:PORT on a loopback address: the API speaks plain HTTP, so it never leaves the machine.
    static func loopbackAddress(_ text: String) throws -> (host: String, port: Int) {
        guard let address = PeerDialer.split(address: text), (0...65535).contains(address.port) else {
            throw CLIError("--api must be HOST:PORT, such as 127.0.0.1:8080, not \(text)")
        }
        guard address.host == "::1" || address.host == "localhost" || address.host.hasPrefix("127.") else {
            throw CLIError("--api serves plain HTTP and listens on loopback only (127.0.0.0/8 or ::1), not \(address.host)")
        }
        return address
    }
}
