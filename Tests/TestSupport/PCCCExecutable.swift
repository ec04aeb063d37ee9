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

    /// How long one command-line run may take before the test calls it hung: minutes, for a
    /// shared machine, not the fraction of a second a run takes.
    public static let runLimitSeconds = 120.0

    /// A finished run.
    public struct Result: Sendable {
        /// The exit status.
        public let status: Int32
        /// Standard output.
        public let output: String
        /// Standard error.
        public let error: String
    }

    /// Runs to completion; `environment` adds to (or overrides) this process's environment. A run
    /// that outlasts `seconds` is killed and throws.
    public static func run(_ arguments: [String], environment: [String: String] = [:], seconds: Double = runLimitSeconds) throws -> Result {
        let child = try start(arguments, environment: environment)
        let (status, output, error) = try child.finish(seconds: seconds)
        return Result(status: status, output: output, error: error)
    }

    /// The environment sudo gives a command it runs for the OS account `account` as another
    /// account (`SUDO_USER`, and a `SUDO_UID` that is not this process's): how a test runs
    /// `pccc` for a person without an account of that name on the machine.
    public static func sudo(for account: String) -> [String: String] {
        ["SUDO_USER": account, "SUDO_UID": String(geteuid() == 4_242 ? 4_243 : 4_242)]
    }

    /// Starts without waiting; `environment` adds to (or overrides) this process's environment.
    public static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> ChildProcess {
        try ChildProcess.start(try url.path, arguments, environment: environment)
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
