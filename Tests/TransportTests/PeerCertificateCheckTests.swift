import Foundation
import SwiftASN1
import Testing
import Topology
import Transport
import X509

@Suite struct PeerCertificateCheckTests {
    static let authority = try! RegionCertificates.makeAuthority(name: "test CA")

    static func der(_ node: String) throws -> [UInt8] {
        let issued = try RegionCertificates.issue(node: node, caCertificatePEM: authority.certificatePEM, caPrivateKeyPEM: authority.privateKeyPEM)
        return try derBytes(issued.certificatePEM)
    }

    static func topology(revoked: [String] = []) throws -> RegionTopology {
        let yaml = """
            network: net
            nodes:
              - { id: a, address: "127.0.0.1:1" }
              - { id: b, address: "127.0.0.1:2" }
              - { id: c, address: "127.0.0.1:3" }
            links:
              - [a, b]
            groups:
              g: [a, b, c]
            revoked: [\(revoked.map { "\"\($0)\"" }.joined(separator: ", "))]
            """
        return try RegionTopology.parse(yaml: yaml, file: "t.yaml")
    }

    @Test func theDialingEndOfALinkIsAcceptedByItsListener() throws {
        let check = PeerCertificateCheck(topology: try Self.topology(), localNode: "b")
        #expect(check.evaluate(leafDER: try Self.der("a"), role: .listener) == .accepted(nodeID: "a"))
    }

    @Test func theDialerAcceptsOnlyTheNodeItDialed() throws {
        let check = PeerCertificateCheck(topology: try Self.topology(), localNode: "a")
        #expect(check.evaluate(leafDER: try Self.der("b"), role: .dialer(expectedPeer: "b")) == .accepted(nodeID: "b"))
        #expect(
            check.evaluate(leafDER: try Self.der("c"), role: .dialer(expectedPeer: "b"))
                == .refused(HandshakeRefusal(.wrongPeer, "dialed b but the certificate is of c")))
    }

    @Test func refusalsSayWhy() throws {
        let listener = PeerCertificateCheck(topology: try Self.topology(), localNode: "b")
        #expect(listener.evaluate(leafDER: try Self.der("c"), role: .listener) == .refused(HandshakeRefusal(.noLink, "no link in the topology lets c dial b")))
        #expect(listener.evaluate(leafDER: try Self.der("zz"), role: .listener) == .refused(HandshakeRefusal(.unknownNode, "node zz is not in the topology")))
        #expect(
            listener.evaluate(leafDER: [0x30, 0x03, 0x02, 0x01, 0x00], role: .listener)
                == .refused(HandshakeRefusal(.unreadableCertificate, "the peer certificate cannot be parsed")))
        let reverse = PeerCertificateCheck(topology: try Self.topology(), localNode: "a")
        #expect(reverse.evaluate(leafDER: try Self.der("b"), role: .listener) == .refused(HandshakeRefusal(.noLink, "no link in the topology lets b dial a")))
    }

    @Test func aRevokedCertificateIsRefusedWhateverItsLinks() throws {
        let issued = try RegionCertificates.issue(node: "a", caCertificatePEM: Self.authority.certificatePEM, caPrivateKeyPEM: Self.authority.privateKeyPEM)
        let check = PeerCertificateCheck(topology: try Self.topology(revoked: [issued.serial.uppercased()]), localNode: "b")
        let verdict = check.evaluate(leafDER: try derBytes(issued.certificatePEM), role: .listener)
        #expect(verdict == .refused(HandshakeRefusal(.revoked, "the certificate of a (serial \(issued.serial)) is revoked")))
        #expect(check.evaluate(leafDER: try Self.der("a"), role: .listener) == .accepted(nodeID: "a"), "another certificate of a is fine")
    }

    @Test func anIssuedCertificateNamesItsNodeAndCanBothServeAndDial() throws {
        let issued = try RegionCertificates.issue(
            node: "mk-tabanovce", caCertificatePEM: Self.authority.certificatePEM, caPrivateKeyPEM: Self.authority.privateKeyPEM, days: 30)
        let certificate = try Certificate(pemEncoded: issued.certificatePEM)
        #expect(RegionCertificates.nodeIDs(in: certificate) == ["mk-tabanovce"])
        #expect(try certificate.extensions.extendedKeyUsage?.contains(.serverAuth) == true)
        #expect(try certificate.extensions.extendedKeyUsage?.contains(.clientAuth) == true)
        #expect(try certificate.extensions.basicConstraints == .notCertificateAuthority)
        let days = certificate.notValidAfter.timeIntervalSince(certificate.notValidBefore) / 86_400
        #expect(abs(days - 30) < 0.01)
        #expect(throws: RegionCertificates.Failure.self) {
            try RegionCertificates.issue(node: "x", caCertificatePEM: Self.authority.certificatePEM, caPrivateKeyPEM: P256Key.other)
        }
    }
}

/// A P-256 key that belongs to no CA here.
enum P256Key {
    static let other = try! RegionCertificates.makeAuthority(name: "other").privateKeyPEM
}

func derBytes(_ pem: String) throws -> [UInt8] {
    var serializer = DER.Serializer()
    try serializer.serialize(try Certificate(pemEncoded: pem))
    return serializer.serializedBytes
}
