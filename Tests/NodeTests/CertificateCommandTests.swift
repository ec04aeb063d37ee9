import Foundation
import TestSupport
import Testing

/// The admin's certificate and topology commands, run as the real executable; openssl (Debian's)
/// checks the certificates independently.
@Suite(.ownThread) struct CertificateCommandTests {
    /// Runs `executable` to its end (two minutes at most); returns its status and its output,
    /// standard error after standard output.
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let (status, output, error) = try ChildProcess.start(executable, arguments).finish(seconds: PCCCExecutable.runLimitSeconds)
        return (status, output + error)
    }

    static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func issuedCertificatesVerifyWithOpenSSLAndNameTheirNode() throws {
        let directory = try TemporaryDirectory()
        let ca = directory.path("ca")
        let out = directory.path("issued")
        #expect(try PCCCExecutable.run(["certs", "init-ca", "--out", ca]).status == 0)
        let issued = try PCCCExecutable.run(["certs", "issue", "mk-tabanovce", "--ca", ca, "--out", out, "--days", "30"])
        #expect(issued.status == 0)
        #expect(issued.output.hasPrefix("ed25519:") && issued.output.split(separator: "\n").count == 1)
        #expect(try Self.mode(ca + "/ca.key") == 0o600)
        #expect(try Self.mode(out + "/mk-tabanovce.key") == 0o600)
        #expect(try Self.mode(out + "/mk-tabanovce.signing") == 0o600)

        let verify = try Self.run("/usr/bin/openssl", ["verify", "-CAfile", ca + "/ca.pem", out + "/mk-tabanovce.pem"])
        #expect(verify.status == 0 && verify.output.contains("OK"), "\(verify.output)")
        let san = try Self.run("/usr/bin/openssl", ["x509", "-in", out + "/mk-tabanovce.pem", "-noout", "-ext", "subjectAltName"])
        #expect(san.output.contains("URI:pccc://node/mk-tabanovce"), "\(san.output)")
        let other = directory.path("other")
        #expect(try PCCCExecutable.run(["certs", "init-ca", "--out", other]).status == 0)
        let foreign = try Self.run("/usr/bin/openssl", ["verify", "-CAfile", other + "/ca.pem", out + "/mk-tabanovce.pem"])
        #expect(foreign.status != 0, "another CA must not verify it")

        let shown = try PCCCExecutable.run(["certs", "show", out + "/mk-tabanovce.pem", "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(shown.output.utf8)) as? [String: Any])
        #expect(json["nodes"] as? [String] == ["mk-tabanovce"])
        #expect(json["state"] as? String == "valid")
        let serial = try #require(json["serial"] as? String)
        let opensslSerial = try Self.run("/usr/bin/openssl", ["x509", "-in", out + "/mk-tabanovce.pem", "-noout", "-serial"])
        #expect(opensslSerial.output.lowercased().contains(serial.replacingOccurrences(of: ":", with: "")))

        let again = try PCCCExecutable.run(["certs", "issue", "mk-tabanovce", "--ca", ca, "--out", out])
        #expect(again.status != 0 && again.error.contains("already exists"))
        let missing = try PCCCExecutable.run(["certs", "issue", "x", "--ca", directory.path("nowhere"), "--out", out])
        #expect(missing.status != 0 && missing.error.contains("run pccc certs init-ca"))
    }

    @Test func revokeAddsTheSerialThatValidateThenAccepts() throws {
        let directory = try TemporaryDirectory()
        let ca = directory.path("ca")
        _ = try PCCCExecutable.run(["certs", "init-ca", "--out", ca])
        _ = try PCCCExecutable.run(["certs", "issue", "a", "--ca", ca, "--out", ca])
        let topology = directory.path("region.yaml")
        try "network: x\nnodes:\n  - { id: a, address: \"127.0.0.1:1\" }  # keep me\ngroups: {g: [a]}\nrevoked: []\n".write(
            toFile: topology, atomically: true, encoding: .utf8
        )
        let revoke = try PCCCExecutable.run(["certs", "revoke", ca + "/a.pem", "--topology", topology])
        #expect(revoke.status == 0, "\(revoke.error)")
        let text = try String(contentsOfFile: topology, encoding: .utf8)
        #expect(text.contains("# keep me"))
        let validate = try PCCCExecutable.run(["topology", "validate", topology])
        #expect(validate.status == 0)
        #expect(validate.output.contains("1 revoked serials"))
        let broken = directory.path("broken.yaml")
        try "network: x\nnodes:\n  - { id: a, address: \"127.0.0.1:1\" }\nlinks: [[a, b]]\ngroups: {g: [a]}\n".write(
            toFile: broken, atomically: true, encoding: .utf8
        )
        let refused = try PCCCExecutable.run(["topology", "validate", broken])
        #expect(refused.status != 0)
        #expect(refused.error.contains("broken.yaml:4: link names unknown node b"), "\(refused.error)")
    }
}
