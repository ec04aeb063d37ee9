import ArgumentParser
import Foundation
import Replica

#if canImport(Glibc)
    import Glibc
#endif

/// The options of every staff command: the node folder, who acts, and why.
struct StaffOptions: ParsableArguments {
    @Option(help: "The node folder.") var data: String
    @Option(help: "The local user acting (default: your login name).") var user: String?
    @Option(help: "Why, for the audit log, such as a case number.") var purpose: String?

    /// Opens the node as its user; refused when the user is unknown here or lacks `role`.
    func open(requiring role: LocalUser.Role = .staff) throws -> StaffSession {
        let replica = try NodeDirectory(data).open()
        let name = user ?? Self.loginName()
        guard let known = try replica.user(named: name) else {
            throw CLIError(
                "\(name) is not a user of node \(replica.configuration.nodeID); an admin adds them with pccc users add \(name) --role staff"
            )
        }
        if role == .admin, known.role != .admin {
            throw CLIError("\(name) is staff at node \(replica.configuration.nodeID), and only an admin may do this")
        }
        return StaffSession(replica: replica, actor: AuditActor(user: name, purpose: purpose))
    }

    /// The name of the account running this process.
    static func loginName() -> String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name {
            return String(cString: name)
        }
        return ProcessInfo.processInfo.environment["USER"] ?? "unknown"
    }
}

/// An opened node and the user acting on it.
struct StaffSession {
    let replica: Replica
    let actor: AuditActor
}
