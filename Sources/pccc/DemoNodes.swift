import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The demo's four `pccc serve` processes: started with their web UI, logging to the state
/// folder, stopped with SIGTERM.
final class DemoNodes: @unchecked Sendable {
    private let region: DemoRegion
    private let https: Bool
    private var processes: [String: Process] = [:]
    private let lock = NSLock()
    private var stopping = false
    private var failed: String?

    init(region: DemoRegion, https: Bool) {
        self.region = region
        self.https = https
    }

    /// The node that failed (exited with a non-zero status) on its own, if one did.
    var failedNode: String? { lock.withLock { failed } }

    /// Starts every node and waits until each listens for peers and serves its UI;
    /// `onUnexpectedExit` runs when a node stops on its own later.
    func start(onUnexpectedExit: @escaping @Sendable () -> Void) throws {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        for id in DemoRegion.nodeIDs {
            let process = Process()
            process.executableURL = executable
            // A demo killed outright (SIGKILL, a CI time limit) takes its nodes with it.
            process.arguments =
                ["serve", "--data", region.folder(id), "--api", region.webAddress(id, https: https), "--stop-with-parent"]
                + (https ? ["--api-cert", region.webCertificatePath, "--api-key", region.webKeyPath] : [])
            let output = Pipe()
            process.standardOutput = output
            if !FileManager.default.fileExists(atPath: region.logPath(id)) {
                _ = FileManager.default.createFile(atPath: region.logPath(id), contents: nil)
            }
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: region.logPath(id)))
            log.seekToEndOfFile()
            process.standardError = log
            process.terminationHandler = { [weak self] process in
                guard let self else { return }
                // Ctrl-C in a terminal reaches the nodes too; they stop cleanly with status 0.
                let unexpected = self.lock.withLock {
                    guard !self.stopping else { return false }
                    if process.terminationStatus != 0 { self.failed = self.failed ?? id }
                    return true
                }
                if unexpected { onUnexpectedExit() }
            }
            try process.run()
            lock.withLock { processes[id] = process }
            try waitUntilServing(id, output: output.fileHandleForReading)
        }
    }

    private func waitUntilServing(_ id: String, output: FileHandle) throws {
        var seen = ""
        while !(seen.contains("listening on port") && seen.contains("api listening on")) {
            let chunk = output.availableData
            guard !chunk.isEmpty else {
                let log = (try? String(contentsOfFile: region.logPath(id), encoding: .utf8)) ?? ""
                let lastLine = log.split(separator: "\n").last.map(String.init) ?? "no output"
                throw CLIError("node \(id) did not start: \(lastLine) (log: \(region.logPath(id)))")
            }
            seen += String(decoding: chunk, as: UTF8.self)
        }
    }

    /// Sends SIGTERM to every node still running and waits for each to exit.
    func stopAll() {
        let running = lock.withLock {
            stopping = true
            return Array(processes.values)
        }
        for process in running where process.isRunning { kill(process.processIdentifier, SIGTERM) }
        for process in running { process.waitUntilExit() }
    }
}
