import Foundation
import NIOSSL
import TestSupport
import Testing
import Topology
import WireProtocol

/// Peers the topology does not admit are refused in the TLS handshake; the node keeps
/// serving its real peers throughout.
@Suite(.serialized, .ownThread) struct HandshakeRefusalTests {
    @Test func everyInadmissiblePeerIsRefusedAndRealPeersKeepSyncing() async throws {
        let region = try LiveRegion.admission()
        let port = region.ports["b"]!
        let d = region.issued["d"]!

        // The control: d's own certificate over TLS 1.3 is answered with HELLO. Its clock is an
        // hour ahead, which b's status shows.
        let before = UInt64(Date().timeIntervalSince1970 * 1000)
        let hourAhead = before + 3_600_000
        let admitted = try await RawTLSClient.exchange(
            port: port, certificatePEM: d.certificatePEM, keyPEM: d.privateKeyPEM, send: RawTLSClient.opening(node: "d", sentAt: hourAhead)
        ) { messages in !messages.isEmpty }
        guard case .hello(let hello)? = admitted.messages.first else {
            Issue.record("a linked node with a valid certificate got no HELLO: \(admitted)")
            return
        }
        #expect(hello.nodeID == "b")
        let after = UInt64(Date().timeIntervalSince1970 * 1000)
        #expect((before...after).contains(hello.sentAtMilliseconds), "b stamps its HELLO with its clock")
        // b's estimate is d's clock minus b's when b read the HELLO: no later than the status
        // that shows it, and no earlier than `before`. A loaded b may read the HELLO after this
        // client has gone, so the window closes at the status read, not at the exchange's end.
        var skew: Int64?
        try region.waitUntil("b's status to show d's clock skew", seconds: 30) {
            skew = (try region.peerEntry(at: "b", "d")["clock_skew_ms"] as? NSNumber)?.int64Value
            return skew != nil
        }
        let shown = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(skew.map { $0 <= 3_600_000 && $0 >= Int64(hourAhead) - shown } == true, "b shows d \(skew ?? 0) ms ahead, not about an hour")
        #expect(region.log("b").contains("the clock of d is 35") || region.log("b").contains("the clock of d is 3600 s ahead"))

        let otherCA = try RegionCertificates.makeAuthority(name: "another region")
        let foreign = try RegionCertificates.issue(node: "d", caCertificatePEM: otherCA.certificatePEM, caPrivateKeyPEM: otherCA.privateKeyPEM)
        let expired = try RegionCertificates.issue(
            node: "d", caCertificatePEM: region.authority.certificatePEM, caPrivateKeyPEM: region.authority.privateKeyPEM, days: 1,
            notBefore: Date().addingTimeInterval(-30 * 86_400)
        )
        let early = try RegionCertificates.issue(
            node: "d", caCertificatePEM: region.authority.certificatePEM, caPrivateKeyPEM: region.authority.privateKeyPEM,
            notBefore: Date().addingTimeInterval(2 * 86_400)
        )
        let cases: [(String, String?, String?, TLSVersion, String, String)] = [
            ("no client certificate", nil, nil, .tlsv13, "presented no certificate", "no_certificate"),
            ("a certificate of another CA", foreign.certificatePEM, foreign.privateKeyPEM, .tlsv13, "does not chain to the region CA", "untrusted_certificate"),
            ("an expired certificate", expired.certificatePEM, expired.privateKeyPEM, .tlsv13, "(serial \(expired.serial)) expired at", "expired_certificate"),
            (
                "a certificate not valid yet", early.certificatePEM, early.privateKeyPEM, .tlsv13, "(serial \(early.serial)) is not valid before",
                "certificate_not_yet_valid"
            ),
            ("a revoked certificate", region.issued["e"]!.certificatePEM, region.issued["e"]!.privateKeyPEM, .tlsv13, "is revoked", "revoked"),
            (
                "a node with no link", region.issued["c"]!.certificatePEM, region.issued["c"]!.privateKeyPEM, .tlsv13, "no link in the topology lets c dial b",
                "no_link"
            ),
            ("a TLS 1.2 client", d.certificatePEM, d.privateKeyPEM, .tlsv12, "TLS 1.3", "tls_version"),
        ]
        for (name, certificate, key, version, logged, reason) in cases {
            let reply = try await RawTLSClient.exchange(
                port: port, certificatePEM: certificate, keyPEM: key, maximumTLSVersion: version,
                send: RawTLSClient.opening(node: "d")
            )
            #expect(reply.messages.isEmpty, "\(name): the node must not speak to this peer, got \(reply.messages)")
            #expect(reply.closedByNode, "\(name): the node must close the connection")
            if ["expired_certificate", "certificate_not_yet_valid"].contains(reason) {
                // What a dialing node would read, and count as refused_as_expired.
                #expect(reply.error?.contains("SSLV3_ALERT_CERTIFICATE_EXPIRED") == true, "\(name): \(reply.error ?? "no error")")
            }
            try region.waitUntil("b to log why it refused \(name)", seconds: 5) { region.log("b").contains(logged) }
            // Each refusal is counted once, under its reason, in b's Prometheus metrics.
            #expect(try region.metric("b", "pccc_refused_handshakes_total{reason=\"\(reason)\"}") == 1, "\(name)")
        }
        print(region.log("b").split(separator: "\n").filter { $0.contains("refused") || $0.contains("handshake") }.joined(separator: "\n"))
        #expect(region.isRunning("b"))
        let id = try region.addRecord(at: "a", group: "region", ["family_name": "StillSyncing"])
        try region.waitUntil("a's record at b after the refusals", seconds: 5) { try region.record(at: "b", id) != nil }
    }
}
