import Foundation
import TestSupport
import Topology

#if canImport(Glibc)
    import Glibc
#endif

extension LiveRegion {
    /// Issues `node` a certificate of `ca` (the region's CA unless given) valid for `days`.
    func issue(_ node: String, by ca: RegionCertificates.Issued? = nil, days: Int = 825) throws -> RegionCertificates.Issued {
        let ca = ca ?? authority
        return try RegionCertificates.issue(node: node, caCertificatePEM: ca.certificatePEM, caPrivateKeyPEM: ca.privateKeyPEM, days: days)
    }

    /// Writes `certificate` and its key as `node`'s tls/node.pem and tls/node.key, as an admin
    /// renewing it would; a running node takes them at its next SIGHUP.
    func installCertificate(_ certificate: RegionCertificates.Issued, on node: String) throws {
        try certificate.certificatePEM.write(toFile: folder(node) + "/tls/node.pem", atomically: true, encoding: .utf8)
        try certificate.privateKeyPEM.write(toFile: folder(node) + "/tls/node.key", atomically: true, encoding: .utf8)
    }

    /// `pccc status --data NODE` as it is, whatever its exit status.
    func statusRun(_ node: String, json: Bool = false) throws -> PCCCExecutable.Result {
        try PCCCExecutable.run(["status", "--data", folder(node)] + (json ? ["--json"] : []))
    }

    /// The entry of `certificate` (`own`, `ca:<serial>`, `peer:<id>`) in `node`'s status.
    func certificateEntry(at node: String, _ certificate: String) throws -> [String: Any]? {
        try statusList(at: node, "certificates").first { $0["certificate"] as? String == certificate }
    }

    /// The serial `node` recorded of `peer`'s certificate at its last handshake.
    func recordedSerial(at node: String, of peer: String) throws -> String? {
        try certificateEntry(at: node, "peer:\(peer)")?["serial"] as? String
    }

    /// How many lines of `node`'s log contain `text`.
    func logLines(_ node: String, containing text: String) -> Int {
        log(node).split(separator: "\n").filter { $0.contains(text) }.count
    }
}
