import Node
import WireProtocol

/// One end of an in-memory link between two sessions: what one end sends the other receives,
/// in order, and closing either end ends both directions, as a TCP connection does.
struct FramePipe: FrameLink {
    /// A send to an end that closed.
    struct Closed: Error {}

    /// The sending half.
    struct Writer: FrameWriter {
        let peer: AsyncThrowingStream<Frame, any Error>.Continuation

        func send(_ frames: [Frame]) async throws {
            for frame in frames {
                if case .terminated = peer.yield(frame) { throw Closed() }
            }
        }

        func finish() {
            peer.finish()
        }
    }

    private let inbound: AsyncThrowingStream<Frame, any Error>
    private let own: AsyncThrowingStream<Frame, any Error>.Continuation
    private let peer: AsyncThrowingStream<Frame, any Error>.Continuation

    /// Two ends joined to each other.
    static func pair() -> (FramePipe, FramePipe) {
        let (a, toA) = AsyncThrowingStream<Frame, any Error>.makeStream()
        let (b, toB) = AsyncThrowingStream<Frame, any Error>.makeStream()
        return (FramePipe(inbound: a, own: toA, peer: toB), FramePipe(inbound: b, own: toB, peer: toA))
    }

    func open(_ body: (AsyncThrowingStream<Frame, any Error>, Writer) async -> Void) async throws {
        await body(inbound, Writer(peer: peer))
        await close()
    }

    func close() async {
        own.finish()
        peer.finish()
    }
}
