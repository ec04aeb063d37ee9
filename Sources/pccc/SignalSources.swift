import Foundation
import Synchronization

/// Runs `handler` on each of the signals `numbers` instead of their default action; the
/// returned sources must stay alive (and be cancelled) for as long as the handling should.
func onSignals(_ numbers: [Int32], _ handler: @escaping @Sendable () -> Void) -> [DispatchSourceSignal] {
    numbers.map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler(handler: handler)
        source.resume()
        return source
    }
}

/// The tasks a stop signal cancels. A signal that arrives before a task is added cancels that
/// task as soon as it is added.
final class RunningTasks: Sendable {
    private let state = Mutex<(cancelled: Bool, cancels: [@Sendable () -> Void])>((false, []))

    /// Cancels `cancel`'s task with the others, or at once if a stop already came.
    func add(_ cancel: @escaping @Sendable () -> Void) {
        let stopped = state.withLock { state in
            if !state.cancelled { state.cancels.append(cancel) }
            return state.cancelled
        }
        if stopped { cancel() }
    }

    /// Cancels every task added so far and every one added later.
    func cancelAll() {
        let cancels = state.withLock { state in
            state.cancelled = true
            defer { state.cancels = [] }
            return state.cancels
        }
        for cancel in cancels { cancel() }
    }
}
