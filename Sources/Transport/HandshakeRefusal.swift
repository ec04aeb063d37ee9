/// Why a TLS handshake with a peer did not open a session: a code for counting (the
/// `reason` label of `pccc_refused_handshakes_total`) and the sentence that is logged.
public struct HandshakeRefusal: Equatable, Sendable, CustomStringConvertible {
    /// The kinds of refusal, a small fixed set so a metric label stays bounded.
    public enum Code: String, Sendable, CaseIterable {
        /// The certificate could not be read or parsed.
        case unreadableCertificate = "unreadable_certificate"
        /// The certificate names no node, or more than one.
        case noNodeName = "no_node_name"
        /// The certificate's serial is revoked in the topology.
        case revoked
        /// The node the certificate names is not in the topology.
        case unknownNode = "unknown_node"
        /// No link in the topology joins the two nodes in this direction.
        case noLink = "no_link"
        /// A dialed address answered with another node's certificate.
        case wrongPeer = "wrong_peer"
        /// The peer presented no certificate.
        case noCertificate = "no_certificate"
        /// The certificate does not chain to the region CA.
        case untrustedCertificate = "untrusted_certificate"
        /// The region CA signed the certificate, but its validity ended.
        case expiredCertificate = "expired_certificate"
        /// The region CA signed the certificate, but its validity has not begun: a clock is wrong.
        case certificateNotYetValid = "certificate_not_yet_valid"
        /// The peer does not speak TLS 1.3.
        case tlsVersion = "tls_version"
        /// The peer refused this node's certificate.
        case refusedByPeer = "refused_by_peer"
        /// The peer refused this node's certificate as expired or not yet valid.
        case refusedAsExpired = "refused_as_expired"
        /// The connection closed, or failed otherwise, before the handshake completed.
        case incomplete
    }

    /// The kind.
    public let code: Code
    /// The sentence for the log.
    public let reason: String

    /// A refusal of kind `code`, explained by `reason`.
    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    /// The reason.
    public var description: String { reason }
}
