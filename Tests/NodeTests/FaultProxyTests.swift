import FaultProxy
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TestSupport
import Testing

/// Each fault the chaos harness uses does what it says to real loopback TCP connections. What
/// a fault drops is proved absent by a later byte that does arrive on the same ordered stream,
/// never by waiting a while.
@Suite(.ownThread) struct FaultProxyTests {
    /// Bytes one end of a connection received, and whether the connection closed.
    final class Received: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let bytes = NIOLockedValueBox<[UInt8]>([])
        let closed = NIOLockedValueBox(false)
        /// Whether to answer each chunk with "ok" (the server end).
        let answers: Bool

        init(answers: Bool) {
            self.answers = answers
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            bytes.withLockedValue { $0 += Array(buffer.readableBytesView) }
            if answers { context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "ok")), promise: nil) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            closed.withLockedValue { $0 = true }
            context.fireChannelInactive()
        }

        var count: Int { bytes.withLockedValue { $0.count } }
        var isClosed: Bool { closed.withLockedValue { $0 } }
    }

    /// A proxy with `fault` set in front of a loopback server that keeps what it receives and
    /// answers each chunk with "ok".
    struct Link {
        let sink = Received(answers: true)
        let proxy: FaultProxy
        let port: Int
        let server: Channel

        init(_ fault: LinkFault) async throws {
            let group = MultiThreadedEventLoopGroup.singleton
            server = try await ServerBootstrap(group: group)
                .childChannelInitializer { [sink] in $0.pipeline.addHandler(sink) }
                .bind(host: "127.0.0.1", port: 0).get()
            proxy = FaultProxy(targetHost: "127.0.0.1", targetPort: server.localAddress!.port!, group: group)
            port = try await proxy.start()
            proxy.set(fault)
        }

        /// A client connected through the proxy.
        func connect() async throws -> (channel: Channel, received: Received) {
            let received = Received(answers: false)
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { $0.pipeline.addHandler(received) }
                .connect(host: "127.0.0.1", port: port).get()
            return (channel, received)
        }

        func stop() async throws {
            await proxy.stop()
            try await server.close()
        }
    }

    static let chunks = (0..<40).map { index in Array(repeating: UInt8(index), count: 100) }

    static func send(_ chunks: [[UInt8]], on channel: Channel) async throws {
        for chunk in chunks {
            try await channel.writeAndFlush(ByteBuffer(bytes: chunk))
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func slowLinkDelaysButKeepsOrder() async throws {
        let link = try await Link(.slow(milliseconds: 50))
        let (client, _) = try await link.connect()
        let started = ContinuousClock.now
        try await Self.send(Self.chunks, on: client)
        try waitUntil("every byte at the sink", seconds: 60, every: 0.005) { link.sink.count >= 4_000 }
        #expect(link.sink.bytes.withLockedValue { $0 } == Self.chunks.flatMap { $0 }, "every byte, in order")
        #expect(ContinuousClock.now - started >= .milliseconds(50))
        try await client.close()
        try await link.stop()
    }

    @Test func oneWayLinkDropsOneDirectionOnly() async throws {
        let link = try await Link(.oneWay(dropping: .fromTarget))
        let (client, reply) = try await link.connect()
        try await Self.send([[1, 2, 3]], on: client)
        try waitUntil("the sink's answer to reach the proxy", seconds: 60, every: 0.005) { link.sink.count == 3 && link.proxy.bytesForwarded.fromTarget >= 2 }
        // The answer to [4] comes through a healed link after the dropped one: had the first
        // passed, it would be here before it.
        link.proxy.heal()
        try await Self.send([[4]], on: client)
        try waitUntil("the answer through the healed link", seconds: 60, every: 0.005) { reply.count >= 2 }
        #expect(reply.bytes.withLockedValue { $0 } == Array("ok".utf8), "the answer to [1, 2, 3] vanished")
        #expect(!reply.isClosed, "the connection stayed open: a half-dead link")

        link.proxy.set(.oneWay(dropping: .toTarget))
        let readBefore = link.proxy.bytesForwarded.toTarget
        try await Self.send([[5, 6, 7]], on: client)
        try waitUntil("the proxy to read [5, 6, 7]", seconds: 60, every: 0.005) { link.proxy.bytesForwarded.toTarget == readBefore + 3 }
        link.proxy.heal()
        try await Self.send([[8]], on: client)
        try waitUntil("[8] at the sink", seconds: 60, every: 0.005) { link.sink.bytes.withLockedValue { $0.last } == 8 }
        #expect(link.sink.bytes.withLockedValue { $0 } == [1, 2, 3, 4, 8], "toward the target, only [5, 6, 7] was dropped")
        try await client.close()
        try await link.stop()
    }

    @Test func resetCutsTheStreamAfterTheGivenBytes() async throws {
        let link = try await Link(.resetMidStream(afterBytes: 1_234))
        let (client, reply) = try await link.connect()
        try? await Self.send(Self.chunks, on: client)
        try waitUntil("the proxy to end the connection", seconds: 60, every: 0.005) { reply.isClosed }
        try waitUntil("the sink's side to end", seconds: 60, every: 0.005) { link.sink.isClosed }
        #expect(link.sink.bytes.withLockedValue { $0 } == Array(Self.chunks.flatMap { $0 }.prefix(1_234)), "exactly the first 1,234 bytes arrived")
        try await link.stop()
    }

    @Test func cutClosesAndRefusesUntilHealed() async throws {
        let link = try await Link(.cut)
        let (refusedClient, refused) = try await link.connect()
        try? await Self.send([[9]], on: refusedClient)
        try waitUntil("the cut proxy to close the connection", seconds: 60, every: 0.005) { refused.isClosed }
        #expect(refused.count == 0)
        link.proxy.heal()
        let (client, reply) = try await link.connect()
        try await Self.send([[7]], on: client)
        try waitUntil("the answer through the healed link", seconds: 60, every: 0.005) { reply.count >= 2 }
        #expect(reply.bytes.withLockedValue { $0 } == Array("ok".utf8))
        #expect(link.sink.bytes.withLockedValue { $0 } == [7], "nothing sent while cut reached the sink")
        try await client.close()
        try await link.stop()
    }
}
