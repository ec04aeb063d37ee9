import NIOConcurrencyHelpers
import SyncCore
import WireProtocol

/// What a connection's writer sends next: control frames first (ACK, PONG, WANT), then batch
/// ranges in chunks, round-robin across streams, so a long catch-up never starves the link's
/// liveness or acknowledgements. Filled from any task; drained by the one writer.
final class Outbox: Sendable {
    /// One unit of the writer's work.
    enum Work: Sendable {
        case frames([Frame])
        case batches(StreamID, after: UInt64, through: UInt64, generation: UInt64)
        case close(ProtocolError?)
    }

    private struct State {
        var frames: [Frame] = []
        var ranges: [StreamID: (after: UInt64, through: UInt64, generation: UInt64)] = [:]
        var nextGeneration: UInt64 = 0
        var order: [StreamID] = []
        var closing: ProtocolError?? = nil
        var waiter: CheckedContinuation<Work, Never>?
    }

    private let state = NIOLockedValueBox(State())

    /// Control frames are small and answer what the peer sends; this many queued means the
    /// peer sends without reading, and the session is closed rather than buffering more.
    static let maxQueuedFrames = 1024

    func send(_ frame: Frame) {
        resume { state in
            guard state.frames.count < Self.maxQueuedFrames else {
                if state.closing == nil {
                    state.closing = .some(ProtocolError(.timeout, "the peer stopped reading: \(Self.maxQueuedFrames) replies are queued"))
                }
                return
            }
            state.frames.append(frame)
        }
    }

    /// Queues `after < seq <= through` of `stream`, merged with what is already queued for it.
    func sendBatches(_ stream: StreamID, after: UInt64, through: UInt64) {
        resume { state in
            if let queued = state.ranges[stream] {
                // A range that starts earlier (a peer asking again) voids what the writer is
                // sending now, so its `sent` cannot skip the restart.
                var generation = queued.generation
                if after < queued.after {
                    state.nextGeneration += 1
                    generation = state.nextGeneration
                }
                state.ranges[stream] = (min(queued.after, after), max(queued.through, through), generation)
            } else {
                state.nextGeneration += 1
                state.ranges[stream] = (after, through, state.nextGeneration)
                state.order.append(stream)
            }
        }
    }

    /// The writer sent batches of `stream` through `seq`; the rest of the range stays queued.
    func sent(_ stream: StreamID, through seq: UInt64, generation: UInt64) {
        state.withLockedValue { state in
            guard let queued = state.ranges[stream], queued.generation == generation else { return }
            if seq >= queued.through {
                state.ranges[stream] = nil
                state.order.removeAll { $0 == stream }
            } else if seq > queued.after {
                state.ranges[stream] = (seq, queued.through, generation)
            }
        }
    }

    /// Asks the writer to send ERROR (when given) and stop; later work is dropped.
    func close(_ error: ProtocolError?) {
        resume { state in
            if state.closing == nil { state.closing = .some(error) }
        }
    }

    /// The next work, waiting for some.
    func next() async -> Work {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLockedValue { state -> Work? in
                    if let work = Self.take(&state) { return work }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            close(ProtocolError(.goingAway, "the node is shutting down"))
        }
    }

    private func resume(_ change: (inout State) -> Void) {
        let handoff = state.withLockedValue { state -> (CheckedContinuation<Work, Never>, Work)? in
            change(&state)
            guard let waiter = state.waiter, let work = Self.take(&state) else { return nil }
            state.waiter = nil
            return (waiter, work)
        }
        if let (waiter, work) = handoff { waiter.resume(returning: work) }
    }

    private static func take(_ state: inout State) -> Work? {
        if let closing = state.closing { return .close(closing) }
        if !state.frames.isEmpty {
            defer { state.frames.removeAll() }
            return .frames(state.frames)
        }
        guard let stream = state.order.first, let range = state.ranges[stream] else { return nil }
        // Round-robin: the stream goes to the back; `sent` removes it when it is done.
        state.order.removeFirst()
        state.order.append(stream)
        return .batches(stream, after: range.after, through: range.through, generation: range.generation)
    }
}
