import Foundation
import Replica
import TestSupport
import Testing
import Topology

/// The web UI and API over HTTPS on an address other than 127.0.0.1, as staff at their own desks
/// reach them: a real `pccc serve` with a certificate from `pccc certs issue-api`, and Debian's
/// curl as the client, trusting only the region CA.
@Suite(.serialized, .ownThread) struct APIOverTLSTests {
    /// curl with `arguments`; its status, output and error.
    static func curl(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        try ChildProcess.start("/usr/bin/curl", ["--silent", "--show-error", "--max-time", "20"] + arguments).finish(seconds: 40)
    }

    @Test func theAPIServesHTTPSWithTheCentresCertificateAndPlainHTTPStaysOnLoopback() throws {
        let region = try LiveRegion(nodes: ["a", "b"], links: [LiveRegion.Link(from: "a", to: "b")], groups: ["region": ["a", "b"]])
        let ca = region.directory.path("ca")
        try FileManager.default.createDirectory(atPath: ca, withIntermediateDirectories: true)
        try region.authority.certificatePEM.write(toFile: ca + "/ca.pem", atomically: true, encoding: .utf8)
        try region.authority.privateKeyPEM.write(toFile: ca + "/ca.key", atomically: true, encoding: .utf8)
        let issued = try PCCCExecutable.run(["certs", "issue-api", "127.0.0.2", "pccc.centre.test", "--ca", ca, "--out", region.directory.path("api")])
        #expect(issued.status == 0, "\(issued.error)")
        let certificate = region.directory.path("api/api.pem")
        let key = region.directory.path("api/api.key")
        #expect(try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int == 0o600)

        // Plain HTTP beyond loopback, or half the TLS options, is refused in one sentence.
        let data = region.folder("a")
        let plain = try PCCCExecutable.run(["serve", "--data", data, "--api", "10.1.2.3:8443"])
        #expect(plain.status != 0 && plain.error.contains("serves plain HTTP, so it listens on loopback only"), "\(plain.error)")
        let half = try PCCCExecutable.run(["serve", "--data", data, "--api", "127.0.0.2:0", "--api-cert", certificate])
        #expect(half.status != 0 && half.error.contains("--api-cert and --api-key go together"), "\(half.error)")
        let wrongKey = try PCCCExecutable.run(["serve", "--data", data, "--api", "127.0.0.2:0", "--api-cert", certificate, "--api-key", certificate])
        #expect(wrongKey.status != 0 && wrongKey.error.contains("is not a readable PEM private key"), "\(wrongKey.error)")

        try region.start("a", api: true, apiAddress: "127.0.0.2", apiOptions: ["--api-cert", certificate, "--api-key", key])
        let port = try #require(region.apiPorts["a"])
        _ = try region.pccc(["users", "add", "desk.officer", "--role", "staff", "--data", data])
        let password = try ChildProcess.start(
            try PCCCExecutable.url.path, ["users", "password", "desk.officer", "--data", data], input: Array("a long desk password\n".utf8)
        ).finish(seconds: 60)
        #expect(password.status == 0, "\(password.error)")

        // Signed in over HTTPS, the certificate checked against the region CA and the address.
        let signIn = try Self.curl([
            "--cacert", ca + "/ca.pem", "-H", "Content-Type: application/json", "-d", #"{"name":"desk.officer","password":"a long desk password"}"#,
            "https://127.0.0.2:\(port)/api/session",
        ])
        #expect(signIn.status == 0, "\(signIn.error)")
        let session = try #require(try JSONSerialization.jsonObject(with: Data(signIn.output.utf8)) as? [String: Any])
        let token = try #require(session["token"] as? String)
        let me = try Self.curl(["--cacert", ca + "/ca.pem", "-H", "Authorization: Bearer \(token)", "https://127.0.0.2:\(port)/api/me"])
        #expect(me.output.contains(#""name":"desk.officer""#), "\(me.output)\(me.error)")
        // A client that does not trust the region CA, or speaks plain HTTP, gets nothing.
        let untrusted = try Self.curl(["https://127.0.0.2:\(port)/api/me"])
        #expect(untrusted.status == 60, "curl without the CA exited \(untrusted.status): \(untrusted.error)")
        let cleartext = try Self.curl(["http://127.0.0.2:\(port)/api/me"])
        #expect(cleartext.status != 0 || !cleartext.output.contains("desk.officer"), "plain HTTP got an answer: \(cleartext.output)")
        // TLS 1.1 and older are refused (curl offers them only at OpenSSL security level 0).
        let old = try Self.curl(["--cacert", ca + "/ca.pem", "--tls-max", "1.1", "--ciphers", "DEFAULT@SECLEVEL=0", "https://127.0.0.2:\(port)/api/me"])
        #expect(old.status != 0, "TLS 1.1 got through: \(old.output)")
        region.stop("a")
    }
}
