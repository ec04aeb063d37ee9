/// How long sign-in sessions and API tokens last, and when repeated failures lock an account
/// (docs/OPERATIONS.md, "Signing in").
public struct SignInPolicy: Sendable, Equatable {
    /// A session unused this long ends: 30 minutes.
    public var idleMilliseconds: UInt64 = 30 * 60_000
    /// A session ends this long after sign-in however it is used: 12 hours, a shift.
    public var sessionMilliseconds: UInt64 = 12 * 3_600_000
    /// This many wrong passwords in a row lock the account: 5.
    public var failuresBeforeLockout = 5
    /// For this long: 15 minutes.
    public var lockoutMilliseconds: UInt64 = 15 * 60_000
    /// A new API token lasts this many days unless told otherwise: 90.
    public var defaultTokenDays = 90
    /// And at most this many: 365.
    public var maximumTokenDays = 365

    /// The defaults above.
    public init() {}

    /// How often a session's last use is written: using it more often writes nothing more, and
    /// the idle limit is kept to within this. A quarter of the shortest idle limit an admin may
    /// set, so a session in use never ends as unused, even just after the limit was shortened.
    static let lastUseResolutionMilliseconds: UInt64 = 15_000

    /// The idle limit an admin may set, in minutes: a minute to a day.
    public static let idleMinutesRange = 1...1_440
    /// The absolute limit an admin may set, in hours: an hour to three days.
    public static let sessionHoursRange = 1...72

    /// The idle limit in minutes.
    public var idleMinutes: Int { Int(idleMilliseconds / 60_000) }
    /// The absolute limit in hours.
    public var sessionHours: Int { Int(sessionMilliseconds / 3_600_000) }

    /// `a session ends after 30 minutes unused, or 12 hours after sign-in`.
    public var limitsDescription: String {
        "a session ends after \(Self.count(idleMinutes, "minute")) unused, or \(Self.count(sessionHours, "hour")) after sign-in"
    }

    /// `1 minute`, `30 minutes`.
    static func count(_ value: Int, _ unit: String) -> String { "\(value) \(unit)\(value == 1 ? "" : "s")" }
    /// A revoked or expired token's use is audited at most once per this long, so whoever holds
    /// one cannot fill the log.
    static let refusalAuditMilliseconds: UInt64 = 3_600_000
}

/// A named API token for an integration, as the node keeps it (never the token itself).
public struct APIToken: Equatable, Sendable {
    /// Its user.
    public let user: String
    /// Its name, unique per user.
    public let name: String
    /// When made (Unix milliseconds).
    public let createdAt: UInt64
    /// When it stops working.
    public let expiresAt: UInt64
    /// When revoked; nil unless revoked.
    public let revokedAt: UInt64?
}

/// A session begun by ``Replica/signIn(name:password:)``.
public struct SignedIn: Equatable, Sendable {
    /// The session token, shown once: `pcccs_` and 43 characters.
    public let token: String
    /// Who signed in.
    public let user: LocalUser
    /// When the session ends whatever happens (Unix milliseconds).
    public let endsAt: UInt64
    /// How long it may go unused before it ends, in milliseconds.
    public let idleMilliseconds: UInt64
}
