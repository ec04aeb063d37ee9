import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TestSupport
import Testing

/// A client that opens TCP and never speaks TLS holds nothing for long: the node closes it at
/// the handshake deadline, and a node told to stop does not wait for it.
@Suite(.serialized, .ownThread) struct StalledHandshakeTests {
    @Test func aSilentConnectionIsClosedAtTheDeadlineAndDoesNotHoldUpShutdown() async throws {
        let region = try LiveRegion(nodes: ["b"], idle: ["a"], links: [LiveRegion.Link(from: "a", to: "b")], groups: ["region": ["a", "b"]])
        let group = MultiThreadedEventLoopGroup.singleton

        // A deadline of one second: b closes the silent connection itself.
        try region.start("b", api: true, options: ["--handshake-timeout", "1"])
        let silent = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: region.ports["b"]!).get()
        #expect(try await Self.closedByPeer(silent, seconds: 60), "b did not close a connection silent past its deadline")
        try region.waitUntil("b to log the stalled handshake", seconds: 10) { region.log("b").contains("did not finish within 1 s") }
        #expect(try region.metric("b", "pccc_refused_handshakes_total{reason=\"incomplete\"}") == 1)
        region.stop("b")

        // A deadline of five minutes, then SIGTERM once b holds a silent connection: b stops by
        // closing it. Had shutdown waited for the deadline, stop's 30 s limit would fail the test.
        try region.start("b", options: ["--handshake-timeout", "300"])
        let stalled = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: region.ports["b"]!).get()
        let client = try #require(stalled.localAddress?.port)
        try region.waitUntil("b to accept the stalled connection", seconds: 30) {
            region.log("b").contains("connection from 127.0.0.1:\(client): TLS handshake started")
        }
        let stopping = Date()
        region.stop("b")
        print("b stopped \(String(format: "%.2f", Date().timeIntervalSince(stopping))) s after SIGTERM while holding a stalled handshake")
        #expect(!region.isRunning("b"))
        #expect(try await Self.closedByPeer(stalled, seconds: 30), "the stalled connection outlived b")
    }

    /// Waits for `channel` to close; false when it was still open after `seconds` (then this
    /// closes it).
    static func closedByPeer(_ channel: Channel, seconds: Int64) async throws -> Bool {
        let expired = NIOLockedValueBox(false)
        let limit = channel.eventLoop.scheduleTask(in: .seconds(seconds)) {
            expired.withLockedValue { $0 = true }
            channel.close(promise: nil)
        }
        try await channel.closeFuture.get()
        limit.cancel()
        return !expired.withLockedValue { $0 }
    }
}
