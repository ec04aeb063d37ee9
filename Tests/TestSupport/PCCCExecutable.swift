import Foundation

/// Runs the real `pccc` executable built next to the test bundle.
public enum PCCCExecutable {
    /// The built executable.
    public static var url: URL {
        get throws {
            var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            for _ in 0..<3 {
                let candidate = folder.appendingPathComponent("pccc")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
                folder.deleteLastPathComponent()
            }
            throw TestFailure("the pccc executable is not built next to the tests (\(CommandLine.arguments[0]))")
        }
    }

    /// This process's environment with `additions` on top; nil (inherit it as is) when there are
    /// none.
    public static func environment(adding additions: [String: String]) -> [String: String]? {
        additions.isEmpty ? nil : ProcessInfo.processInfo.environment.merging(additions) { $1 }
    }

    /// The environment that runs a process under libfaketime (Debian's `faketime` package)
    /// with its wall clock moved by `offset`, such as "+1h" or "+55m". The monotonic clock is
    /// left alone: timers (Task.sleep, NIO's scheduled tasks) must keep real time.
    public static func fakeClock(_ offset: String) -> [String: String] {
        ["LD_PRELOAD": "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1", "FAKETIME": offset, "FAKETIME_DONT_FAKE_MONOTONIC": "1"]
    }

    /// A finished run.
    public struct Result: Sendable {
        /// The exit status.
        public let status: Int32
        /// Standard output.
        public let output: String
        /// Standard error.
        public let error: String
    }

    /// Runs to completion; `environment` adds to (or overrides) this process's environment.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = try start(arguments, environment: environment)
        let output = try (process.standardOutput as! Pipe).fileHandleForReading.readToEnd() ?? Data()
        let error = try (process.standardError as! Pipe).fileHandleForReading.readToEnd() ?? Data()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self), error: String(decoding: error, as: UTF8.self))
    }

    /// Starts without waiting; `environment` adds to (or overrides) this process's environment.
    public static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = try url
        process.arguments = arguments
        process.environment = Self.environment(adding: environment)
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        try process.run()
        return process
    }
}

/// A test precondition that failed, with what went wrong.
public struct TestFailure: Error, CustomStringConvertible {
    /// One sentence.
    public let description: String

    /// Creates the failure.
    public init(_ description: String) {
        self.description = description
    }
}
