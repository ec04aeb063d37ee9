import Foundation

/// Runs the real `pccc` executable built next to the test bundle.
enum PCCCExecutable {
    static var url: URL {
        get throws {
            var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            for _ in 0..<3 {
                let candidate = folder.appendingPathComponent("pccc")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
                folder.deleteLastPathComponent()
            }
            throw ScenarioFailure("the pccc executable is not built next to the tests (\(CommandLine.arguments[0]))")
        }
    }

    struct Result {
        let status: Int32
        let output: String
        let error: String
    }

    /// Runs to completion.
    static func run(_ arguments: [String]) throws -> Result {
        let process = try start(arguments)
        let output = try (process.standardOutput as! Pipe).fileHandleForReading.readToEnd() ?? Data()
        let error = try (process.standardError as! Pipe).fileHandleForReading.readToEnd() ?? Data()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self), error: String(decoding: error, as: UTF8.self))
    }

    /// Starts without waiting.
    static func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = try url
        process.arguments = arguments
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        try process.run()
        return process
    }
}
