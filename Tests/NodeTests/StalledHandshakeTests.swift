import Foundation
import NIOCore
import NIOPosix
import Testing

/// A client that opens TCP and never speaks TLS holds nothing for long: the node closes it at
/// the handshake deadline, and a node told to stop does not wait for it.
@Suite(.serialized) struct StalledHandshakeTests {
    @Test func aSilentConnectionIsClosedAtTheDeadlineAndDoesNotHoldUpShutdown() async throws {
        let region = try LiveRegion(nodes: ["b"], idle: ["a"], links: [LiveRegion.Link(from: "a", to: "b")], groups: ["region": ["a", "b"]])
        try region.start("b", api: true)
        let group = MultiThreadedEventLoopGroup.singleton
        let silent = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: region.ports["b"]!).get()
        try await silent.closeFuture.get()
        try region.waitUntil("b to log the stalled handshake", seconds: 5) { region.log("b").contains("did not finish within 10 s") }
        #expect(try region.metric("b", "pccc_refused_handshakes_total{reason=\"incomplete\"}") == 1)

        // Another silent connection, then SIGTERM: the node stops by closing it, so the log
        // never reaches a second deadline line.
        let stalled = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: region.ports["b"]!).get()
        try await Task.sleep(for: .milliseconds(200))
        try await onOwnThread { region.stop("b") }
        #expect(!region.isRunning("b"))
        #expect(region.log("b").components(separatedBy: "did not finish within").count == 2, "shutdown waited for the deadline")
        try await stalled.closeFuture.get()
    }
}
