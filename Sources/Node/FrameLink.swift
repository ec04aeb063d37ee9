import NIOCore
import Transport
import WireProtocol

/// What a session runs over: frames in, frames out. A TLS ``PeerChannel`` in a node; an
/// in-memory pipe in a test that drives ``SyncEngine`` without sockets.
public protocol FrameLink: Sendable {
    /// The frames the peer sends, until the link closes.
    associatedtype Inbound: AsyncSequence & Sendable where Inbound.Element == Frame
    /// Where frames to the peer go.
    associatedtype Outbound: FrameWriter
    /// Runs `body` with both directions, then closes the link.
    func open(_ body: (Inbound, Outbound) async -> Void) async throws
    /// Closes the link in both directions; the inbound sequence ends.
    func close() async
}

/// The sending half of a ``FrameLink``.
public protocol FrameWriter: Sendable {
    /// Sends `frames` in order; waits while the link cannot take more.
    func send(_ frames: [Frame]) async throws
    /// Sends nothing more; the peer sees the end of its inbound frames.
    func finish()
}

extension NIOAsyncChannelOutboundWriter: FrameWriter where OutboundOut == Frame {
    /// `write(contentsOf:)`.
    public func send(_ frames: [Frame]) async throws {
        try await write(contentsOf: frames)
    }
}

extension PeerChannel: FrameLink {
    /// `executeThenClose` of the framed TLS channel.
    public func open(_ body: (NIOAsyncChannelInboundStream<Frame>, NIOAsyncChannelOutboundWriter<Frame>) async -> Void) async throws {
        try await channel.executeThenClose { inbound, outbound in
            await body(inbound, outbound)
        }
    }

    /// Closes the socket.
    public func close() async {
        try? await channel.channel.close()
    }
}
