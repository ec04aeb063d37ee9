import Foundation
import Replica

#if canImport(Glibc)
    import Glibc
#endif

/// A node opened for a local user: the replica, and the actor its audit entries name.
public struct StaffSession {
    /// The node's replica.
    public let replica: Replica
    /// Who acts, and why.
    public let actor: AuditActor

    /// Opens the node in `directory` as `user` (the login name when nil), refused when the
    /// user is unknown there or lacks `role` (`Replica.actingUser`).
    public static func open(_ directory: NodeDirectory, user: String?, purpose: String?, requiring role: LocalUser.Role = .staff) throws -> StaffSession {
        let replica = try directory.open()
        let name = user ?? loginName()
        _ = try replica.actingUser(named: name, requiring: role)
        return StaffSession(replica: replica, actor: AuditActor(user: name, purpose: purpose))
    }

    /// The name of the account running this process.
    public static func loginName() -> String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name {
            return String(cString: name)
        }
        return ProcessInfo.processInfo.environment["USER"] ?? "unknown"
    }
}
