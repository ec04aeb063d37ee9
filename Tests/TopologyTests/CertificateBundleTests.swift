import Foundation
import Testing
import Topology

/// A node's `tls/ca.pem` bundle gains and loses CAs one at a time, as a CA rollover needs.
@Suite struct CertificateBundleTests {
    @Test func aCAIsAddedOnceAndRemovedBySerialButNeverTheLastOne() throws {
        let old = try RegionCertificates.makeAuthority(name: "test CA")
        let new = try RegionCertificates.makeAuthority(name: "test CA")
        let both = try RegionCertificates.bundle(old.certificatePEM, adding: new.certificatePEM)
        #expect(try RegionCertificates.bundle(both).map(\.summary.serial) == [old.serial, new.serial])
        #expect(throws: RegionCertificates.Failure.self) { try RegionCertificates.bundle(both, adding: new.certificatePEM) }
        let node = try RegionCertificates.issue(node: "a", caCertificatePEM: old.certificatePEM, caPrivateKeyPEM: old.privateKeyPEM)
        #expect(throws: RegionCertificates.Failure.self) { try RegionCertificates.bundle(both, adding: node.certificatePEM) }

        // Removed by its serial with or without colons, in any case.
        let onlyNew = try RegionCertificates.bundle(both, removingSerial: old.serial.uppercased().replacingOccurrences(of: ":", with: ""))
        #expect(try RegionCertificates.bundle(onlyNew).map(\.summary.serial) == [new.serial])
        #expect(throws: RegionCertificates.Failure.self) { try RegionCertificates.bundle(onlyNew, removingSerial: old.serial) }
        #expect(throws: RegionCertificates.Failure.self) { try RegionCertificates.bundle(onlyNew, removingSerial: new.serial) }
        #expect(throws: RegionCertificates.Failure.self) { try RegionCertificates.bundle("not PEM") }
    }
}
