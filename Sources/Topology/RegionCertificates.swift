import Crypto
import Foundation
import SwiftASN1
import SyncCore
import X509

#if canImport(Glibc)
    import Glibc
#endif

/// The region's certificate authority and node certificates (DESIGN §2): P-256 keys, X.509 v3,
/// each node certificate naming its node as the SAN URI `pccc://node/<id>`.
public enum RegionCertificates {
    /// A certificate with its private key, both PEM.
    public struct Issued: Sendable {
        /// The certificate, PEM.
        public let certificatePEM: String
        /// The private key, PKCS#8 PEM.
        public let privateKeyPEM: String
        /// The serial, as it is written in the topology's `revoked` list.
        public let serial: String
    }

    /// A certificate or key that cannot be used, with why.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// One sentence.
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// The URI prefix of a node's SAN.
    public static let nodeURIPrefix = "pccc://node/"

    /// Makes a self-signed region CA, valid for `days` from `now`.
    public static func makeAuthority(name: String, days: Int = 3650, now: Date = Date()) throws -> Issued {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            OrganizationName("PCCC Sync")
            CommonName(name)
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(Double(days) * 86_400),
            issuer: subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: Certificate.PublicKey(key.publicKey))
            },
            issuerPrivateKey: Certificate.PrivateKey(key)
        )
        return Issued(
            certificatePEM: try certificate.serializeAsPEM().pemString,
            privateKeyPEM: key.pemRepresentation,
            serial: serialText(certificate.serialNumber.bytes)
        )
    }

    /// Issues a TLS certificate for `node`, signed by the CA, valid from `notBefore` for `days`.
    public static func issue(
        node: String,
        caCertificatePEM: String,
        caPrivateKeyPEM: String,
        days: Int = 825,
        notBefore: Date = Date().addingTimeInterval(-300)
    ) throws -> Issued {
        try leaf(
            commonName: node, usages: [.serverAuth, .clientAuth], names: [.uniformResourceIdentifier(nodeURIPrefix + node)],
            caCertificatePEM: caCertificatePEM, caPrivateKeyPEM: caPrivateKeyPEM, days: days, notBefore: notBefore)
    }

    /// Issues a TLS server certificate for the web UI and API of a node, signed by the CA, for
    /// `names` (DNS names and IPv4 or IPv6 addresses, the first also its common name), valid
    /// from `notBefore` for `days`. It names no node, so no peer accepts it as one.
    public static func issueWebServer(
        names: [String],
        caCertificatePEM: String,
        caPrivateKeyPEM: String,
        days: Int = 398,
        notBefore: Date = Date().addingTimeInterval(-300)
    ) throws -> Issued {
        guard let first = names.first else { throw Failure("a web server certificate needs at least one name or address") }
        let alternativeNames = try names.map { name -> GeneralName in
            if let address = ipAddressBytes(name) { return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(address))) }
            guard isDNSName(name) else { throw Failure("\(name) is neither a DNS name nor an IP address") }
            return .dnsName(name)
        }
        return try leaf(
            commonName: first, usages: [.serverAuth], names: alternativeNames, caCertificatePEM: caCertificatePEM,
            caPrivateKeyPEM: caPrivateKeyPEM, days: days, notBefore: notBefore)
    }

    /// A new P-256 key and its certificate, signed by the CA: not a CA itself, for digital
    /// signatures in `usages`, naming `names`, valid from `notBefore` for `days`.
    private static func leaf(
        commonName: String, usages: [ExtendedKeyUsage.Usage], names: [GeneralName], caCertificatePEM: String, caPrivateKeyPEM: String, days: Int,
        notBefore: Date
    ) throws -> Issued {
        let (caCertificate, caKey) = try caPair(caCertificatePEM, caPrivateKeyPEM)
        let key = P256.Signing.PrivateKey()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: notBefore,
            notValidAfter: notBefore.addingTimeInterval(Double(days) * 86_400),
            issuer: caCertificate.subject,
            subject: try DistinguishedName {
                OrganizationName("PCCC Sync")
                CommonName(commonName)
            },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage(usages)
                SubjectAlternativeNames(names)
                SubjectKeyIdentifier(hash: Certificate.PublicKey(key.publicKey))
                AuthorityKeyIdentifier(keyIdentifier: try caCertificate.extensions.subjectKeyIdentifier?.keyIdentifier)
            },
            issuerPrivateKey: Certificate.PrivateKey(caKey)
        )
        return Issued(
            certificatePEM: try certificate.serializeAsPEM().pemString,
            privateKeyPEM: key.pemRepresentation,
            serial: serialText(certificate.serialNumber.bytes)
        )
    }

    /// The CA certificate and its key, refused in one sentence when either does not read or
    /// they do not belong together.
    private static func caPair(_ certificatePEM: String, _ keyPEM: String) throws -> (Certificate, P256.Signing.PrivateKey) {
        let caCertificate: Certificate
        let caKey: P256.Signing.PrivateKey
        do {
            caCertificate = try Certificate(pemEncoded: certificatePEM)
        } catch {
            throw Failure("the CA certificate is not a PEM X.509 certificate")
        }
        do {
            caKey = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
        } catch {
            throw Failure("the CA key is not a PEM P-256 private key")
        }
        guard caCertificate.publicKey == Certificate.PublicKey(caKey.publicKey) else {
            throw Failure("the CA key does not belong to the CA certificate")
        }
        return (caCertificate, caKey)
    }

    /// The 4 or 16 bytes of an IPv4 or IPv6 address in text; nil for anything else.
    private static func ipAddressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// Letters, digits and `-` in dot-separated labels of 1 to 63 characters, 253 at most.
    private static func isDNSName(_ name: String) -> Bool {
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        return name.utf8.count <= 253 && !labels.isEmpty
            && labels.allSatisfy { label in
                (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                    && label.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
            }
    }

    /// The node ids a certificate names as `pccc://node/<id>` SAN URIs.
    public static func nodeIDs(in certificate: Certificate) -> [NodeID] {
        guard let names = try? certificate.extensions.subjectAlternativeNames else { return [] }
        return names.compactMap { name in
            guard case .uniformResourceIdentifier(let uri) = name, uri.hasPrefix(nodeURIPrefix) else { return nil }
            return NodeID(String(uri.dropFirst(nodeURIPrefix.count)))
        }
    }

    /// A serial as colon-separated lowercase hex bytes, the form `revoked` lists use.
    public static func serialText<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        bytes.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined(separator: ":")
    }
}

extension RegionCertificates {
    /// What `pccc certs show` prints of a certificate.
    public struct Summary: Sendable {
        /// The node ids its SAN URIs name.
        public let nodeIDs: [NodeID]
        /// The serial, as the `revoked` list takes it.
        public let serial: String
        /// The serial's bytes.
        public let serialBytes: [UInt8]
        /// Subject and issuer, RFC 4514 form.
        public let subject: String
        /// The issuer.
        public let issuer: String
        /// Validity.
        public let notBefore: Date
        /// Validity.
        public let notAfter: Date
        /// Whether it is a CA certificate.
        public let isAuthority: Bool
    }

    /// Reads a PEM certificate.
    public static func summary(ofPEM pem: String) throws -> Summary {
        let certificate: Certificate
        do {
            certificate = try Certificate(pemEncoded: pem)
        } catch {
            throw Failure("the file is not a PEM X.509 certificate")
        }
        let constraints = try? certificate.extensions.basicConstraints
        var isAuthority = false
        if case .isCertificateAuthority = constraints { isAuthority = true }
        return Summary(
            nodeIDs: nodeIDs(in: certificate), serial: serialText(certificate.serialNumber.bytes),
            serialBytes: Array(certificate.serialNumber.bytes), subject: "\(certificate.subject)",
            issuer: "\(certificate.issuer)", notBefore: certificate.notValidBefore, notAfter: certificate.notValidAfter, isAuthority: isAuthority
        )
    }
}

/// A certificate a node uses and when it stops being valid: its own certificate, a CA it
/// trusts, or a peer's certificate as last seen at a handshake.
public struct CertificateInUse: Sendable, Equatable {
    /// How reports name the node's own certificate.
    public static let ownName = "own"
    /// How reports name a trusted CA: this prefix and the CA's serial.
    public static let authorityPrefix = "ca:"
    /// How reports name a peer's certificate: this prefix and the peer's node id.
    public static let peerPrefix = "peer:"

    /// `own`, `ca:<serial>` or `peer:<node id>`, the `certificate` label of
    /// `pccc_certificate_expiry_timestamp_seconds`.
    public let name: String
    /// The serial, colon-separated hex as the topology's `revoked` list writes it.
    public let serial: String
    /// The end of its validity.
    public let notAfter: Date

    /// A certificate named `name`.
    public init(name: String, serial: String, notAfter: Date) {
        self.name = name
        self.serial = serial
        self.notAfter = notAfter
    }

    /// The certificate `certificate`, named `name`.
    public init(name: String, certificate: Certificate) {
        self.init(name: name, serial: RegionCertificates.serialText(certificate.serialNumber.bytes), notAfter: certificate.notValidAfter)
    }
}

extension RegionCertificates {
    /// The certificates of a PEM bundle (a node's `tls/ca.pem`), in order: each one's summary
    /// and its own PEM text. A bundle with no certificate, or with a block that does not parse,
    /// is refused.
    public static func bundle(_ pem: String) throws -> [(summary: Summary, pem: String)] {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: pem)
        } catch {
            throw Failure("the file is not a PEM certificate bundle")
        }
        let certificates = documents.filter { $0.discriminator == "CERTIFICATE" }
        guard !certificates.isEmpty else { throw Failure("the file holds no PEM certificate") }
        return try certificates.map { document in
            let text = document.pemString
            return (try summary(ofPEM: text), text)
        }
    }

    /// `bundle` with the CA certificate `authorityPEM` appended, so a node trusts it as well;
    /// refused when it is not a CA certificate or the bundle already holds it.
    public static func bundle(_ bundlePEM: String, adding authorityPEM: String) throws -> String {
        let current = try bundle(bundlePEM)
        let added = try bundle(authorityPEM)
        guard added.count == 1, let new = added.first else {
            throw Failure("the CA file to add must hold exactly one certificate, it holds \(added.count)")
        }
        guard new.summary.isAuthority else { throw Failure("certificate \(new.summary.serial) is not a CA certificate") }
        guard !current.contains(where: { $0.summary.serial == new.summary.serial }) else {
            throw Failure("the bundle already trusts CA \(new.summary.serial)")
        }
        return (current.map(\.pem) + [new.pem]).map { $0.hasSuffix("\n") ? $0 : $0 + "\n" }.joined()
    }

    /// `bundle` without the CA whose serial is `serial` (colon-separated hex, or hex alone);
    /// refused when the bundle does not hold it, or holds nothing else.
    public static func bundle(_ bundlePEM: String, removingSerial serial: String) throws -> String {
        let current = try bundle(bundlePEM)
        let wanted = serial.lowercased().filter(\.isHexDigit)
        let kept = current.filter { $0.summary.serial.filter(\.isHexDigit) != wanted }
        guard kept.count < current.count else {
            throw Failure("the bundle holds no CA of serial \(serial); it holds \(current.map(\.summary.serial).joined(separator: ", "))")
        }
        guard !kept.isEmpty else { throw Failure("CA \(serial) is the only one the bundle trusts; add its successor first") }
        return kept.map(\.pem).map { $0.hasSuffix("\n") ? $0 : $0 + "\n" }.joined()
    }
}
