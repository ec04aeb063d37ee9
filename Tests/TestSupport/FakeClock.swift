import Foundation

/// Runs a process with its wall clock moved, through libfaketime (Debian's `faketime`
/// package). The monotonic clocks are left alone, so timers (Task.sleep, NIO's scheduled
/// tasks) keep real time; `libFaketimeTimerfd.so`, preloaded first, keeps libfaketime from
/// breaking those timers (see Tests/FaketimeTimerfd/timerfd.c).
public enum FakeClock {
    static let libfaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
    private static let checked = NSLock()
    nonisolated(unsafe) private static var working: [String: [String: String]] = [:]

    /// The environment that moves a process's wall clock by `offset` ("+1h", "+55m"), once a
    /// probe run under it has shown, on this machine, that the clock moves by about
    /// `expectedSeconds` and that a Swift timer still fires. Throws one sentence naming what is
    /// missing or broken otherwise.
    public static func environment(_ offset: String, expectedSeconds: Double) throws -> [String: String] {
        checked.lock()
        defer { checked.unlock() }
        if let environment = working[offset] { return environment }
        guard FileManager.default.fileExists(atPath: libfaketime) else {
            throw TestFailure("libfaketime is not installed at \(libfaketime): install Debian's faketime package (scripts/install-system-packages.sh does)")
        }
        let folder = try PCCCExecutable.url.deletingLastPathComponent()
        let shim = folder.appendingPathComponent("libFaketimeTimerfd.so").path
        let probe = folder.appendingPathComponent("pccc-clock-probe").path
        for built in [shim, probe] where !FileManager.default.fileExists(atPath: built) {
            throw TestFailure("\(built) is not built: run swift build --build-tests")
        }
        let environment = ["LD_PRELOAD": "\(shim) \(libfaketime)", "FAKETIME": offset, "FAKETIME_DONT_FAKE_MONOTONIC": "1"]
        let before = Date().timeIntervalSince1970
        let child = try ChildProcess.start(probe, [], environment: environment)
        let run: (status: Int32, output: String, error: String)
        do {
            run = try child.finish(seconds: 30)
        } catch {
            throw TestFailure("under libfaketime (FAKETIME=\(offset)) a Swift program's Task.sleep of 100 ms did not return within 30 s: \(error)")
        }
        let after = Date().timeIntervalSince1970
        let lines = run.output.split(separator: "\n")
        guard run.status == 0, lines.count == 2, lines[1] == "slept", let shown = Double(lines[0]).map({ $0 / 1000 }) else {
            throw TestFailure("the clock probe under libfaketime exited \(run.status) with \(run.output.debugDescription): \(run.error)")
        }
        guard shown >= before + expectedSeconds - 5, shown <= after + expectedSeconds + 5 else {
            throw TestFailure(
                "libfaketime (FAKETIME=\(offset)) moved the clock by \(Int(shown - before)) s, not the \(Int(expectedSeconds)) s this test needs"
            )
        }
        working[offset] = environment
        return environment
    }
}
