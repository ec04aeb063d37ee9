import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP proxy on loopback that tests and benchmarks put between two nodes: it forwards bytes
/// both ways, counts them, and can cut the link (close every connection and refuse new ones)
/// and heal it again. The nodes' TLS runs end to end through it.
public final class FaultProxy: Sendable {
    private let targetHost: String
    private let targetPort: Int
    private let group: EventLoopGroup
    private let state = NIOLockedValueBox(State())
    private let server = NIOLockedValueBox<Channel?>(nil)

    private struct State {
        var isCut = false
        var open: [ObjectIdentifier: Channel] = [:]
        var bytesToTarget = 0
        var bytesFromTarget = 0
    }

    /// A proxy to `targetHost:targetPort`; nothing listens until ``start(host:port:)``.
    public init(targetHost: String, targetPort: Int, group: EventLoopGroup) {
        self.targetHost = targetHost
        self.targetPort = targetPort
        self.group = group
    }

    /// Listens on `host:port` (0 for a free port); returns the port.
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> Int {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { [self] inbound in self.connect(inbound) }
            .bind(host: host, port: port)
            .get()
        server.withLockedValue { $0 = channel }
        return channel.localAddress?.port ?? port
    }

    /// Closes every forwarded connection and refuses new ones until ``heal()``.
    public func cut() {
        let channels = state.withLockedValue { state in
            state.isCut = true
            return Array(state.open.values)
        }
        for channel in channels { channel.close(promise: nil) }
    }

    /// Forwards new connections again.
    public func heal() {
        state.withLockedValue { $0.isCut = false }
    }

    /// Bytes forwarded toward the target and back, so far.
    public var bytesForwarded: (toTarget: Int, fromTarget: Int) {
        state.withLockedValue { ($0.bytesToTarget, $0.bytesFromTarget) }
    }

    /// Stops listening and closes every connection.
    public func stop() async {
        cut()
        try? await server.withLockedValue { $0 }?.close()
    }

    private func connect(_ inbound: Channel) -> EventLoopFuture<Void> {
        if state.withLockedValue({ $0.isCut }) {
            return inbound.close()
        }
        track(inbound)
        return ClientBootstrap(group: inbound.eventLoop)
            .channelOption(.autoRead, value: false)
            .connect(host: targetHost, port: targetPort)
            .flatMapThrowing { [self] outbound in
                track(outbound)
                let toTarget = GlueHandler { [self] count in state.withLockedValue { $0.bytesToTarget += count } }
                let fromTarget = GlueHandler { [self] count in state.withLockedValue { $0.bytesFromTarget += count } }
                toTarget.partner = fromTarget
                fromTarget.partner = toTarget
                try inbound.pipeline.syncOperations.addHandler(toTarget)
                try outbound.pipeline.syncOperations.addHandler(fromTarget)
                // Reading was off so nothing arrived before the glue was in place.
                try inbound.syncOptions?.setOption(.autoRead, value: true)
                try outbound.syncOptions?.setOption(.autoRead, value: true)
            }
            .flatMapErrorThrowing { error in
                inbound.close(promise: nil)
                throw error
            }
    }

    private func track(_ channel: Channel) {
        let id = ObjectIdentifier(channel)
        state.withLockedValue { $0.open[id] = channel }
        channel.closeFuture.whenComplete { [self] _ in state.withLockedValue { _ = $0.open.removeValue(forKey: id) } }
    }
}

/// Forwards what one channel reads to its partner's channel, reading only while the partner
/// can write (the NIO connect-proxy example's glue). Both channels share one event loop.
private final class GlueHandler: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    var partner: GlueHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    private let count: @Sendable (Int) -> Void

    init(count: @escaping @Sendable (Int) -> Void) {
        self.count = count
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        count(buffer.readableBytes)
        partner?.write(buffer)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.context?.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.becameWritable() }
    }

    func read(context: ChannelHandlerContext) {
        if partner?.context?.channel.isWritable ?? false {
            context.read()
        } else {
            pendingRead = true
        }
    }

    private func write(_ buffer: ByteBuffer) {
        context?.write(wrapOutboundOut(buffer), promise: nil)
    }

    private func flush() {
        context?.flush()
    }

    private func becameWritable() {
        if pendingRead {
            pendingRead = false
            context?.read()
        }
    }
}
