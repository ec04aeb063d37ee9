import Foundation
import NIOCore
import TestSupport
import Testing
import Topology
import WireProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// Debian's own `openssl s_client`, not our TLS stack, tries to get in with every identity the
/// region must refuse. The node answers none of them with a HELLO, closes, logs why and counts
/// the refusal; a well-identified s_client gets a HELLO, which proves the harness can see one.
@Suite(.serialized, .ownThread) struct OpenSSLClientTests {
    /// What `openssl s_client` printed and how it exited.
    struct Session {
        let output: [UInt8]
        let error: String
        let status: Int32
    }

    /// Runs `openssl s_client` against `port` with `options`, writing `send` and then keeping
    /// the connection open (`-ign_eof`) until the node closes it, or, with `until`, until what
    /// came back satisfies it; either must happen within `seconds`, or the run throws.
    static func sClient(port: Int, options: [String], send: [UInt8], seconds: Double = 30, until: ((Data) -> Bool)? = nil) throws -> Session {
        let client = try ChildProcess.start(
            "/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-ign_eof", "-quiet", "-verify_quiet"] + options, input: send
        )
        if let until {
            try client.waitForOutputBytes(seconds: seconds, until: until)
            client.signal(SIGKILL)
        }
        let (status, _, error) = try client.finish(seconds: until == nil ? seconds : 10)
        return Session(output: client.outputBytes, error: error, status: status)
    }

    @Test func opensslClientsWithoutAnAdmissibleIdentityAreRefused() throws {
        let region = try LiveRegion.admission()
        let digestBefore = try region.digest(at: "b")
        let port = region.ports["b"]!
        func write(_ issued: RegionCertificates.Issued, as name: String) throws -> [String] {
            let certificate = region.directory.path("\(name)-client.pem")
            let key = region.directory.path("\(name)-client.key")
            try issued.certificatePEM.write(toFile: certificate, atomically: true, encoding: .utf8)
            try issued.privateKeyPEM.write(toFile: key, atomically: true, encoding: .utf8)
            return ["-cert", certificate, "-key", key]
        }
        let ca = ["-CAfile", region.directory.path("ca.pem")]
        let opening = RawTLSClient.opening(node: "d")

        // The control: d's own certificate. The node's HELLO comes back on s_client's stdout.
        let admitted = try Self.sClient(port: port, options: ["-tls1_3"] + ca + write(region.issued["d"]!, as: "d"), send: opening) { output in
            var buffer = ByteBuffer(bytes: output)
            return (try? Frame.next(from: &buffer, maxLength: Frame.defaultMaxLength)) != nil
        }
        var received = ByteBuffer(bytes: admitted.output)
        let firstFrame = try Frame.next(from: &received, maxLength: Frame.defaultMaxLength)
        guard case .hello(let hello)? = try firstFrame.map(PeerMessage.init(frame:)) else {
            Issue.record("the admitted s_client got no HELLO: \(admitted.output.count) bytes, \(admitted.error)")
            return
        }
        #expect(hello.nodeID == "b")

        let otherCA = try RegionCertificates.makeAuthority(name: "another region")
        let foreign = try RegionCertificates.issue(node: "d", caCertificatePEM: otherCA.certificatePEM, caPrivateKeyPEM: otherCA.privateKeyPEM)
        let expired = try RegionCertificates.issue(
            node: "d", caCertificatePEM: region.authority.certificatePEM, caPrivateKeyPEM: region.authority.privateKeyPEM, days: 1,
            notBefore: Date().addingTimeInterval(-30 * 86_400)
        )
        let cases: [(name: String, options: [String], logged: String, reason: String)] = [
            ("no client certificate", ["-tls1_3"], "presented no certificate", "no_certificate"),
            ("a certificate of another CA", ["-tls1_3"] + (try write(foreign, as: "foreign")), "does not chain to the region CA", "untrusted_certificate"),
            ("a revoked certificate", ["-tls1_3"] + (try write(region.issued["e"]!, as: "e")), "is revoked", "revoked"),
            // BoringSSL reports a failed chain check and an expired leaf with the same code; the
            // certificate the client sent tells them apart.
            ("an expired certificate", ["-tls1_3"] + (try write(expired, as: "expired")), "(serial \(expired.serial)) expired at", "expired_certificate"),
            ("a node with no link", ["-tls1_3"] + (try write(region.issued["c"]!, as: "c")), "no link in the topology lets c dial b", "no_link"),
            ("TLS 1.2", ["-tls1_2"] + (try write(region.issued["d"]!, as: "d")), "TLS 1.3", "tls_version"),
        ]
        var counted: [String: Int] = [:]
        for (name, options, logged, reason) in cases {
            let loggedBefore = region.log("b").components(separatedBy: logged).count
            let session = try Self.sClient(port: port, options: options + ca, send: opening)
            let lines = session.error.split(separator: "\n")
            let said = lines.first { $0.contains("alert") } ?? lines.last ?? ""
            print("openssl s_client, \(name): exit \(session.status), \(session.output.count) bytes back; \(said)")
            // sClient returned, so the node closed the connection: s_client would not have.
            #expect(session.output.isEmpty, "\(name): the node must not speak to this client")
            #expect(session.status != 0, "\(name): s_client must see the refusal")
            try region.waitUntil("b to log why it refused \(name)", seconds: 5) {
                region.log("b").components(separatedBy: logged).count > loggedBefore
            }
            counted[reason, default: 0] += 1
            #expect(try region.metric("b", "pccc_refused_handshakes_total{reason=\"\(reason)\"}") == Double(counted[reason]!), "\(name)")
        }
        #expect(try region.digest(at: "b") == digestBefore)
        #expect(region.isRunning("b"))
        let id = try region.addRecord(at: "a", group: "region", ["family_name": "AfterOpenSSL"])
        try region.waitUntil("a's record at b after the refusals", seconds: 5) { try region.record(at: "b", id) != nil }
    }
}
