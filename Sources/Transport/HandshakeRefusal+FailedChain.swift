import Foundation
import Topology
import X509

extension HandshakeRefusal {
    /// Why BoringSSL refused a peer's certificate chain, in the words an admin acts on.
    ///
    /// BoringSSL reports every failed chain check as one code, `CERTIFICATE_VERIFY_FAILED`.
    /// The certificate the peer sent tells them apart: one the region CA signed that is
    /// outside its validity period needs a renewed certificate (or a corrected clock), a current
    /// one points at the CA's own validity, while one the CA did not sign is a stranger.
    ///
    /// - Parameters:
    ///   - leafDER: the peer's certificate as sent, or nil when it could not be read.
    ///   - authority: the region CA.
    ///   - now: the time the handshake ran.
    public static func failedChain(leafDER: [UInt8]?, authority: Certificate, now: Date) -> HandshakeRefusal {
        failedChain(leafDER: leafDER, authorities: [authority], now: now)
    }

    /// ``failedChain(leafDER:authority:now:)`` for a node that trusts several CAs (a CA
    /// rollover): the CA that signed the leaf, if any of them did, is the one judged.
    public static func failedChain(leafDER: [UInt8]?, authorities: [Certificate], now: Date) -> HandshakeRefusal {
        guard let leafDER, let leaf = try? Certificate(derEncoded: leafDER) else {
            return HandshakeRefusal(.untrustedCertificate, "the peer certificate does not chain to the region CA (CERTIFICATE_VERIFY_FAILED)")
        }
        guard let authority = TLSCredentials.issuer(of: leaf, among: authorities) else {
            let nodes = RegionCertificates.nodeIDs(in: leaf)
            let holder = nodes.count == 1 ? "the certificate of \(nodes[0])" : "the peer certificate"
            return HandshakeRefusal(
                .untrustedCertificate,
                "\(holder) (serial \(RegionCertificates.serialText(leaf.serialNumber.bytes)), issued by \(leaf.issuer)) does not chain to the region CA"
                    + (authorities.count > 1 ? " nor to any of the \(authorities.count) CAs this node trusts" : "") + " (CERTIFICATE_VERIFY_FAILED)"
            )
        }
        let nodes = RegionCertificates.nodeIDs(in: leaf)
        let holder = nodes.count == 1 ? "the certificate of \(nodes[0])" : "the peer certificate"
        let named = "\(holder) (serial \(RegionCertificates.serialText(leaf.serialNumber.bytes)))"
        if now > leaf.notValidAfter {
            return HandshakeRefusal(.expiredCertificate, "\(named) expired at \(Self.utc(leaf.notValidAfter)); issue it a new one")
        }
        if now < leaf.notValidBefore {
            return HandshakeRefusal(
                .certificateNotYetValid,
                "\(named) is not valid before \(Self.utc(leaf.notValidBefore)); check this node's clock (now \(Self.utc(now)))"
            )
        }
        // The leaf is current, so the CA this node trusts may be the one out of date.
        if now > authority.notValidAfter {
            return HandshakeRefusal(
                .expiredCertificate, "the region CA certificate this node trusts expired at \(Self.utc(authority.notValidAfter)); the region needs a new CA")
        }
        if now < authority.notValidBefore {
            return HandshakeRefusal(
                .certificateNotYetValid,
                "the region CA certificate this node trusts is not valid before \(Self.utc(authority.notValidBefore)); check this node's clock (now \(Self.utc(now)))"
            )
        }
        return HandshakeRefusal(
            .untrustedCertificate, "\(named) is signed by the region CA but BoringSSL refused it (CERTIFICATE_VERIFY_FAILED)")
    }

    private static func utc(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
