import CTestSupport
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A process a test starts: every read of its output and every wait for it is bounded, both
/// output streams are drained at once (a child blocked on a full stderr pipe cannot stall a
/// read of stdout), and it dies with the test process however that ends — a crash, SIGKILL
/// from a CI time limit — through `PR_SET_PDEATHSIG`, set by util-linux's `setpriv` before
/// the program starts.
public final class ChildProcess: @unchecked Sendable {
    /// Where the child's standard error goes.
    public enum StandardError: Sendable {
        /// Collected, like standard output.
        case collected
        /// Appended to this file (created 0600 if missing).
        case appended(toFile: String)
    }

    /// The child's process id.
    public let pid: pid_t
    /// What was started, for messages.
    public let commandLine: String
    private let output: PipeCollector
    private let error: PipeCollector?
    private let state = NSLock()
    private var exitStatus: Int32?

    private static let setpriv = "/usr/bin/setpriv"

    /// Starts `executable` with `arguments`; `environment` adds to (or overrides) this
    /// process's. Standard input carries `input` and then ends (empty by default).
    /// `descriptors` maps descriptor numbers in the child, 3 and up without gaps, to this
    /// process's open descriptors, which the child inherits under those numbers; no other
    /// descriptor beyond standard input, output and error reaches it.
    public static func start(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], input: [UInt8] = [],
        descriptors: [CInt: CInt] = [:], standardError: StandardError = .collected
    ) throws -> ChildProcess {
        guard FileManager.default.isExecutableFile(atPath: setpriv) else {
            throw TestFailure("\(setpriv) (util-linux) is missing; the tests need it so that no child outlives them")
        }
        guard descriptors.keys.sorted() == Array(3..<(3 + CInt(descriptors.count))) else {
            throw TestFailure("inherited descriptors must be numbered 3, 4, … without gaps, not \(descriptors.keys.sorted())")
        }
        let commandLine = ([executable] + arguments).joined(separator: " ")
        let inputPipe = try Pipe2()
        let outputPipe = try Pipe2()
        let errorPipe = try standardError.isCollected ? Pipe2() : nil
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inputPipe.read, 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe.write, 1)
        switch standardError {
        case .collected:
            posix_spawn_file_actions_adddup2(&actions, errorPipe!.write, 2)
        case .appended(let path):
            posix_spawn_file_actions_addopen(&actions, 2, path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        }
        for (target, source) in descriptors.sorted(by: { $0.key < $1.key }) {
            posix_spawn_file_actions_adddup2(&actions, source, target)
        }
        // Nothing else this process has open (other tests' sockets and pipes) leaks into the child.
        pccc_spawn_close_from(&actions, 3 + CInt(descriptors.count))

        // The spawning thread's blocked signals and this process's ignored ones would otherwise
        // pass to the child (a `serve` that cannot see SIGTERM); it starts with none of either.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var everySignal = sigset_t()
        sigemptyset(&everySignal)
        for number: CInt in 1..<32 where number != SIGKILL && number != SIGSTOP { sigaddset(&everySignal, number) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &everySignal)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = [setpriv, "--pdeathsig", "KILL", "--", executable] + arguments
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let envp = merged.map { "\($0.key)=\($0.value)" }
        let (spawned, pid) = SpawnThread.shared.run {
            withCStrings(argv) { argvPointers in
                withCStrings(envp) { envPointers in
                    var pid: pid_t = 0
                    let result = posix_spawn(&pid, setpriv, &actions, &attributes, argvPointers, envPointers)
                    return (result, pid)
                }
            }
        }
        close(inputPipe.read)
        close(outputPipe.write)
        if let errorPipe { close(errorPipe.write) }
        guard spawned == 0 else {
            close(inputPipe.write)
            close(outputPipe.read)
            if let errorPipe { close(errorPipe.read) }
            throw TestFailure("cannot start \(commandLine): \(String(cString: strerror(spawned)))")
        }
        // A thread of its own: a child that reads nothing must not block the caller.
        Thread {
            var offset = 0
            while offset < input.count {
                let written = input[offset...].withUnsafeBytes { Glibc.write(inputPipe.write, $0.baseAddress, $0.count) }
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { break }
                offset += written
            }
            close(inputPipe.write)
        }.start()
        return ChildProcess(
            pid: pid, commandLine: commandLine, output: PipeCollector(outputPipe.read), error: errorPipe.map { PipeCollector($0.read) }
        )
    }

    private init(pid: pid_t, commandLine: String, output: PipeCollector, error: PipeCollector?) {
        self.pid = pid
        self.commandLine = commandLine
        self.output = output
        self.error = error
    }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            _ = try? wait(seconds: 30)
        }
    }

    /// Standard output so far.
    public var outputText: String { output.text }

    /// Standard output so far, as bytes.
    public var outputBytes: [UInt8] { output.bytesSoFar }

    /// Standard error so far (empty when it goes to a file).
    public var errorText: String { error?.text ?? "" }

    /// Whether the child has not exited yet.
    public var isRunning: Bool { reap(blocking: false) == nil }

    /// The exit status: the exit code, or 128 + the signal that ended it; nil while it runs.
    public var terminationStatus: Int32? { reap(blocking: false) }

    /// What the kernel says each of the child's threads is doing (`/proc/PID/task/*/stat` state
    /// and `wchan`), for a failure message about a child that does not exit.
    public var threadStates: String {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        guard !tasks.isEmpty else { return "no threads listed for \(pid)" }
        var counts: [String: Int] = [:]
        for task in tasks {
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8)) ?? ""
            // The name in parentheses may hold spaces; the state is the field after it.
            let state = stat.range(of: ") ").map { String(stat[$0.upperBound...].prefix(1)) } ?? "?"
            let comm = stat.firstIndex(of: "(").flatMap { open in stat.lastIndex(of: ")").map { String(stat[stat.index(after: open)..<$0]) } } ?? "?"
            let wchan = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/wchan", encoding: .utf8)) ?? "?"
            counts["\(comm) \(state) \(wchan)", default: 0] += 1
        }
        return counts.sorted { $0.key < $1.key }.map { "\($0.value)× \($0.key)" }.joined(separator: "; ")
    }

    /// Sends `signal`.
    public func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits until standard output holds `text` and returns all of it; throws when the child
    /// exits first or `seconds` pass (then the child is killed).
    @discardableResult
    public func waitForOutput(containing text: String, seconds: Double) throws -> String {
        try waitForOutput(seconds: seconds) { $0.contains(text) }
    }

    /// Waits until `ready` holds for standard output and returns all of it; throws when the
    /// child exits first or `seconds` pass (then the child is killed).
    @discardableResult
    public func waitForOutput(seconds: Double, until ready: (String) -> Bool) throws -> String {
        String(decoding: try waitForOutputBytes(seconds: seconds) { ready(String(decoding: $0, as: UTF8.self)) }, as: UTF8.self)
    }

    /// Waits until `ready` holds for the bytes of standard output and returns them; throws when
    /// the child exits first or `seconds` pass (then the child is killed).
    @discardableResult
    public func waitForOutputBytes(seconds: Double, until ready: (Data) -> Bool) throws -> Data {
        let deadline = Date().addingTimeInterval(seconds)
        switch output.wait(until: deadline, for: ready) {
        case .matched(let all):
            return all
        case .ended(let all):
            _ = try? wait(seconds: 5)
            throw TestFailure(
                "\(commandLine) exited with \(terminationStatus.map(String.init) ?? "?") before it was ready; it printed: \(String(decoding: all, as: UTF8.self))"
            )
        case .timedOut(let all):
            signal(SIGKILL)
            throw TestFailure("\(commandLine) was not ready within \(seconds) s, so it was killed; it printed: \(String(decoding: all, as: UTF8.self))")
        }
    }

    /// Waits for the child to exit and returns its status; past `seconds` it is killed and the
    /// wait throws.
    @discardableResult
    public func wait(seconds: Double) throws -> Int32 {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let status = reap(blocking: false) { return status }
            usleep(5_000)
        }
        if let status = reap(blocking: false) { return status }
        let states = threadStates
        kill(pid, SIGKILL)
        _ = reap(blocking: true)
        throw TestFailure(
            "\(commandLine) did not exit within \(seconds) s, so it was killed; its threads were: \(states); stderr: \(errorText.suffix(2_000))")
    }

    /// Runs to completion within `seconds` (else kills it and throws); both outputs are read
    /// to their end, which the child's exit bounds.
    public func finish(seconds: Double) throws -> (status: Int32, output: String, error: String) {
        let status = try wait(seconds: seconds)
        let deadline = Date().addingTimeInterval(10)
        for collector in [output, error].compactMap(\.self) {
            guard case .ended = collector.wait(until: deadline, for: { _ in false }) else {
                // A grandchild holding the pipe open, which none of the tests' programs makes.
                throw TestFailure("\(commandLine) exited but its output stayed open for 10 s")
            }
        }
        return (status, output.text, errorText)
    }

    private func reap(blocking: Bool) -> Int32? {
        state.lock()
        defer { state.unlock() }
        if let exitStatus { return exitStatus }
        var raw: Int32 = 0
        var result = waitpid(pid, &raw, blocking ? 0 : WNOHANG)
        while result == -1, errno == EINTR { result = waitpid(pid, &raw, blocking ? 0 : WNOHANG) }
        guard result == pid else { return nil }
        // Glibc's WIFEXITED and friends are macros Swift does not import.
        let signal = raw & 0x7F
        exitStatus = signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
        return exitStatus
    }
}

extension ChildProcess.StandardError {
    fileprivate var isCollected: Bool {
        if case .collected = self { return true }
        return false
    }
}

/// A pipe whose two ends are closed on exec, so only the descriptor a child gets by dup2 stays
/// open in it.
private struct Pipe2 {
    let read: CInt
    let write: CInt

    init() throws {
        var ends: [CInt] = [0, 0]
        guard pccc_pipe_cloexec(&ends) == 0 else { throw TestFailure("cannot make a pipe: \(String(cString: strerror(errno)))") }
        read = ends[0]
        write = ends[1]
    }
}

/// Reads one pipe to its end on a thread of its own, so the child never blocks on a full pipe.
private final class PipeCollector: @unchecked Sendable {
    enum Outcome {
        case matched(Data)
        case ended(Data)
        case timedOut(Data)
    }

    private let condition = NSCondition()
    private var bytes = Data()
    private var ended = false

    init(_ descriptor: CInt) {
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                condition.lock()
                if count > 0 { bytes.append(contentsOf: buffer[0..<count]) } else { ended = true }
                condition.broadcast()
                condition.unlock()
                if count <= 0 { break }
            }
            close(descriptor)
        }
        thread.start()
    }

    var bytesSoFar: [UInt8] {
        condition.lock()
        defer { condition.unlock() }
        return Array(bytes)
    }

    var text: String {
        condition.lock()
        defer { condition.unlock() }
        return String(decoding: bytes, as: UTF8.self)
    }

    func wait(until deadline: Date, for predicate: (Data) -> Bool) -> Outcome {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if predicate(bytes) { return .matched(bytes) }
            if ended { return .ended(bytes) }
            if !condition.wait(until: deadline) { return .timedOut(bytes) }
        }
    }
}

/// The one thread every child is started from. `PR_SET_PDEATHSIG` fires when the *thread*
/// that started a child ends, not the process; this one lives as long as the test process.
private final class SpawnThread: @unchecked Sendable {
    static let shared = SpawnThread()

    private let condition = NSCondition()
    private var work: [() -> Void] = []

    private init() {
        // A child that exits before reading all its input must not kill the test process with
        // SIGPIPE when the input is written.
        Glibc.signal(SIGPIPE, SIG_IGN)
        let thread = Thread { [self] in
            while true {
                condition.lock()
                while work.isEmpty { condition.wait() }
                let next = work.removeFirst()
                condition.unlock()
                next()
            }
        }
        thread.name = "child-process spawner"
        thread.start()
    }

    /// Runs `body` on the spawning thread and returns its result.
    func run<T>(_ body: @escaping () -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: T?
        condition.lock()
        work.append {
            result = body()
            done.signal()
        }
        condition.signal()
        condition.unlock()
        // posix_spawn returns in milliseconds. Past a minute the spawning thread is stuck, and
        // the body still holds the caller's spawn arguments: stop loudly rather than free them.
        guard done.wait(timeout: .now() + 60) == .success, let result else {
            preconditionFailure("the spawning thread did not start a process within 60 s")
        }
        return result
    }
}

/// Calls `body` with a NULL-terminated array of C strings.
private func withCStrings<T>(_ strings: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> T) -> T {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}
