import Foundation
import Node
import Testing
import Topology

/// The thresholds of certificate expiry reports: a warning from 30 days, critical from 7.
@Suite struct CertificateExpiryTests {
    @Test func levelsFollowTheThresholdsAndTheSentenceSaysWhatAndWhen() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        func expiry(_ name: String, in seconds: Double) -> CertificateExpiry {
            CertificateExpiry(CertificateInUse(name: name, serial: "0a:0b", notAfter: now.addingTimeInterval(seconds)), now: now)
        }
        let day = 86_400.0
        #expect(expiry("own", in: 31 * day).level == .ok)
        #expect(expiry("own", in: 30 * day).level == .warning)
        #expect(expiry("own", in: 8 * day).level == .warning)
        #expect(expiry("own", in: 7 * day).level == .critical)
        #expect(expiry("own", in: 1).level == .critical)
        #expect(expiry("own", in: 0).level == .expired)
        #expect(expiry("own", in: -1).daysLeft == -1)
        #expect(expiry("own", in: 4.5 * day).sentence == "this node's certificate (serial 0a:0b) expires at 2027-01-19T20:00:00.000Z, in 4 days")
        #expect(expiry("peer:b", in: -day).sentence == "the certificate of peer b (serial 0a:0b, as last seen) expired at 2027-01-14T08:00:00.000Z")
        #expect(expiry("ca:0a:0b", in: day).sentence.hasPrefix("the trusted CA certificate (serial 0a:0b) expires at "))
    }
}
