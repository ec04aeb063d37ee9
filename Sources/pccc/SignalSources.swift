import Foundation

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
