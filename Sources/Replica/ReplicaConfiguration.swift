import Foundation
import Records
import SyncCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Everything a replica needs besides its file: who it is, whom it trusts, and its limits.
public struct ReplicaConfiguration: Sendable {
    /// This node's id.
    public var nodeID: NodeID
    /// This node's Ed25519 signing key, separate from its TLS key.
    public var signingKey: BatchSigningKey
    /// Network id, pinned keys and group members.
    public var roster: Roster
    /// The record kinds and fields this replica knows: the built-in schema, or the region's
    /// grown from it. A newer one only adds (``RecordSchema/checkGrowth(from:file:)``); opening
    /// the replica with it grows the tables and applies what waited for it.
    public var schema: RecordSchema = .builtIn
    /// Size limits for received batches.
    public var limits: BatchLimits = .default
    /// How far ahead of the local clock a batch may be before it is held back.
    public var maxClockSkewMilliseconds: UInt64 = 10 * 60 * 1000
    /// How many changes to records not (yet) held are kept per origin; more are dropped with
    /// an `orphans_full` alarm, so no member can fill the disk with changes that never apply.
    public var maxOrphansPerOrigin = 10_000
    /// How many forked batches are kept as evidence per origin; more raise `quarantine_full`.
    /// Each erasure redacts every one of them again, so this bounds that work too.
    public var maxQuarantinedPerOrigin = 16
    /// The centre's time zone, in which a request's calendar-day deadline is counted.
    public var timeZone: TimeZone = .current
    /// The key sealing the audit log, kept outside the database; nil seals with plain SHA-256
    /// alone (a replica in memory, for tests).
    public var auditKey: AuditKey?
    /// How long sign-in sessions last, and when repeated failures lock an account.
    public var signIn = SignInPolicy()
    /// The wall clock in Unix milliseconds; replaceable so tests can skew it.
    public var wallClock: @Sendable () -> UInt64 = ReplicaConfiguration.systemMilliseconds

    /// Creates a configuration with default limits and the system clock.
    public init(nodeID: NodeID, signingKey: BatchSigningKey, roster: Roster) {
        self.nodeID = nodeID
        self.signingKey = signingKey
        self.roster = roster
    }

    /// The system's real-time clock in Unix milliseconds.
    @Sendable public static func systemMilliseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UInt64(spec.tv_sec) * 1000 + UInt64(spec.tv_nsec) / 1_000_000
    }
}
