import Foundation

/// Polls `condition` every `interval` seconds until it holds, on the calling thread (a test's
/// own, under `.ownThread`); throws, naming `what`, once `seconds` have passed. Returns the
/// seconds it took.
@discardableResult
public func waitUntil(_ what: String, seconds: Double, every interval: Double = 0.05, _ condition: () throws -> Bool) throws -> Double {
    let start = Date()
    while true {
        if try condition() { return Date().timeIntervalSince(start) }
        if Date().timeIntervalSince(start) > seconds {
            throw TestFailure("timed out after \(seconds) s waiting for \(what)")
        }
        Thread.sleep(forTimeInterval: interval)
    }
}
