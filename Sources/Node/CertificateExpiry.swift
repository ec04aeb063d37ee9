import Foundation
import Records
import Topology

/// How soon a certificate in use stops being valid, as `pccc status`, `GET /api/status`,
/// `/metrics` and the dashboard report it.
public struct CertificateExpiry: Sendable, Equatable {
    /// How urgent the renewal is.
    public enum Level: String, Sendable, Comparable, CaseIterable {
        /// More than ``CertificateExpiry/warningSeconds`` left.
        case ok
        /// At most ``CertificateExpiry/warningSeconds`` left: status, metrics and the
        /// dashboard warn.
        case warning
        /// At most ``CertificateExpiry/criticalSeconds`` left: `pccc status` exits 2.
        case critical
        /// Already expired: `pccc status` exits 2.
        case expired

        /// Orders by urgency.
        public static func < (a: Level, b: Level) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    /// A certificate with this little validity left (30 days) is reported as expiring soon
    /// (`warning`): time enough to issue, copy and reload a new one without haste.
    public static let warningSeconds: Int64 = 30 * 86_400
    /// A certificate with this little validity left (7 days) makes `pccc status` exit 2, as a
    /// peer down does: monitoring must page someone.
    public static let criticalSeconds: Int64 = 7 * 86_400

    /// The certificate.
    public let certificate: CertificateInUse
    /// Seconds of validity left at the time of the report; negative once expired.
    public let secondsLeft: Int64

    /// The certificate's state at `now`.
    public init(_ certificate: CertificateInUse, now: Date) {
        self.certificate = certificate
        secondsLeft = Int64((certificate.notAfter.timeIntervalSince1970 - now.timeIntervalSince1970).rounded(.down))
    }

    /// How urgent its renewal is.
    public var level: Level {
        if secondsLeft <= 0 { return .expired }
        if secondsLeft <= Self.criticalSeconds { return .critical }
        if secondsLeft <= Self.warningSeconds { return .warning }
        return .ok
    }

    /// Whole days left (rounded down; negative once expired).
    public var daysLeft: Int64 { secondsLeft >= 0 ? secondsLeft / 86_400 : -((-secondsLeft + 86_399) / 86_400) }

    /// What the certificate is, in words: "this node's certificate", "the trusted CA
    /// certificate …", "the certificate of peer …".
    public var subject: String {
        let name = certificate.name
        if name == CertificateInUse.ownName { return "this node's certificate (serial \(certificate.serial))" }
        if name.hasPrefix(CertificateInUse.peerPrefix) {
            return "the certificate of peer \(name.dropFirst(CertificateInUse.peerPrefix.count)) (serial \(certificate.serial), as last seen)"
        }
        return "the trusted CA certificate (serial \(certificate.serial))"
    }

    /// One sentence for an operator: what expires (or expired) when.
    public var sentence: String {
        let when = Timestamps.iso8601(milliseconds: UInt64(max(0, certificate.notAfter.timeIntervalSince1970 * 1000)))
        if level == .expired { return "\(subject) expired at \(when)" }
        return "\(subject) expires at \(when), in \(daysLeft) day\(daysLeft == 1 ? "" : "s")"
    }
}

extension NodeStatus {
    /// The certificates in use whose level is at least `level`, most urgent first.
    public func certificates(atLeast level: CertificateExpiry.Level) -> [CertificateExpiry] {
        certificates.filter { $0.level >= level }.sorted { ($0.level, $1.secondsLeft) > ($1.level, $0.secondsLeft) }
    }
}

extension NodeStatusJSON {
    /// One certificate in use.
    public struct Certificate: Codable, Sendable, Equatable {
        /// `own`, `ca:<serial>` or `peer:<node id>`.
        public var certificate: String
        /// Its serial, colon-separated hex.
        public var serial: String
        /// When it stops being valid, ISO 8601.
        public var notAfter: String
        /// Whole days left; negative once expired.
        public var daysLeft: Int64
        /// `ok`, `warning` (at most 30 days left), `critical` (at most 7) or `expired`.
        public var level: String
        /// One sentence saying what expires when.
        public var message: String

        enum CodingKeys: String, CodingKey {
            case certificate, serial, level, message
            case notAfter = "not_after"
            case daysLeft = "days_left"
        }

        /// The JSON of one certificate's expiry.
        public init(_ expiry: CertificateExpiry) {
            certificate = expiry.certificate.name
            serial = expiry.certificate.serial
            notAfter = Timestamps.iso8601(milliseconds: UInt64(max(0, expiry.certificate.notAfter.timeIntervalSince1970 * 1000)))
            daysLeft = expiry.daysLeft
            level = expiry.level.rawValue
            message = expiry.sentence
        }
    }
}
