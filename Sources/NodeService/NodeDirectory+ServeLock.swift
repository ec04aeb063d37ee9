import Foundation
import Replica

#if canImport(Glibc)
    import Glibc
#endif

extension NodeDirectory {
    /// The lock file a serving node holds: `DATA/serve.lock`.
    public var serveLockPath: String { url.appendingPathComponent("serve.lock").path }

    /// An exclusive advisory lock (`flock`, `LOCK_EX`) on `DATA/serve.lock`, held while a node
    /// serves from the folder, or while a command that must not run beside a serving node
    /// (restore) works on it. The file (mode 0600) holds the holder's pid on its first line
    /// and what it is doing on the second.
    ///
    /// The lock belongs to the open file, not to the file's existence: it ends when the value is
    /// released or the process ends, however it ends (a crash or SIGKILL too), so a stale file
    /// left behind never blocks the next holder. The file is never removed, since a removal
    /// would let two processes lock two different files of the same name.
    public final class ServeLock: Sendable {
        /// The lock file.
        public let path: String
        private let descriptor: CInt

        fileprivate init(path: String, descriptor: CInt) {
            self.path = path
            self.descriptor = descriptor
        }

        deinit {
            // Closing the only descriptor of the open file releases the lock.
            close(descriptor)
        }
    }

    /// What holds a folder's lock, as its lock file says.
    public struct ServeLockHolder: Sendable, Equatable {
        /// The holder's process id; nil when the file does not say (it was being written).
        public let pid: Int32?
        /// What it is doing: `serving`, or the action it named.
        public let activity: String
    }

    /// Takes the folder's lock for `pccc serve`, to hold for the node's whole life: refuses, with
    /// one sentence naming the other process, when another node serves from the folder or a
    /// command such as restore works on it.
    public func acquireServeLock() throws -> ServeLock {
        try acquireLock(activity: "serving") { holder in
            holder.activity == "serving"
                ? "a node is already serving from \(url.path) (\(Self.describe(holder))); stop it before starting another"
                : "\(url.path) is busy (\(Self.describe(holder)) is \(holder.activity)); serve it once that has finished"
        }
    }

    /// Takes the folder's lock for `action` (such as "restoring"), so that no node starts
    /// serving from the folder while it runs; refuses, with one sentence, while a node serves or
    /// another such action runs. Hold the returned lock until the action is done.
    public func lockAgainstServing(_ action: String) throws -> ServeLock {
        try acquireLock(activity: action) { holder in
            holder.activity == "serving"
                ? "a node is serving from \(url.path) (\(Self.describe(holder))); stop it before \(action)"
                : "\(url.path) is busy (\(Self.describe(holder)) is \(holder.activity)); try again once that has finished"
        }
    }

    /// Throws a `ReplicaError` with one sentence, such as "a node is serving from DIR (pid N);
    /// stop it before restoring", when a node serves from the folder (or another action holds
    /// its lock). For a command that only checks; one that must keep a node from starting while
    /// it works takes ``lockAgainstServing(_:)`` and holds it instead.
    public func refuseWhileServing(_ action: String) throws {
        _ = try lockAgainstServing(action)
    }

    private static func describe(_ holder: ServeLockHolder) -> String {
        holder.pid.map { "pid \($0)" } ?? "pid unknown"
    }

    /// What the lock file says, or nil when it says nothing readable.
    func serveLockHolder() -> ServeLockHolder? {
        guard let text = try? String(contentsOfFile: serveLockPath, encoding: .utf8) else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return ServeLockHolder(pid: lines.first.flatMap { Int32($0) }, activity: lines.count > 1 && !lines[1].isEmpty ? lines[1] : "serving")
    }

    private func acquireLock(activity: String, refusal: (ServeLockHolder) -> String) throws -> ServeLock {
        // Only a node folder gets a lock file.
        _ = try nodeID()
        let path = serveLockPath
        let descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw ReplicaError(.invalid, "cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        // A file made under a loose umask, or loosened since, is its owner's only again.
        guard fchmod(descriptor, 0o600) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw ReplicaError(.invalid, "cannot restrict the lock file \(path) to its owner: \(reason)")
        }
        // `refuseWhileServing` holds the lock for an instant, so a second try after a short
        // pause tells a check from a holder; a holder keeps it for as long as it runs.
        var attempts = 0
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let failure = errno
            attempts += 1
            guard failure == EWOULDBLOCK || failure == EINTR else {
                close(descriptor)
                throw ReplicaError(.invalid, "cannot lock \(path): \(String(cString: strerror(failure)))")
            }
            guard attempts < 20 else {
                close(descriptor)
                throw ReplicaError(.exists, refusal(serveLockHolder() ?? ServeLockHolder(pid: nil, activity: "serving")))
            }
            usleep(10_000)
        }
        let text = "\(getpid())\n\(activity)\n"
        let written = text.utf8CString.withUnsafeBufferPointer { buffer in
            ftruncate(descriptor, 0) == 0 ? pwrite(descriptor, buffer.baseAddress, buffer.count - 1, 0) : -1
        }
        guard written == text.utf8.count else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw ReplicaError(.invalid, "cannot write the lock file \(path): \(reason)")
        }
        return ServeLock(path: path, descriptor: descriptor)
    }
}
