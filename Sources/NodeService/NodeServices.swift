import Logging
import Node
import ServiceLifecycle
import UnixSignals

/// The sync node as a service: it runs until the group shuts down gracefully (SIGINT, SIGTERM),
/// and its end, clean or failed, shuts the group down with it.
public struct SyncNodeService: Service {
    private let node: SyncNode
    private let onListening: @Sendable (Int) -> Void

    /// `onListening` gets the bound peer port.
    public init(_ node: SyncNode, onListening: @escaping @Sendable (Int) -> Void) {
        self.node = node
        self.onListening = onListening
    }

    /// Runs the node until the group shuts down.
    public func run() async throws {
        try await cancelWhenGracefulShutdown { try await node.run(onListening: onListening) }
    }
}

/// Reloads the topology when its file changes, and at once on each SIGHUP; each SIGHUP also
/// reloads the node's TLS material first (``SyncNode/reloadCredentials(_:)``).
public struct TopologyReloadService: Service {
    private let watch: TopologyFileWatch
    private let hangUps: UnixSignalsSequence
    private let logger: Logger
    private let path: String
    private let onHangUp: @Sendable () -> Void

    /// `hangUps` traps SIGHUP: made before the group starts, so a SIGHUP sent as soon as the
    /// node says it listens reloads rather than kills it. `onHangUp` runs at each SIGHUP before
    /// the topology is reloaded (the TLS material's reload).
    public init(
        _ watch: TopologyFileWatch, hangUps: UnixSignalsSequence, path: String, logger: Logger, onHangUp: @escaping @Sendable () -> Void = {}
    ) {
        self.onHangUp = onHangUp
        self.watch = watch
        self.hangUps = hangUps
        self.path = path
        self.logger = logger
    }

    /// Watches the file and the signal until the group shuts down.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await watch.run() }
                group.addTask {
                    for await _ in hangUps {
                        logger.info("SIGHUP: reloading the TLS material and \(path)")
                        onHangUp()
                        _ = watch.reload(force: true)
                    }
                }
            }
        }
    }
}

/// Ends when the process that started this one ends (`--stop-with-parent`), which shuts the
/// group down.
public struct ParentProcessService: Service {
    private let logger: Logger

    /// Logs the stop with `logger`.
    public init(logger: Logger) {
        self.logger = logger
    }

    /// Returns once the parent has ended, or when the group shuts down.
    public func run() async throws {
        let watch = ParentProcessWatch.start { [logger] parent in
            logger.warning("the process that started this node (pid \(parent)) has ended; stopping")
        }
        await cancelWhenGracefulShutdown {
            await withTaskCancellationHandler {
                await watch.value
            } onCancel: {
                watch.cancel()
            }
        }
    }
}
