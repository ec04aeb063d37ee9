import FaultProxy
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TestSupport
import Testing

/// Each fault the chaos harness uses does what it says to real loopback TCP connections.
@Suite(.ownThread) struct FaultProxyTests {
    /// A loopback TCP server that keeps what it receives and answers each chunk with "ok".
    final class Sink: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let received = NIOLockedValueBox<[UInt8]>([])

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.withLockedValue { $0 += Array(buffer.readableBytesView) }
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "ok")), promise: nil)
        }
    }

    /// A proxy in front of a sink, with `fault` set.
    func proxied(_ fault: LinkFault) async throws -> (sink: Sink, proxy: FaultProxy, port: Int, server: Channel) {
        let sink = Sink()
        let group = MultiThreadedEventLoopGroup.singleton
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { $0.pipeline.addHandler(sink) }
            .bind(host: "127.0.0.1", port: 0).get()
        let proxy = FaultProxy(targetHost: "127.0.0.1", targetPort: server.localAddress!.port!, group: group)
        let port = try await proxy.start()
        proxy.set(fault)
        return (sink, proxy, port, server)
    }

    /// Connects through the proxy, sends `chunks` one by one, and returns what came back
    /// before the connection ended or `seconds` passed, and whether it ended.
    func send(_ chunks: [[UInt8]], to port: Int, seconds: Double = 2) async throws -> (reply: [UInt8], closed: Bool) {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            for chunk in chunks {
                try? await outbound.write(ByteBuffer(bytes: chunk))
                try await Task.sleep(for: .milliseconds(5))
            }
            var reply: [UInt8] = []
            let timedOut = NIOLockedValueBox(false)
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    guard (try? await Task.sleep(for: .seconds(seconds))) != nil else { return }
                    timedOut.withLockedValue { $0 = true }
                    try? await channel.channel.close()
                }
                do {
                    for try await chunk in inbound { reply += Array(chunk.readableBytesView) }
                } catch {}
                group.cancelAll()
            }
            return (reply, !timedOut.withLockedValue { $0 })
        }
    }

    static let chunks = (0..<40).map { index in Array(repeating: UInt8(index), count: 100) }

    @Test func slowLinkDelaysButKeepsOrder() async throws {
        let (sink, proxy, port, server) = try await proxied(.slow(milliseconds: 50))
        let started = ContinuousClock.now
        _ = try await send(Self.chunks, to: port, seconds: 1.5)
        #expect(sink.received.withLockedValue { $0 } == Self.chunks.flatMap { $0 }, "every byte, in order")
        #expect(ContinuousClock.now - started >= .milliseconds(50))
        await proxy.stop()
        try await server.close()
    }

    @Test func oneWayLinkDropsOneDirectionOnly() async throws {
        let (sink, proxy, port, server) = try await proxied(.oneWay(dropping: .fromTarget))
        let result = try await send([[1, 2, 3]], to: port, seconds: 0.5)
        #expect(sink.received.withLockedValue { $0 } == [1, 2, 3], "toward the target, bytes pass")
        #expect(result.reply.isEmpty, "the answer vanished")
        #expect(!result.closed, "the connection stays open: a half-dead link")

        proxy.set(.oneWay(dropping: .toTarget))
        let dropped = try await send([[4, 5, 6]], to: port, seconds: 0.5)
        #expect(sink.received.withLockedValue { $0 } == [1, 2, 3])
        #expect(dropped.reply.isEmpty)
        await proxy.stop()
        try await server.close()
    }

    @Test func resetCutsTheStreamAfterTheGivenBytes() async throws {
        let (sink, proxy, port, server) = try await proxied(.resetMidStream(afterBytes: 1_234))
        let result = try await send(Self.chunks, to: port, seconds: 3)
        #expect(result.closed, "the proxy ended the connection")
        #expect(sink.received.withLockedValue { $0 } == Array(Self.chunks.flatMap { $0 }.prefix(1_234)), "exactly the first 1,234 bytes arrived")
        await proxy.stop()
        try await server.close()
    }

    @Test func cutClosesAndRefusesUntilHealed() async throws {
        let (sink, proxy, port, server) = try await proxied(.cut)
        let refused = try await send([[9]], to: port, seconds: 1)
        #expect(refused.closed && refused.reply.isEmpty)
        proxy.heal()
        let healed = try await send([[7]], to: port, seconds: 0.5)
        #expect(healed.reply == Array("ok".utf8))
        #expect(sink.received.withLockedValue { $0 } == [7])
        await proxy.stop()
        try await server.close()
    }
}
