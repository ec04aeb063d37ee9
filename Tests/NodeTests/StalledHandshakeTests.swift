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

    /// A burst of connections and a SIGTERM right behind it: connections accepted but not yet
    /// taken by the node's accept loop are dropped when it stops, and must be closed, not trap
    /// the process (swift-nio#2813). Before the fix the node crashed in most such stops.
    @Test func connectionsAcceptedAsTheNodeStopsAreClosedWithoutACrash() throws {
        let region = try LiveRegion(nodes: ["b"], idle: ["a"], links: [LiveRegion.Link(from: "a", to: "b")], groups: ["region": ["a", "b"]])
        for round in 1...5 {
            try region.start("b", options: ["--handshake-timeout", "300"])
            var sockets: [CInt] = []
            defer { for socket in sockets { close(socket) } }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(region.ports["b"]!).bigEndian
            for _ in 0..<64 {
                let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
                try #require(socket >= 0)
                sockets.append(socket)
                // Non-blocking: the connection completes in the kernel's backlog while this goes on.
                _ = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
            region.stop("b")
            #expect(!region.isRunning("b"), "round \(round): b still runs")
        }
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
