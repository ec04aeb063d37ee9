import Foundation
import TestSupport
import Testing
import Topology

/// Certificates over years, with real `pccc serve` processes and real TLS on loopback: a node
/// takes a renewed certificate or another CA bundle at SIGHUP without dropping its sessions,
/// a region rolls over to a new CA, and every certificate in use is watched for expiry.
@Suite(.serialized, .ownThread) struct CertificateLifecycleTests {
    static let region = ["region": ["a", "b", "c"]]
    static let ab = LiveRegion.Link(from: "a", to: "b")
    static let cb = LiveRegion.Link(from: "c", to: "b")

    @Test func aRenewedCertificateServesNewHandshakesWhileTheSessionsUpStay() throws {
        // b listens to a and c, and dials d.
        let region = try LiveRegion(
            nodes: ["a", "b", "c", "d"], links: [Self.ab, Self.cb, LiveRegion.Link(from: "b", to: "d")], groups: ["region": ["a", "b", "c", "d"]]
        )
        try region.start("b", api: true)
        try region.start("a")
        try region.waitUntil("a–b session", seconds: 30) { try region.isConnected("a", to: "b") && region.isConnected("b", to: "a") }
        let old = region.issued["b"]!
        try region.waitUntil("a to record b's certificate", seconds: 10) { try region.recordedSerial(at: "a", of: "b") == old.serial }
        let since = (try region.sessionStart("a", with: "b"), try region.sessionStart("b", with: "a"))

        // Files that cannot serve are refused, each with one line, and counted; b runs on.
        let stranger = try RegionCertificates.makeAuthority(name: "test CA")
        let bad: [(String, () throws -> Void, String)] = [
            (
                "a certificate of a CA b does not trust", { try region.installCertificate(try region.issue("b", by: stranger), on: "b") },
                "is not signed by any of the 1 CA certificates trusted"
            ),
            ("another node's certificate", { try region.installCertificate(try region.issue("c"), on: "b") }, "names c, not b"),
            (
                "a file that is not PEM", { try "not a certificate".write(toFile: region.folder("b") + "/tls/node.pem", atomically: true, encoding: .utf8) },
                "node.pem is not a PEM certificate"
            ),
        ]
        for (count, (name, install, reason)) in bad.enumerated() {
            try install()
            let status = try region.statusRun("b")
            #expect(status.status == 2 && status.error.contains("The TLS files in \(region.folder("b"))/tls cannot be used: "), "\(name): \(status.error)")
            try region.hangUp("b")
            try region.waitUntil("b to refuse \(name)", seconds: 10) { region.logLines("b", containing: "TLS reload refused") == count + 1 }
            let line = region.log("b").split(separator: "\n").last { $0.contains("TLS reload refused") } ?? ""
            #expect(line.contains(reason) && line.contains("the certificate, key and CAs in force are unchanged"), "\(name): \(line)")
            #expect(try region.metric("b", "pccc_tls_reload_failures_total") == Double(count + 1))
            #expect(try region.metric("b", "pccc_tls_reload_refused") == 1)
        }
        #expect(region.isRunning("b"))

        let renewed = try region.issue("b")
        try region.installCertificate(renewed, on: "b")
        try region.hangUp("b")
        try region.waitUntil("b to reload its certificate", seconds: 10) {
            region.log("b").contains("TLS credentials reloaded: certificate serial \(renewed.serial)")
        }
        #expect(try region.metric("b", "pccc_tls_reload_refused") == 0)

        // Every new connection presents the renewed certificate: accepted (c dials b) and
        // dialed (b dials d, which was down until now).
        try region.start("c")
        try region.waitUntil("c to record b's renewed certificate", seconds: 30) { try region.recordedSerial(at: "c", of: "b") == renewed.serial }
        #expect(try region.isConnected("c", to: "b"))
        try region.start("d")
        try region.waitUntil("d to record b's renewed certificate", seconds: 30) { try region.recordedSerial(at: "d", of: "b") == renewed.serial }
        // The a–b session, opened before, was never dropped: the same start on both sides, one
        // session in each log, and a still holds the certificate it saw at that handshake.
        #expect(try region.sessionStart("a", with: "b") == since.0, "a's session with b restarted")
        #expect(try region.sessionStart("b", with: "a") == since.1, "b's session with a restarted")
        #expect(region.logLines("a", containing: "session with b (") == 1, "a reconnected to b")
        #expect(try region.recordedSerial(at: "a", of: "b") == old.serial)
        let id = try region.addRecord(at: "a", group: "region", ["family_name": "AcrossTheRenewal"])
        try region.waitUntil("a's record at c through b", seconds: 15) { try region.record(at: "c", id) != nil }
    }

    @Test func aRegionRollsOverToANewCAAndThenRefusesTheOldOne() throws {
        let region = try LiveRegion(nodes: ["a", "b", "c"], links: [Self.ab, Self.cb], groups: Self.region)
        // The same name as the old CA, as `pccc certs init-ca` makes them: told apart by key.
        let newCA = try RegionCertificates.makeAuthority(name: "test CA")
        let newCAPath = region.directory.path("new-ca.pem")
        try newCA.certificatePEM.write(toFile: newCAPath, atomically: true, encoding: .utf8)
        let oldSerial = region.authority.serial
        // Step 1 on every node: trust both CAs. a already has a certificate of the new CA;
        // b and c still have the old CA's.
        for node in ["a", "b", "c"] {
            let listed = try region.pccc(["certs", "trust", "--data", region.folder(node), "--add", newCAPath])
            #expect(listed.contains("trusted CA \(oldSerial)") && listed.contains("trusted CA \(newCA.serial)"), "\(listed)")
        }
        let aNew = try region.issue("a", by: newCA)
        try region.installCertificate(aNew, on: "a")
        try region.start("b", api: true)
        try region.start("a")
        try region.waitUntil("a (new CA) and b (old CA) in session", seconds: 30) { try region.isConnected("b", to: "a") }
        let before = try region.addRecord(at: "a", group: "region", ["family_name": "DuringTheRollover"])
        try region.waitUntil("a's record at b", seconds: 15) { try region.record(at: "b", before) != nil }
        #expect(try region.recordedSerial(at: "b", of: "a") == aNew.serial)
        let caEntries = try region.statusList(at: "b", "certificates").compactMap { $0["certificate"] as? String }.filter { $0.hasPrefix("ca:") }
        #expect(Set(caEntries) == ["ca:\(oldSerial)", "ca:\(newCA.serial)"], "\(caEntries)")

        // Steps 2 and 3 on b: a certificate of the new CA, then the old CA removed; one reload.
        let bNew = try region.issue("b", by: newCA)
        try region.installCertificate(bNew, on: "b")
        let listed = try region.pccc(["certs", "trust", "--data", region.folder("b"), "--remove", oldSerial])
        #expect(!listed.contains("trusted CA \(oldSerial)") && listed.contains("trusted CA \(newCA.serial)"), "\(listed)")
        try region.hangUp("b")
        try region.waitUntil("b to reload", seconds: 10) { region.log("b").contains("TLS credentials reloaded: certificate serial \(bNew.serial)") }
        #expect(region.log("b").contains("1 CA certificate(s) trusted"))

        // c still holds a certificate of the old CA: b refuses it in the handshake and says why.
        try region.start("c")
        try region.waitUntil("b to refuse c's old-CA certificate", seconds: 30) {
            region.log("b").contains("the certificate of c (serial \(region.issued["c"]!.serial), issued by")
        }
        let line = region.log("b").split(separator: "\n").first { $0.contains("the certificate of c (serial") } ?? ""
        #expect(line.contains("does not chain to the region CA"), "\(line)")
        #expect(try region.metric("b", "pccc_refused_handshakes_total{reason=\"untrusted_certificate\"}") ?? 0 >= 1)
        #expect(try !region.isConnected("b", to: "c"))
        // The new-CA session carries on, and a fresh one from a is accepted.
        let after = try region.addRecord(at: "a", group: "region", ["family_name": "AfterTheRollover"])
        try region.waitUntil("a's second record at b", seconds: 15) { try region.record(at: "b", after) != nil }
        #expect(try region.record(at: "c", after) == nil)
        #expect(try region.certificateEntry(at: "b", "ca:\(oldSerial)") == nil)
    }

    @Test func certificatesNearExpiryWarnAndThenFailStatus() throws {
        let region = try LiveRegion(nodes: ["a", "b"], links: [Self.ab], groups: ["region": ["a", "b"]])
        let twenty = try region.issue("a", days: 20)
        try region.installCertificate(twenty, on: "a")
        try region.start("b")
        try region.start("a", api: true)
        try region.waitUntil("a–b session", seconds: 30) { try region.isConnected("a", to: "b") && region.isConnected("b", to: "a") }
        try region.waitUntil("b to record a's certificate", seconds: 10) { try region.recordedSerial(at: "b", of: "a") == twenty.serial }

        // 20 days: a warning, and exit 0.
        let warned = try region.statusRun("a")
        #expect(warned.status == 0, "status exits 0 with 20 days left: \(warned.error)")
        #expect(warned.output.contains("own: serial \(twenty.serial)") && warned.output.contains("WARNING: expires within 30 days"), "\(warned.output)")
        let own = try #require(try region.certificateEntry(at: "a", "own"))
        #expect(own["level"] as? String == "warning" && own["serial"] as? String == twenty.serial && (own["days_left"] as? NSNumber)?.intValue == 19, "\(own)")
        #expect(try region.certificateEntry(at: "a", "ca:\(region.authority.serial)")?["level"] as? String == "ok")
        #expect(try region.certificateEntry(at: "b", "peer:a")?["level"] as? String == "warning")
        #expect(try region.statusRun("b").status == 0)
        let expiry = try #require(try region.metric("a", "pccc_certificate_expiry_timestamp_seconds{certificate=\"own\"}"))
        let twentyNotAfter = try RegionCertificates.summary(ofPEM: twenty.certificatePEM).notAfter.timeIntervalSince1970.rounded(.down)
        #expect(expiry == twentyNotAfter)
        #expect(try region.metric("a", "pccc_certificate_expiry_timestamp_seconds{certificate=\"peer:b\"}") != nil)
        #expect(try region.metric("a", "pccc_certificate_expiry_timestamp_seconds{certificate=\"ca:\(region.authority.serial)\"}") != nil)
        let dashboard = try region.http("a", "GET", "/api/status", token: try region.adminToken(at: "a"))
        let certificates = (dashboard.json as? [String: Any])?["certificates"] as? [[String: Any]] ?? []
        #expect(certificates.contains { $0["certificate"] as? String == "own" && $0["level"] as? String == "warning" }, "\(dashboard.body)")

        // 5 days: status exits 2 and says which certificate, in one sentence.
        let five = try region.issue("a", days: 5)
        try region.installCertificate(five, on: "a")
        let failed = try region.statusRun("a")
        #expect(failed.status == 2, "status exits 2 with 5 days left: \(failed.output)")
        let lines = failed.error.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("This node's certificate (serial \(five.serial)) expires at "), "\(failed.error)")
        #expect(lines.first?.contains("in 4 days; issue this node a new certificate and reload it (SIGHUP)") == true, "\(failed.error)")
        #expect(try region.statusRun("a", json: true).status == 2)
        // The serving node shows what it has in force until it reloads.
        #expect(try region.metric("a", "pccc_certificate_expiry_timestamp_seconds{certificate=\"own\"}") == twentyNotAfter)
        try region.hangUp("a")
        try region.waitUntil("a to serve the 5-day certificate", seconds: 10) {
            try region.metric("a", "pccc_certificate_expiry_timestamp_seconds{certificate=\"own\"}") != twentyNotAfter
        }
        #expect(try region.isConnected("a", to: "b"))
    }
}
