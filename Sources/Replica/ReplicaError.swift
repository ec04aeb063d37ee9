/// A local operation the replica refused; `reason` is one sentence for the user.
public struct ReplicaError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable codes for scripts and tests.
    public enum Code: String, Sendable {
        /// No record has that id.
        case notFound = "not_found"
        /// The record was erased.
        case erased
        /// The write breaks a record rule.
        case invalid
        /// This node may not write in that group.
        case notMember = "not_member"
        /// The transaction would make a batch over the limits.
        case tooLarge = "too_large"
        /// The file belongs to another node or is not a replica.
        case wrongReplica = "wrong_replica"
        /// The acting user is unknown here or lacks the role.
        case notAllowed = "not_allowed"
        /// The thing to add already exists.
        case exists
    }

    /// The stable code.
    public let code: Code
    /// One sentence saying what is wrong.
    public let reason: String

    /// Creates an error.
    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    /// A one-line human-readable form.
    public var description: String { reason }
}
