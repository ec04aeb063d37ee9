import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOCore
import NIOSSL
import Transport

/// Where and how `pccc serve --api` serves the web UI, the API and `/metrics`: plain HTTP on a
/// loopback address only, or HTTPS (TLS 1.2 at least) with the centre's certificate on any
/// address staff reach the node by.
public struct APIServerAddress: Sendable {
    /// The address to bind.
    public let host: String
    /// The port; 0 picks a free one.
    public let port: Int
    /// The server's TLS configuration; nil for plain HTTP.
    public let tls: TLSConfiguration?

    /// `https` or `http`, for the line printed once bound.
    public var scheme: String { tls == nil ? "http" : "https" }

    /// Reads `--api HOST:PORT` with `--api-cert` and `--api-key` (PEM files: the chain, leaf
    /// first, and its private key), both or neither; refused in one sentence.
    public init(_ text: String, certificatePath: String?, keyPath: String?) throws {
        guard let address = PeerDialer.split(address: text), (0...65535).contains(address.port) else {
            throw APIServerAddress.Refusal("--api must be HOST:PORT, such as 127.0.0.1:8080, not \(text)")
        }
        host = address.host
        port = address.port
        switch (certificatePath, keyPath) {
        case (nil, nil):
            guard Self.isLoopback(address.host) else {
                throw Refusal(
                    "--api without --api-cert and --api-key serves plain HTTP, so it listens on loopback only (127.0.0.0/8 or ::1), not \(address.host)")
            }
            tls = nil
        case (let certificatePath?, let keyPath?):
            let chain: [NIOSSLCertificate]
            let key: NIOSSLPrivateKey
            do {
                chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
            } catch {
                throw Refusal("--api-cert \(certificatePath) is not a readable PEM certificate chain")
            }
            guard !chain.isEmpty else { throw Refusal("--api-cert \(certificatePath) holds no certificate") }
            do {
                key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
            } catch {
                throw Refusal("--api-key \(keyPath) is not a readable PEM private key")
            }
            var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
            configuration.minimumTLSVersion = .tlsv12
            tls = configuration
        default:
            throw Refusal("--api-cert and --api-key go together: the certificate chain and its private key")
        }
    }

    /// Whether `host` is `localhost` or a loopback address, 127.0.0.0/8 or ::1 (an address, not
    /// a name that merely begins with `127.`).
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        var v6 = in6_addr()
        return inet_pton(AF_INET6, host, &v6) == 1 && withUnsafeBytes(of: &v6) { Array($0) } == Array(repeating: 0, count: 15) + [1]
    }

    /// A connection that sends nothing this long is closed, so idle or half-open connections
    /// from the centre's network cannot pile up.
    public static let idleTimeout: TimeAmount = .seconds(60)

    /// The server Hummingbird runs: HTTP/1.1, over TLS when configured.
    public func server() throws -> HTTPServerBuilder {
        let http1 = HTTPServerBuilder.http1(configuration: .init(idleTimeout: Self.idleTimeout))
        guard let tls else { return http1 }
        return try .tls(http1, tlsConfiguration: tls)
    }

    /// A refusal of the options, in one sentence.
    public struct Refusal: Error, CustomStringConvertible {
        /// The sentence.
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
