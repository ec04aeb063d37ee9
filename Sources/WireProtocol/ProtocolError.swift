import SyncCore

/// Why a connection is refused or closed, as sent in an ERROR message: a stable code and one
/// human-readable sentence.
public struct ProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable error codes; the raw value is what travels on the wire.
    public enum Code: String, Sendable, CaseIterable {
        /// The bytes are not a well-formed frame or message.
        case malformedFrame = "malformed_frame"
        /// A frame's length is over the cap.
        case frameTooLarge = "frame_too_large"
        /// A message arrived that the protocol does not allow at this point.
        case unexpectedMessage = "unexpected_message"
        /// The peer speaks another protocol version.
        case protocolVersion = "protocol_version"
        /// The peer is in another network.
        case wrongNetwork = "wrong_network"
        /// The HELLO names another node than the peer's certificate.
        case wrongNode = "wrong_node"
        /// A batch of a group the receiver or its origin is not a member of.
        case notMember = "not_member"
        /// The peer stopped answering, or stopped reading.
        case timeout
        /// The receiving node failed to store something; not the peer's fault.
        case internalError = "internal_error"
        /// The node is shutting down or the link was removed.
        case goingAway = "going_away"
        /// A batch was refused; the batch rejection's code follows in the message.
        case batchRefused = "batch_refused"
    }

    /// The error code.
    public let code: Code
    /// One sentence for people.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The ERROR for a refused batch, keeping the batch rejection's own code in the message.
    public init(refused rejection: BatchRejection) {
        if rejection.code == .notMember {
            self.init(.notMember, rejection.reason)
        } else {
            self.init(.batchRefused, "\(rejection.code.rawValue): \(rejection.reason)")
        }
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}
