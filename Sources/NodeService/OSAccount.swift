import Foundation
import Replica

#if canImport(Glibc)
    import Glibc
#endif

/// The operating-system account a `pccc` command acts for, which an admin maps to a node user
/// (`pccc users map-account`); the command line has no way to name another user.
///
/// Staff on the node's machine run `pccc` through sudo as the account that owns the node folder
/// (`sudo -u pccc pccc …`), so the person is the account sudo ran the command for: sudo sets
/// `SUDO_USER` and `SUDO_UID` itself, and a sudoers rule that allows only the `pccc` program
/// leaves no way to change them (docs/OPERATIONS.md). Run any other way, it is the account the
/// process runs as.
public struct OSAccount: Equatable, Sendable, CustomStringConvertible {
    /// The account's name.
    public let name: String
    /// Whether sudo ran the command for `name` as another account.
    public let viaSudo: Bool

    /// The account of this process.
    public static func current() -> OSAccount {
        let environment = ProcessInfo.processInfo.environment
        if let invoker = environment["SUDO_USER"], let invokerID = environment["SUDO_UID"].flatMap(uid_t.init), invokerID != geteuid() {
            return OSAccount(name: invoker, viaSudo: true)
        }
        return OSAccount(name: effectiveName(), viaSudo: false)
    }

    /// Whether this account, not acting through sudo, owns `path`: the node folder's owner
    /// holds every power over its files, so it may map accounts when none of its own is mapped.
    public func owns(_ path: String) -> Bool {
        var status = stat()
        return !viaSudo && stat(path, &status) == 0 && status.st_uid == geteuid()
    }

    /// The name.
    public var description: String { name }

    private static func effectiveName() -> String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "uid-\(geteuid())"
    }
}

extension NodeDirectory {
    /// Refuses a command that reads or changes the whole node (backup, pull, key rotation, the
    /// trusted CAs) when sudo runs it for someone who is not an enabled admin of this node: the
    /// sudoers rule lets staff run `pccc` as the folder's owner, and these commands bypass the
    /// audit log. Run any other way the account acts for itself, and the files' permissions
    /// decide. `what` says what is refused.
    public func requireAdministrator(to what: String, account: OSAccount = .current()) throws {
        guard account.viaSudo else { return }
        do {
            _ = try open().actingUser(forAccount: account.name, requiring: .admin)
        } catch let refusal as ReplicaError {
            throw ReplicaError(.notAllowed, "only an admin of node \(url.path) may \(what) through sudo: \(refusal.reason)")
        }
    }
}
