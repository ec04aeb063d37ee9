import Foundation
import NIOCore
import Testing
import Topology
import WireProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// Debian's own `openssl s_client`, not our TLS stack, tries to get in with every identity the
/// region must refuse. The node answers none of them with a HELLO, closes, logs why and counts
/// the refusal; a well-identified s_client gets a HELLO, which proves the harness can see one.
@Suite(.serialized) struct OpenSSLClientTests {
    /// What `openssl s_client` printed, and whether it ended before the wait ran out.
    struct Session {
        let output: [UInt8]
        let error: String
        let status: Int32
        let endedByItself: Bool
    }

    /// Runs `openssl s_client` against `port` with `options`, writing `send` and then keeping
    /// the connection open (`-ign_eof`) until the node closes it or `seconds` pass.
    static func sClient(port: Int, options: [String], send: [UInt8], seconds: Double = 8) throws -> Session {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["s_client", "-connect", "127.0.0.1:\(port)", "-ign_eof", "-quiet", "-verify_quiet"] + options
        let input = Pipe()
        let output = Pipe()
        let error = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        try input.fileHandleForWriting.write(contentsOf: Data(send))
        try input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        let endedByItself = !process.isRunning
        if !endedByItself { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return Session(
            output: Array(output.fileHandleForReading.readDataToEndOfFile()),
            error: String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
            status: process.terminationStatus,
            endedByItself: endedByItself
        )
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
        let admitted = try Self.sClient(port: port, options: ["-tls1_3"] + ca + write(region.issued["d"]!, as: "d"), send: opening, seconds: 2)
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
            #expect(session.endedByItself, "\(name): the node must close the connection")
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
