import SyncCore

/// A person who works at this node. Users are local: they are not replicated, and each
/// centre manages its own.
public struct LocalUser: Equatable, Sendable {
    /// What a user may do.
    public enum Role: String, CaseIterable, Sendable {
        /// Records, requests, hits, notes, search and export.
        case staff
        /// Everything staff may do, plus users and the audit log.
        case admin
    }

    /// The login-style name, such as `ana.petrovic`.
    public let name: String
    /// Their role.
    public let role: Role
    /// When they were added (Unix milliseconds).
    public let addedAt: UInt64
    /// Who added them (`init` for the node's first admin).
    public let addedBy: String

    /// Whether `name` is 1 to 64 lowercase letters, digits, `.`, `_` or `-`, starting with a
    /// letter or digit: the shape of a login name.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 64, isLowerAlphanumeric(first) else { return false }
        return name.utf8.allSatisfy { isLowerAlphanumeric($0) || $0 == 46 || $0 == 95 || $0 == 45 }
    }

    /// Refuses the user when their role is below `role`: the one role rule the command line and
    /// the API both apply (`at` names the node in the sentence).
    public func authorize(for role: Role, at node: NodeID) throws {
        if role == .admin, self.role != .admin {
            throw ReplicaError(.notAllowed, "\(name) is staff at node \(node), and only an admin may do this")
        }
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57)
    }
}
