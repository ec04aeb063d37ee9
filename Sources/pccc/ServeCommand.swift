import ArgumentParser
import Foundation
import Logging
import Node

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

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw CLIError("--log-level must be trace, debug, info, warning or error")
        }
        let directory = NodeDirectory(data)
        let (replica, topology) = try directory.openWithTopology()
        let configuration = NodeConfiguration(
            nodeID: replica.configuration.nodeID, topology: topology, credentials: try directory.credentials(), listenAddress: listen
        )
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
        let signals =
            Self.onSignals([SIGINT, SIGTERM]) {
                watching.cancel()
                task.cancel()
            }
            + Self.onSignals([SIGHUP]) { [logger] in
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

    private static func onSignals(_ numbers: [Int32], _ handler: @escaping @Sendable () -> Void) -> [DispatchSourceSignal] {
        numbers.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }
}
