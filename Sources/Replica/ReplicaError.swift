/// A local operation the replica refused: a stable code, one sentence for the user, and the
/// field (of the record, or of the caller's input) it concerns when there is one.
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
        /// A sign-in, session or token was refused: wrong, expired, revoked, locked or disabled.
        case unauthenticated
        /// The thing to add already exists.
        case exists
        /// The record schema is not the replica's own grown: it drops or changes a kind or
        /// field, or goes back a version.
        case wrongSchema = "wrong_schema"
        /// A consultation, search, listing or export without the purpose the node's rule asks.
        case purposeRequired = "purpose_required"
    }

    /// The stable code.
    public let code: Code
    /// One sentence saying what is wrong.
    public let reason: String
    /// The field the error concerns, for a form to mark; nil when it concerns no one field.
    public let field: String?

    /// Creates an error.
    public init(_ code: Code, _ reason: String, field: String? = nil) {
        self.code = code
        self.reason = reason
        self.field = field
    }

    /// A one-line human-readable form.
    public var description: String { reason }
}
