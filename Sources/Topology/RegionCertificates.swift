import Crypto
import Foundation
import SwiftASN1
import SyncCore
import X509

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
        let caCertificate: Certificate
        let caKey: P256.Signing.PrivateKey
        do {
            caCertificate = try Certificate(pemEncoded: caCertificatePEM)
        } catch {
            throw Failure("the CA certificate is not a PEM X.509 certificate")
        }
        do {
            caKey = try P256.Signing.PrivateKey(pemRepresentation: caPrivateKeyPEM)
        } catch {
            throw Failure("the CA key is not a PEM P-256 private key")
        }
        guard caCertificate.publicKey == Certificate.PublicKey(caKey.publicKey) else {
            throw Failure("the CA key does not belong to the CA certificate")
        }
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
                CommonName(node)
            },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames([.uniformResourceIdentifier(nodeURIPrefix + node)])
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
