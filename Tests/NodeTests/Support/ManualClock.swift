import Node
import Synchronization

/// A ``NodeClock`` that moves only when the test says: time readings stay put and sleepers
/// wake only on ``advance(milliseconds:)``, so a test decides when a timeout has passed
/// instead of waiting for it.
final class ManualClock: NodeClock {
    private struct Sleeper {
        let deadline: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var wall: UInt64
        var monotonic: UInt64 = 1_000_000_000
        var sleepers: [Int: Sleeper] = [:]
        var nextSleeper = 0
    }

    private let state: Mutex<State>

    /// Starts at `wallMilliseconds` (Unix milliseconds).
    init(wallMilliseconds: UInt64) {
        state = Mutex(State(wall: wallMilliseconds))
    }

    var wallMilliseconds: UInt64 { state.withLock { $0.wall } }

    var monotonicNanoseconds: UInt64 { state.withLock { $0.monotonic } }

    func sleep(milliseconds: UInt64) async throws {
        let id = state.withLock { state in
            defer { state.nextSleeper += 1 }
            return state.nextSleeper
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let refused = state.withLock { state -> Bool in
                    // Checked under the lock the cancellation handler takes: either it finds
                    // this sleeper, or this sees the cancellation.
                    if Task.isCancelled { return true }
                    state.sleepers[id] = Sleeper(deadline: state.monotonic + milliseconds * 1_000_000, continuation: continuation)
                    return false
                }
                if refused { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            state.withLock { $0.sleepers.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves both clocks forward and wakes every sleeper whose time has come.
    func advance(milliseconds: UInt64) {
        let due = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.wall += milliseconds
            state.monotonic += milliseconds * 1_000_000
            let due = state.sleepers.filter { $0.value.deadline <= state.monotonic }
            for id in due.keys { state.sleepers[id] = nil }
            return due.values.map(\.continuation)
        }
        for continuation in due { continuation.resume() }
    }
}
