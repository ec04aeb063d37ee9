import Foundation
import Logging
import NIOConcurrencyHelpers
import Topology

/// Reloads a node's topology file when it changes (polled every second) or on demand
/// (SIGHUP). A file that does not parse is refused with the parser's message and the topology
/// in force stays.
public final class TopologyFileWatch: Sendable {
    private let path: String
    private let node: SyncNode
    private let logger: Logger
    private let lastText: NIOLockedValueBox<String?>

    /// Watches `path` for `node`, which was started with the file's text `inForce`: any other
    /// text found later is a change.
    public init(path: String, inForce: String?, node: SyncNode, logger: Logger) {
        self.path = path
        self.node = node
        self.logger = logger
        lastText = NIOLockedValueBox(inForce)
    }

    /// Polls until cancelled.
    public func run(everyMilliseconds interval: UInt64 = 1_000) async {
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: interval * 1_000_000)
            reload(force: false)
        }
    }

    /// Reloads when the text changed, or always when `force` is set; returns whether a new
    /// topology is in force.
    @discardableResult
    public func reload(force: Bool) -> Bool {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            logger.error("topology reload refused: cannot read \(path); the topology in force is unchanged")
            return false
        }
        let changed = lastText.withLockedValue { last in
            defer { last = text }
            return last != text
        }
        guard changed || force else { return false }
        let topology: RegionTopology
        do {
            topology = try RegionTopology.parse(yaml: text, file: path)
        } catch {
            logger.error("topology reload refused: \(error.description); the topology in force is unchanged")
            return false
        }
        if let refusal = node.reload(topology) {
            logger.error("topology reload refused: \(refusal); the topology in force is unchanged")
            return false
        }
        return true
    }
}
