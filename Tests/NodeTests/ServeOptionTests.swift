import Foundation
import TestSupport
import Testing

/// `pccc serve`'s process options: timings and sockets it cannot honour are refused with one
/// sentence and a non-zero exit before it opens anything, and `--stop-with-parent` outlives no
/// killed parent.
@Suite(.ownThread) struct ServeOptionTests {
    @Test func aWrongTimingOrSocketIsRefusedInOneSentence() throws {
        let folder = try TemporaryDirectory()
        let cases: [([String], String)] = [
            (["--handshake-timeout", "0"], "--handshake-timeout must be from 0.1 to 300 seconds, not 0.0"),
            (["--handshake-timeout", "301"], "--handshake-timeout must be from 0.1 to 300 seconds, not 301.0"),
            (["--heartbeat-interval", "5"], "--heartbeat-interval must be from 0.25 to 2 seconds, not 5.0"),
            (["--heartbeat-interval", "0.1"], "--heartbeat-interval must be from 0.25 to 2 seconds, not 0.1"),
            (["--peer-timeout", "2"], "--peer-timeout must be at least 3 seconds, not 2"),
            (["--listen-fd", "999"], "--listen-fd 999 is not an open file descriptor"),
            (["--listen", "127.0.0.1:0", "--listen-fd", "0"], "--listen and --listen-fd cannot be used together"),
        ]
        for (options, sentence) in cases {
            let result = try PCCCExecutable.run(["serve", "--data", folder.path("nowhere")] + options)
            #expect(result.status != 0, "\(options) was accepted")
            #expect(result.error.contains(sentence), "\(options): \(result.error)")
            #expect(result.error.split(separator: "\n").count == 1, "\(options): one line, not \(result.error)")
        }
    }

    @Test func aNodeToldToStopWithItsParentStopsWhenTheParentIsKilled() throws {
        let region = try LiveRegion(nodes: ["b"], idle: ["a"], links: [LiveRegion.Link(from: "a", to: "b")], groups: ["region": ["a", "b"]])
        // A shell starts the node in the background, prints its pid and waits: the parent the
        // test then kills with SIGKILL, which no handler of the shell can see.
        let script = "\"$0\" serve --data \"$1\" --listen 127.0.0.1:0 --stop-with-parent >/dev/null 2>>\"$2\" & echo $!; wait"
        let shell = try ChildProcess.start("/bin/sh", ["-c", script, try PCCCExecutable.url.path, region.folder("b"), region.logPath("b")])
        let printed = try shell.waitForOutput(containing: "\n", seconds: 30)
        let node = try #require(Int32(printed.trimmingCharacters(in: .whitespacesAndNewlines)), "the shell printed \(printed)")
        // The node is the shell's child, not this process's: should it outlive the test, this ends it.
        defer {
            let commandLine = (try? String(contentsOfFile: "/proc/\(node)/cmdline", encoding: .utf8)) ?? ""
            if commandLine.contains("--stop-with-parent") { kill(node, SIGKILL) }
        }
        try region.waitUntil("the node to listen", seconds: 60) { region.log("b").contains("node b listening on") }
        shell.signal(SIGKILL)
        try shell.wait(seconds: 30)
        try region.waitUntil("the orphaned node to stop", seconds: 30) {
            // Gone, or a zombie nobody reaped (a container's first process may not).
            guard let stat = try? String(contentsOfFile: "/proc/\(node)/stat", encoding: .utf8) else { return true }
            return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
        }
        #expect(region.log("b").contains("the process that started this node (pid \(shell.pid)) has ended; stopping"))
    }
}
