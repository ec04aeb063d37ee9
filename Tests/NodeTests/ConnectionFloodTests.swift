import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Anyone who can reach the peer port can flood it. From 127.0.0.2, 1,000 idle TCP connections
/// and a stream of TLS ClientHellos hit b while a and b sync and b's API serves: the real
/// session stays up, a record written during the flood arrives, the API answers, and b counts
/// the connections it turned away before any TLS work.
@Suite(.serialized, .ownThread) struct ConnectionFloodTests {
    static let floodSource = "127.0.0.2"

    @Test func idleConnectionsAndClientHellosFromOneAddressStarveNeitherThePeersNorTheAPI() async throws {
        let region = try LiveRegion(nodes: ["a", "b"], links: [LiveRegion.Link(from: "a", to: "b")], groups: ["region": ["a", "b"]])
        try region.start("b", api: true)
        try region.start("a")
        try region.waitUntil("a–b session", seconds: 20) { try region.isConnected("a", to: "b") }
        let since = try #require(try region.sessionStart("b", with: "a"))
        let token = try region.adminToken(at: "b")
        let port = region.ports["b"]!
        let hello = try await Self.captureClientHello()

        var idle: [CInt] = []
        defer { for socket in idle { close(socket) } }
        for _ in 0..<1_000 { idle.append(try Self.connect(from: Self.floodSource, to: port)) }
        let flood = HelloFlood(port: port, hello: hello)
        flood.start()
        defer { flood.stop() }
        try region.waitUntil("200 ClientHellos sent", seconds: 60) { flood.sent >= 200 }

        let written = try region.addRecord(at: "a", group: "region", ["family_name": "DuringTheFlood"])
        let arrival = try region.waitUntil("a's record at b during the flood", seconds: 30) { try region.record(at: "b", written) != nil }
        let api = try region.http("b", "GET", "/api/status", token: token)
        #expect(api.status == 200, "b's API answered \(api.status) during the flood")
        // b accepts the idle connections from its backlog at its own pace (slower on a busy
        // machine); wait for it to have turned most of them away, then read the counts.
        func refused() throws -> (perSource: Double, rate: Double) {
            (
                try region.metric("b", #"pccc_peer_connections_refused_total{reason="per_source"}"#) ?? 0,
                try region.metric("b", #"pccc_peer_connections_refused_total{reason="rate"}"#) ?? 0
            )
        }
        _ = try? region.waitUntil("b refusing 900 idle connections", seconds: 60) {
            let r = try refused(); return r.perSource + r.rate >= 900
        }
        let (perSource, rate) = try refused()
        #expect(perSource + rate >= 900, "b took \(1_000 - Int(perSource + rate)) of the idle connections into TLS")
        #expect(try region.sessionStart("b", with: "a") == since, "the a–b session was dropped during the flood")
        flood.stop()
        print(
            "flood: 1,000 idle connections and \(flood.sent) ClientHellos from \(Self.floodSource); refused per source \(Int(perSource)), "
                + "by rate \(Int(rate)); a's record reached b in \(String(format: "%.2f", arrival)) s; the API answered 200; the a–b session stayed up"
        )
    }

    /// A TCP connection from `source` to 127.0.0.1:`port`, made without waiting for the accept.
    static func connect(from source: String, to port: Int) throws -> CInt {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard socket >= 0 else { throw TestFailure("socket(): \(String(cString: strerror(errno)))") }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, source, &local.sin_addr)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
        guard bound == 0 else {
            close(socket)
            throw TestFailure("bind to \(source): \(String(cString: strerror(errno)))")
        }
        let connected = withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, length) } }
        guard connected == 0 || errno == EINPROGRESS else {
            close(socket)
            throw TestFailure("connect to port \(port): \(String(cString: strerror(errno)))")
        }
        return socket
    }

    /// The first TLS record a real client sends, its ClientHello, taken from a NIOSSL client
    /// that connects to a plain socket of the test's own.
    static func captureClientHello() async throws -> [UInt8] {
        let (listener, port) = try LiveRegion.bindLoopback()
        defer { close(listener) }
        guard listen(listener, 1) == 0 else { throw TestFailure("listen(): \(String(cString: strerror(errno)))") }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        let context = try NIOSSLContext(configuration: configuration)
        let client = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        defer { client.close(promise: nil) }
        var pollAccept = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        guard poll(&pollAccept, 1, 10_000) == 1 else { throw TestFailure("the TLS client did not connect within 10 s") }
        let accepted = accept(listener, nil, nil)
        guard accepted >= 0 else { throw TestFailure("accept(): \(String(cString: strerror(errno)))") }
        defer { close(accepted) }
        var bytes: [UInt8] = []
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if bytes.count >= 5, bytes.count >= 5 + (Int(bytes[3]) << 8 | Int(bytes[4])) { break }
            var readable = pollfd(fd: accepted, events: Int16(POLLIN), revents: 0)
            guard poll(&readable, 1, 1_000) == 1 else { continue }
            var chunk = [UInt8](repeating: 0, count: 4_096)
            let count = read(accepted, &chunk, chunk.count)
            guard count > 0 else { throw TestFailure("the TLS client closed before its ClientHello was whole") }
            bytes += chunk.prefix(count)
        }
        guard bytes.count >= 5, bytes[0] == 22, bytes.count >= 5 + (Int(bytes[3]) << 8 | Int(bytes[4])) else {
            throw TestFailure("no whole TLS handshake record within 10 s: \(bytes.prefix(16))")
        }
        return Array(bytes.prefix(5 + (Int(bytes[3]) << 8 | Int(bytes[4]))))
    }
}

/// Opens connections from the flood address one after another, each sending a ClientHello and
/// closing once the node answered or 100 ms passed, on its own thread until stopped.
final class HelloFlood: @unchecked Sendable {
    private let port: Int
    private let hello: [UInt8]
    private let counters = NIOLockedValueBox((sent: 0, stopped: false))
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    init(port: Int, hello: [UInt8]) {
        self.port = port
        self.hello = hello
    }

    var sent: Int { counters.withLockedValue { $0.sent } }

    func start() {
        let thread = Thread { [self] in
            defer { finished.signal() }
            while !counters.withLockedValue({ $0.stopped }) {
                guard let socket = try? ConnectionFloodTests.connect(from: ConnectionFloodTests.floodSource, to: port) else { continue }
                var writable = pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)
                if poll(&writable, 1, 1_000) == 1, write(socket, hello, hello.count) == hello.count {
                    counters.withLockedValue { $0.sent += 1 }
                    var answer = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
                    _ = poll(&answer, 1, 100)
                }
                close(socket)
            }
        }
        self.thread = thread
        thread.start()
    }

    /// Stops the flood and waits (at most 10 s) for its thread.
    func stop() {
        let wasRunning = counters.withLockedValue { counters in
            defer { counters.stopped = true }
            return !counters.stopped
        }
        if wasRunning, thread != nil { _ = finished.wait(timeout: .now() + 10) }
    }
}
