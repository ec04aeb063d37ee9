import Foundation
import Testing
import Topology
import Transport
import X509

/// BoringSSL's one `CERTIFICATE_VERIFY_FAILED` becomes the refusal an admin can act on, and a
/// certificate the region CA did not sign is never called merely expired.
@Suite struct FailedChainTests {
    static let authority = try! RegionCertificates.makeAuthority(name: "test CA")
    static let caCertificate = try! Certificate(pemEncoded: authority.certificatePEM)
    static let now = Date()

    static func leaf(
        of ca: RegionCertificates.Issued = authority, days: Int = 825, notBefore: Date = now.addingTimeInterval(-300)
    ) throws -> (
        der: [UInt8], serial: String
    ) {
        let issued = try RegionCertificates.issue(
            node: "d", caCertificatePEM: ca.certificatePEM, caPrivateKeyPEM: ca.privateKeyPEM, days: days, notBefore: notBefore)
        return (try derBytes(issued.certificatePEM), issued.serial)
    }

    @Test func anExpiredCertificateOfTheRegionCAIsNamedExpired() throws {
        let expired = try Self.leaf(days: 1, notBefore: Self.now.addingTimeInterval(-30 * 86_400))
        let refusal = HandshakeRefusal.failedChain(leafDER: expired.der, authority: Self.caCertificate, now: Self.now)
        #expect(refusal.code == .expiredCertificate)
        #expect(refusal.reason.hasPrefix("the certificate of d (serial \(expired.serial)) expired at "), "\(refusal.reason)")
    }

    @Test func aCertificateNotValidYetPointsAtTheClock() throws {
        let early = try Self.leaf(notBefore: Self.now.addingTimeInterval(3_600))
        let refusal = HandshakeRefusal.failedChain(leafDER: early.der, authority: Self.caCertificate, now: Self.now)
        #expect(refusal.code == .certificateNotYetValid)
        #expect(refusal.reason.contains("is not valid before"), "\(refusal.reason)")
        #expect(refusal.reason.contains("check this node's clock"), "\(refusal.reason)")
    }

    @Test func strangersStayUntrustedWhateverTheirDates() throws {
        // Another CA under the very same name: the issuer matches, the signature does not.
        let impostor = try RegionCertificates.makeAuthority(name: "test CA")
        let expiredStranger = try Self.leaf(of: impostor, days: 1, notBefore: Self.now.addingTimeInterval(-30 * 86_400))
        let foreign = try Self.leaf(of: try RegionCertificates.makeAuthority(name: "another region"))
        for der in [expiredStranger.der, foreign.der, [0x30, 0x03, 0x02, 0x01, 0x01], []] {
            let refusal = HandshakeRefusal.failedChain(leafDER: der, authority: Self.caCertificate, now: Self.now)
            #expect(refusal.code == .untrustedCertificate)
            #expect(refusal.reason.contains("does not chain to the region CA"), "\(refusal.reason)")
        }
        #expect(HandshakeRefusal.failedChain(leafDER: nil, authority: Self.caCertificate, now: Self.now).code == .untrustedCertificate)
    }

    @Test func aCurrentCertificateOfTheRegionCAThatFailedAnywayIsNotBlamedOnItsDates() throws {
        let current = try Self.leaf()
        let refusal = HandshakeRefusal.failedChain(leafDER: current.der, authority: Self.caCertificate, now: Self.now)
        #expect(refusal.code == .untrustedCertificate)
        #expect(refusal.reason.contains("signed by the region CA but BoringSSL refused it"), "\(refusal.reason)")
    }

    @Test func aCurrentCertificateUnderAnExpiredCAPointsAtTheCA() throws {
        let oldCA = try RegionCertificates.makeAuthority(name: "test CA", days: 1, now: Self.now.addingTimeInterval(-40 * 86_400))
        let current = try Self.leaf(of: oldCA, notBefore: Self.now.addingTimeInterval(-30 * 86_400))
        let refusal = HandshakeRefusal.failedChain(
            leafDER: current.der, authority: try Certificate(pemEncoded: oldCA.certificatePEM), now: Self.now)
        #expect(refusal.code == .expiredCertificate)
        #expect(refusal.reason.hasPrefix("the region CA certificate this node trusts expired at "), "\(refusal.reason)")
    }

    @Test func withSeveralCAsTheOneThatSignedTheLeafIsJudgedAndStrangersAreNamed() throws {
        // Two CAs of one name, as a rollover makes them: each leaf is judged by its own CA.
        let newCA = try RegionCertificates.makeAuthority(name: "test CA")
        let trusted = [Self.caCertificate, try Certificate(pemEncoded: newCA.certificatePEM)]
        let expired = try Self.leaf(of: newCA, days: 1, notBefore: Self.now.addingTimeInterval(-30 * 86_400))
        #expect(HandshakeRefusal.failedChain(leafDER: expired.der, authorities: trusted, now: Self.now).code == .expiredCertificate)
        let stranger = try Self.leaf(of: try RegionCertificates.makeAuthority(name: "test CA"))
        let refusal = HandshakeRefusal.failedChain(leafDER: stranger.der, authorities: trusted, now: Self.now)
        #expect(refusal.code == .untrustedCertificate)
        #expect(refusal.reason.hasPrefix("the certificate of d (serial \(stranger.serial), issued by "), "\(refusal.reason)")
        #expect(refusal.reason.contains("nor to any of the 2 CAs this node trusts"), "\(refusal.reason)")
    }
}
