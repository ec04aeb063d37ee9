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
    /// When an admin disabled them (Unix milliseconds); nil while they may sign in.
    public var disabledAt: UInt64? = nil
    /// Whether they have a password, and so can sign in to the web UI.
    public var hasPassword = false
    /// The operating-system account whose `pccc` commands act as this user, if an admin
    /// mapped one (`pccc users map-account`).
    public var osAccount: String? = nil

    /// Whether `account` has the shape of an operating-system account name: 1 to 64 letters,
    /// digits, `.`, `_`, `-` or `@` (a directory login such as `ana@police.example`), not
    /// starting with `-` or `@`.
    public static func isValidAccountName(_ account: String) -> Bool {
        guard let first = account.utf8.first, account.utf8.count <= 64, first != 45, first != 64 else { return false }
        return account.utf8.allSatisfy { isLowerAlphanumeric($0) || ($0 >= 65 && $0 <= 90) || [46, 95, 45, 64].contains($0) }
    }

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
