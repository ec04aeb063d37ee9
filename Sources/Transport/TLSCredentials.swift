import Foundation
import NIOSSL
import SyncCore
import Topology
import X509

/// A node's TLS material: the region CAs it trusts, its certificate and private key, and the
/// TLS 1.3-only, client-certificate-required configurations made from them.
///
/// The CA file may hold several certificates (a PEM bundle): every one is trusted, which is
/// how a region rolls over to a new CA without a day on which its nodes cannot talk.
public struct TLSCredentials: Sendable {
    /// The server side: requires a client certificate that chains to one of the CAs.
    public let serverContext: NIOSSLContext
    /// The client side: requires a server certificate that chains to one of the CAs; names are
    /// checked by ``PeerCertificateCheck``, not by host name.
    public let clientContext: NIOSSLContext
    /// Every CA trusted, in the order of the CA file, to say why a peer certificate that
    /// failed the chain check was refused.
    public let authorities: [Certificate]
    /// The node's own certificate (the first of its chain).
    public let certificate: Certificate

    /// The first CA of the file.
    public var authority: Certificate { authorities[0] }

    /// A credential file that cannot be used; the message names the file.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// One sentence.
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Loads PEM files; `caPath` may hold several CA certificates, all of them trusted.
    public init(caPath: String, certificatePath: String, keyPath: String) throws {
        func pem(_ path: String) throws -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw Failure("cannot read \(path)")
            }
            return Array(data)
        }
        let cas: [NIOSSLCertificate]
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do { cas = try NIOSSLCertificate.fromPEMBytes(try pem(caPath)) } catch let error as Failure { throw error } catch {
            throw Failure("\(caPath) is not a PEM certificate bundle")
        }
        guard !cas.isEmpty else { throw Failure("\(caPath) holds no certificate") }
        do { chain = try NIOSSLCertificate.fromPEMBytes(try pem(certificatePath)) } catch let error as Failure { throw error } catch {
            throw Failure("\(certificatePath) is not a PEM certificate")
        }
        guard !chain.isEmpty else { throw Failure("\(certificatePath) holds no certificate") }
        do { key = try NIOSSLPrivateKey(bytes: try pem(keyPath), format: .pem) } catch let error as Failure { throw error } catch {
            throw Failure("\(keyPath) is not a PEM private key")
        }
        try self.init(authorities: cas, chain: chain, key: key)
    }

    /// Builds the contexts from parsed material, trusting one CA.
    public init(ca: NIOSSLCertificate, chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) throws {
        try self.init(authorities: [ca], chain: chain, key: key)
    }

    /// Builds the contexts from parsed material, trusting every CA of `authorities` (at least one).
    public init(authorities cas: [NIOSSLCertificate], chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) throws {
        guard !cas.isEmpty else { throw Failure("no CA certificate to trust") }
        guard let leaf = chain.first else { throw Failure("the node certificate chain is empty") }
        var server = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        var client = TLSConfiguration.makeClientConfiguration()
        client.certificateChain = chain.map { .certificate($0) }
        client.privateKey = .privateKey(key)
        do {
            authorities = try cas.map { try Certificate(derEncoded: try $0.toDERBytes()) }
        } catch {
            throw Failure("a CA certificate cannot be parsed: \(error)")
        }
        do {
            certificate = try Certificate(derEncoded: try leaf.toDERBytes())
        } catch {
            throw Failure("the node certificate cannot be parsed: \(error)")
        }
        Self.harden(&server, cas: cas)
        Self.harden(&client, cas: cas)
        do {
            serverContext = try NIOSSLContext(configuration: server)
            clientContext = try NIOSSLContext(configuration: client)
        } catch {
            throw Failure("the node certificate and key cannot be used together: \(error)")
        }
    }

    private static func harden(_ configuration: inout TLSConfiguration, cas: [NIOSSLCertificate]) {
        configuration.minimumTLSVersion = .tlsv13
        configuration.maximumTLSVersion = .tlsv13
        configuration.trustRoots = .certificates(cas)
        // Chain and expiry are checked by BoringSSL; the node id, revocation and link are
        // checked by PeerCertificateCheck right after, still inside the handshake.
        configuration.certificateVerification = .noHostnameVerification
        configuration.renegotiationSupport = .none
    }
}

extension TLSCredentials {
    /// The CA of `authorities` that issued and signed `certificate`, if any.
    public static func issuer(of certificate: Certificate, among authorities: [Certificate]) -> Certificate? {
        authorities.first { $0.subject == certificate.issuer && $0.publicKey.isValidSignature(certificate.signature, for: certificate) }
    }

    /// The certificates these credentials use, for expiry reports: the node's own, then each
    /// trusted CA.
    public var certificatesInUse: [CertificateInUse] {
        [CertificateInUse(name: CertificateInUse.ownName, certificate: certificate)]
            + authorities.map {
                CertificateInUse(name: CertificateInUse.authorityPrefix + RegionCertificates.serialText($0.serialNumber.bytes), certificate: $0)
            }
    }
}

extension TLSCredentials {
    /// Why these credentials cannot serve `node` at `now`, in one sentence, or nil: the node
    /// certificate must name `node`, chain to one of the CAs, and be within its validity. A
    /// node checks new material with this before it puts it in force.
    public func problem(servingAs node: NodeID, now: Date = Date()) -> String? {
        let serial = RegionCertificates.serialText(certificate.serialNumber.bytes)
        let named = RegionCertificates.nodeIDs(in: certificate)
        guard named == [node] else {
            return "the node certificate (serial \(serial)) names \(named.isEmpty ? "no node" : named.map(\.rawValue).joined(separator: ", ")), not \(node)"
        }
        guard Self.issuer(of: certificate, among: authorities) != nil else {
            return
                "the node certificate (serial \(serial), issued by \(certificate.issuer)) is not signed by any of the \(authorities.count) CA certificates trusted"
        }
        if now > certificate.notValidAfter {
            return "the node certificate (serial \(serial)) expired at \(certificate.notValidAfter.formatted(.iso8601))"
        }
        if now < certificate.notValidBefore {
            return "the node certificate (serial \(serial)) is not valid before \(certificate.notValidBefore.formatted(.iso8601))"
        }
        return nil
    }
}
