import Foundation
import NIOSSL
import X509

/// A node's TLS material: the region CA it trusts, its certificate and private key, and the
/// TLS 1.3-only, client-certificate-required configurations made from them.
public struct TLSCredentials: Sendable {
    /// The server side: requires a client certificate that chains to the CA.
    public let serverContext: NIOSSLContext
    /// The client side: requires a server certificate that chains to the CA; names are
    /// checked by ``PeerCertificateCheck``, not by host name.
    public let clientContext: NIOSSLContext
    /// The region CA, to say why a peer certificate that failed the chain check was refused.
    public let authority: Certificate

    /// A credential file that cannot be used; the message names the file.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        /// One sentence.
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Loads PEM files.
    public init(caPath: String, certificatePath: String, keyPath: String) throws {
        func pem(_ path: String) throws -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw Failure("cannot read \(path)")
            }
            return Array(data)
        }
        let ca: NIOSSLCertificate
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do { ca = try NIOSSLCertificate(bytes: try pem(caPath), format: .pem) } catch let error as Failure { throw error } catch {
            throw Failure("\(caPath) is not a PEM certificate")
        }
        do { chain = try NIOSSLCertificate.fromPEMBytes(try pem(certificatePath)) } catch let error as Failure { throw error } catch {
            throw Failure("\(certificatePath) is not a PEM certificate")
        }
        guard !chain.isEmpty else { throw Failure("\(certificatePath) holds no certificate") }
        do { key = try NIOSSLPrivateKey(bytes: try pem(keyPath), format: .pem) } catch let error as Failure { throw error } catch {
            throw Failure("\(keyPath) is not a PEM private key")
        }
        try self.init(ca: ca, chain: chain, key: key)
    }

    /// Builds the contexts from parsed material.
    public init(ca: NIOSSLCertificate, chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) throws {
        var server = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        var client = TLSConfiguration.makeClientConfiguration()
        client.certificateChain = chain.map { .certificate($0) }
        client.privateKey = .privateKey(key)
        do {
            authority = try Certificate(derEncoded: try ca.toDERBytes())
        } catch {
            throw Failure("the CA certificate cannot be parsed: \(error)")
        }
        Self.harden(&server, ca: ca)
        Self.harden(&client, ca: ca)
        do {
            serverContext = try NIOSSLContext(configuration: server)
            clientContext = try NIOSSLContext(configuration: client)
        } catch {
            throw Failure("the node certificate and key cannot be used together: \(error)")
        }
    }

    private static func harden(_ configuration: inout TLSConfiguration, ca: NIOSSLCertificate) {
        configuration.minimumTLSVersion = .tlsv13
        configuration.maximumTLSVersion = .tlsv13
        configuration.trustRoots = .certificates([ca])
        // Chain and expiry are checked by BoringSSL; the node id, revocation and link are
        // checked by PeerCertificateCheck right after, still inside the handshake.
        configuration.certificateVerification = .noHostnameVerification
        configuration.renegotiationSupport = .none
    }
}
