/// Why a received batch was refused. Expected failures of a hostile or broken peer are values
/// with a stable code and one human-readable sentence.
public struct BatchRejection: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable codes, also used in protocol errors and alarms.
    public enum Code: String, Sendable, Equatable, CaseIterable {
        /// Over a size limit before parsing.
        case tooLarge = "too_large"
        /// Does not follow the encoding, including a payload that is not a whole zlib stream of
        /// exactly the declared length.
        case malformed
        /// Another network's batch.
        case wrongNetwork = "wrong_network"
        /// The origin is not a node of the topology.
        case unknownOrigin = "unknown_origin"
        /// The signature does not verify with the origin's pinned key.
        case badSignature = "bad_signature"
        /// The origin or this node is not a member of the batch's group.
        case notMember = "not_member"
        /// The seq is not the next one of the stream.
        case outOfOrder = "out_of_order"
        /// The payload would inflate past a limit, or past its declared length.
        case inflateLimit = "inflate_limit"
        /// The payload does not match the signed Merkle root.
        case merkleMismatch = "merkle_mismatch"
    }

    /// The stable code.
    public let code: Code
    /// One sentence saying what was wrong.
    public let reason: String

    /// Creates a rejection.
    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    /// A one-line human-readable form.
    public var description: String { "\(code.rawValue): \(reason)" }
}
