import Foundation
import Node
import Replica
import SyncCore
import Topology

/// One node of a ``BenchRegion`` running in its own process (this executable, started with
/// `--run-node FOLDER NODE`), so its memory is measured apart from the benchmark's.
final class BenchNodeProcess {
    static let flag = "--run-node"
    let node: NodeID
    private let process = Process()
    private let output = Pipe()

    /// Starts `node` of the region in `folder` and returns once it listens.
    init(folder: URL, node: NodeID) throws {
        self.node = node
        process.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        process.arguments = [Self.flag, folder.path, node.rawValue]
        process.standardOutput = output
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw BenchError("node \(node) exited before it listened (status \(process.terminationStatus))") }
            line += chunk
        }
        guard String(decoding: line, as: UTF8.self).hasPrefix("listening") else {
            throw BenchError("node \(node) printed \(String(decoding: line, as: UTF8.self)) instead of its port")
        }
    }

    /// Whether the process still runs.
    var isRunning: Bool { process.isRunning }

    /// The process's peak resident set (VmHWM), in bytes.
    func peakResidentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kibibytes = Int(line.split(separator: " ")[1])
        else { throw BenchError("no VmHWM in /proc/\(process.processIdentifier)/status") }
        return kibibytes * 1024
    }

    /// Ends the process (SIGTERM; what it committed stays) and waits for it.
    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// The child's side: runs `node` of the region in `folder` until it is terminated.
    static func runNode(folder: String, node: String) async throws -> Never {
        let folderURL = URL(fileURLWithPath: folder)
        let (topology, replica) = try BenchRegion.reopen(folder: folderURL, node: NodeID(node))
        let syncNode = try BenchRegion.syncNode(NodeID(node), replica: replica, folder: folderURL, topology: topology)
        let running = Task { try await syncNode.run { port in emit("listening \(port)") } }
        // A benchmark killed outright takes its nodes with it.
        let parentWatch = ParentProcessWatch.start { _ in running.cancel() }
        let result = await running.result
        parentWatch.cancel()
        try result.get()
        throw BenchError("node \(node) stopped")
    }
}
