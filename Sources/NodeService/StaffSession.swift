import Foundation
import Replica

/// A node opened for a local user: the replica, and the actor its audit entries name.
public struct StaffSession {
    /// The node's replica.
    public let replica: Replica
    /// Who acts, and why.
    public let actor: AuditActor

    /// Opens the node in `directory` as the user the operating-system account running this
    /// process is mapped to (`OSAccount`), refused when it is mapped to none, or to a user who
    /// is disabled or lacks `role` (`Replica.actingUser(forAccount:requiring:)`).
    public static func open(_ directory: NodeDirectory, purpose: String?, requiring role: LocalUser.Role = .staff) throws -> StaffSession {
        let replica = try directory.open()
        let user = try replica.actingUser(forAccount: OSAccount.current().name, requiring: role)
        return StaffSession(replica: replica, actor: AuditActor(user: user.name, purpose: purpose))
    }
}
