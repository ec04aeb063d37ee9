import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP proxy on loopback that tests, the chaos harness and benchmarks put between two nodes:
/// it forwards bytes both ways, counts them, and applies a ``LinkFault`` (cut, one-way, slow,
/// reset mid-stream) the caller changes at any time. The nodes' TLS runs end to end through it.
public final class FaultProxy: Sendable {
    private let targetHost: String
    private let targetPort: NIOLockedValueBox<Int>
    private let group: EventLoopGroup
    private let state = NIOLockedValueBox(State())
    private let server = NIOLockedValueBox<Channel?>(nil)

    private struct State {
        var fault = LinkFault.none
        var open: [ObjectIdentifier: Channel] = [:]
        var bytesToTarget = 0
        var bytesFromTarget = 0
    }

    /// A proxy to `targetHost:targetPort`; nothing listens until ``start(host:port:)``.
    public init(targetHost: String, targetPort: Int, group: EventLoopGroup) {
        self.targetHost = targetHost
        self.targetPort = NIOLockedValueBox(targetPort)
        self.group = group
    }

    /// Forwards connections made from now on to `port` of the target host: for a proxy whose
    /// port had to be known before its target's.
    public func retarget(port: Int) {
        targetPort.withLockedValue { $0 = port }
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

    /// The fault in force.
    public var fault: LinkFault {
        state.withLockedValue { $0.fault }
    }

    /// Applies `fault` from now on, to open connections and new ones; ``LinkFault/cut`` also
    /// closes every open connection.
    public func set(_ fault: LinkFault) {
        let closing = state.withLockedValue { state in
            state.fault = fault
            return fault == .cut ? Array(state.open.values) : []
        }
        for channel in closing { channel.close(promise: nil) }
    }

    /// Closes every forwarded connection and refuses new ones until ``heal()``.
    public func cut() {
        set(.cut)
    }

    /// Forwards every byte again.
    public func heal() {
        set(.none)
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
        if fault == .cut {
            return inbound.close()
        }
        track(inbound)
        return ClientBootstrap(group: inbound.eventLoop)
            .channelOption(.autoRead, value: false)
            .connect(host: targetHost, port: targetPort.withLockedValue { $0 })
            .flatMapThrowing { [self] outbound in
                track(outbound)
                let toTarget = GlueHandler(direction: .toTarget, proxy: self)
                let fromTarget = GlueHandler(direction: .fromTarget, proxy: self)
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

    /// Counts `count` bytes read in `direction` and returns the fault they meet.
    fileprivate func received(_ count: Int, _ direction: LinkFault.Direction) -> LinkFault {
        state.withLockedValue { state in
            switch direction {
            case .toTarget: state.bytesToTarget += count
            case .fromTarget: state.bytesFromTarget += count
            }
            return state.fault
        }
    }

    private func track(_ channel: Channel) {
        let id = ObjectIdentifier(channel)
        state.withLockedValue { $0.open[id] = channel }
        channel.closeFuture.whenComplete { [self] _ in state.withLockedValue { _ = $0.open.removeValue(forKey: id) } }
    }
}

/// Forwards what one channel reads to its partner's channel, reading only while the partner
/// can write (the NIO connect-proxy example's glue), and applies the proxy's fault on the way.
/// Both channels share one event loop, so no state here needs a lock.
private final class GlueHandler: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    var partner: GlueHandler?
    private let direction: LinkFault.Direction
    private let proxy: FaultProxy
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    /// Chunks held by a slow link, oldest first; each scheduled release sends the oldest, so
    /// order holds whatever the delays.
    private var held: [ByteBuffer] = []
    private var forwarded = 0

    init(direction: LinkFault.Direction, proxy: FaultProxy) {
        self.direction = direction
        self.proxy = proxy
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        switch proxy.received(buffer.readableBytes, direction) {
        case .oneWay(let dropped) where dropped == direction:
            return
        case .slow(let milliseconds):
            hold(buffer, milliseconds: milliseconds, on: context.eventLoop)
        case .resetMidStream(let limit) where forwarded + buffer.readableBytes > limit:
            if let prefix = buffer.readSlice(length: max(0, limit - forwarded)), prefix.readableBytes > 0 {
                partner?.write(prefix)
                partner?.flush()
            }
            reset()
        default:
            if held.isEmpty {
                forwarded += buffer.readableBytes
                partner?.write(buffer)
            } else {
                hold(buffer, milliseconds: 0, on: context.eventLoop)
            }
        }
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

    private func hold(_ buffer: ByteBuffer, milliseconds: Int, on eventLoop: EventLoop) {
        held.append(buffer)
        eventLoop.scheduleTask(in: .milliseconds(Int64(milliseconds))) { [self] in
            guard !held.isEmpty else { return }
            let oldest = held.removeFirst()
            forwarded += oldest.readableBytes
            partner?.write(oldest)
            partner?.flush()
        }
    }

    /// Closes both sides with SO_LINGER 0, so each node sees a reset rather than an orderly end.
    private func reset() {
        for channel in [context?.channel, partner?.context?.channel].compactMap({ $0 }) {
            let abort =
                (channel as? SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0))
                ?? channel.eventLoop.makeSucceededVoidFuture()
            abort.whenComplete { _ in channel.close(promise: nil) }
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
