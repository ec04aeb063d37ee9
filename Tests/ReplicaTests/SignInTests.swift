import Foundation
import Records
import Replica
import TestSupport
import Testing

/// Passwords, sessions, lockout, disabled users and API tokens, on a replica whose wall clock
/// the test moves: every refusal is one sentence with code `unauthenticated` (or
/// `not_allowed`), and each one that concerns a known user is audited.
@Suite(.ownThread) struct SignInTests {
    static let password = "correct horse battery"
    static let minute: UInt64 = 60_000

    /// Node a with admin ana (password set) and staff bob (password set).
    struct Node {
        let region: TestRegion
        var replica: Replica { region["a"] }
        var clock: TestClock { region.clocks["a"]! }
        let ana = AuditActor(user: "ana")

        init() throws {
            region = try TestRegion(nodes: ["a"])
            let replica = region["a"]
            try replica.addUser("ana", role: .admin, addedBy: nil)
            try replica.addUser("bob", role: .staff, addedBy: AuditActor(user: "ana"))
            try replica.setPassword(SignInTests.password, for: "ana", by: AuditActor(user: "ana"))
            try replica.setPassword(SignInTests.password, for: "bob", by: AuditActor(user: "ana"))
        }

        /// The actions of the audit entries after `seq`, with their details.
        func audited(after seq: Int64) throws -> [String] {
            try replica.auditEntries(limit: 1_000).filter { $0.seq > seq }.map { "\($0.event.user) \($0.event.action) \($0.event.detail ?? "")" }
        }

        var lastSeq: Int64 { (try? replica.auditEntries(limit: 1_000).last?.seq) ?? 0 }
    }

    /// A refusal: its code and sentence.
    struct Refusal: Equatable, CustomStringConvertible {
        let code: ReplicaError.Code
        let sentence: String
        init(_ code: ReplicaError.Code, _ sentence: String) {
            self.code = code
            self.sentence = sentence
        }
        var description: String { "\(code.rawValue): \(sentence)" }
    }

    /// The refusal `body` throws; nil when it succeeds or throws something else.
    static func refusal(_ body: () throws -> Void) -> Refusal? {
        do {
            try body()
            return nil
        } catch let error as ReplicaError {
            return Refusal(error.code, error.reason)
        } catch {
            return nil
        }
    }

    @Test func passwordsAreScryptWithTheirParametersAndOutOfRangeOnesAreNotRead() throws {
        let hash = try PasswordHash(hashing: Self.password)
        #expect(hash.text.hasPrefix("scrypt$32768$8$1$"))
        #expect(PasswordHash(text: hash.text) == hash)
        #expect(hash.matches(Self.password))
        #expect(!hash.matches(Self.password + " "))
        #expect(try PasswordHash(hashing: Self.password) != hash, "each hash has its own salt")
        // A planted row asking for 2^30 rounds or 64 MiB blocks is not read, so not run.
        let parts = hash.text.split(separator: "$").map(String.init)
        for planted in [
            ["scrypt", "1073741824", "8", "1", parts[4], parts[5]], ["scrypt", "32768", "4096", "1", parts[4], parts[5]],
            ["scrypt", "1000", "8", "1", parts[4], parts[5]], ["pbkdf2", "32768", "8", "1", parts[4], parts[5]],
            ["scrypt", "131072", "8", "1", parts[4], parts[5]], ["scrypt", "65536", "16", "1", parts[4], parts[5]],
        ] {
            #expect(PasswordHash(text: planted.joined(separator: "$")) == nil, "\(planted[0]) \(planted[1]) \(planted[2])")
        }
        #expect(Self.refusal { try PasswordHash.checkAcceptable("short") }?.sentence == "a password must be at least 12 characters long")
    }

    @Test func aWrongNameAndAWrongPasswordGetTheSameSentenceAndFiveLockTheAccount() throws {
        let node = try Node()
        let start = node.lastSeq
        #expect(
            Self.refusal { _ = try node.replica.signIn(name: "nobody", password: Self.password) } == Refusal(.unauthenticated, "the name or password is wrong"))
        for _ in 1...4 {
            #expect(
                Self.refusal { _ = try node.replica.signIn(name: "bob", password: "wrong password!") }
                    == Refusal(.unauthenticated, "the name or password is wrong"))
        }
        let locked = Self.refusal { _ = try node.replica.signIn(name: "bob", password: "wrong password!") }
        let until = node.clock.now + 15 * Self.minute
        #expect(locked?.sentence == "bob is locked until \(Timestamps.iso8601(milliseconds: until)) after 5 wrong passwords")
        // The right password does not help while locked.
        #expect(Self.refusal { _ = try node.replica.signIn(name: "bob", password: Self.password) }?.sentence == locked?.sentence)
        #expect(
            try node.audited(after: start) == [
                "bob sign_in_refused wrong password (1 of 5)", "bob sign_in_refused wrong password (2 of 5)", "bob sign_in_refused wrong password (3 of 5)",
                "bob sign_in_refused wrong password (4 of 5)", "bob sign_in_refused wrong password; locked",
            ], "neither the unknown name nor an attempt while locked is audited: no one may fill the log from outside")
        node.clock.advance(by: 15 * Self.minute)
        let signedIn = try node.replica.signIn(name: "bob", password: Self.password)
        #expect(try node.replica.user(forCredential: signedIn.token).name == "bob")
    }

    @Test func aSessionEndsWhenUnusedAndAtItsLimitAndLiveUpdatesDoNotKeepItOpen() throws {
        let node = try Node()
        let session = try node.replica.signIn(name: "bob", password: Self.password).token
        // Used every 29 minutes, it lasts until its 12-hour limit.
        for _ in 0..<24 {
            node.clock.advance(by: 29 * Self.minute)
            #expect(try node.replica.user(forCredential: session).name == "bob")
        }
        node.clock.advance(by: 29 * Self.minute)
        #expect(
            Self.refusal { _ = try node.replica.user(forCredential: session) }
                == Refusal(.unauthenticated, "the session reached its 12-hour limit; sign in again"))
        #expect(
            Self.refusal { _ = try node.replica.user(forCredential: session) }?.sentence == "the session ended or is not one of this node's; sign in again")

        // A call no person made does not restart the idle time.
        let idle = try node.replica.signIn(name: "bob", password: Self.password).token
        node.clock.advance(by: 20 * Self.minute)
        #expect(try node.replica.user(forCredential: idle, inUse: false).name == "bob")
        node.clock.advance(by: 10 * Self.minute)
        let start = node.lastSeq
        #expect(
            Self.refusal { _ = try node.replica.user(forCredential: idle, inUse: false) }
                == Refusal(
                    .unauthenticated, "the session ended after 30 minutes unused; sign in again"
                ))
        #expect(try node.audited(after: start) == ["bob session_end the session ended after 30 minutes unused; sign in again"])
    }

    /// An admin shortens the limits: a session in use every 45 s lasts, one left a minute ends
    /// with a sentence saying so; staff and out-of-range limits are refused, and nothing changes.
    @Test func anAdminSetsTheSessionLimitsAndASessionInUseNeverEndsAsUnused() throws {
        let node = try Node()
        #expect(
            Self.refusal { try node.replica.setSessionLimits(idleMinutes: 1, sessionHours: 1, by: AuditActor(user: "bob")) }?.code == .notAllowed)
        #expect(
            Self.refusal { try node.replica.setSessionLimits(idleMinutes: 0, sessionHours: 12, by: node.ana) }
                == Refusal(.invalid, "the idle limit must be from 1 to 1440 minutes, not 0"))
        #expect(
            Self.refusal { try node.replica.setSessionLimits(idleMinutes: 30, sessionHours: 73, by: node.ana) }
                == Refusal(.invalid, "the session limit must be from 1 to 72 hours, not 73"))
        #expect(
            Self.refusal { try node.replica.setSessionLimits(idleMinutes: 120, sessionHours: 1, by: node.ana) }
                == Refusal(.invalid, "the idle limit (120 minutes) cannot be longer than the session limit (1 hour)"))
        #expect(try node.replica.signInPolicy() == SignInPolicy())

        let start = node.lastSeq
        try node.replica.setSessionLimits(idleMinutes: 1, sessionHours: 1, by: node.ana)
        #expect(try node.audited(after: start) == ["ana session_limits unused 1 minute, at most 1 hour"])
        let session = try node.replica.signIn(name: "bob", password: Self.password).token
        for _ in 0..<70 {
            node.clock.advance(by: 45_000)
            #expect(try node.replica.user(forCredential: session).name == "bob", "a session used every 45 s")
        }
        node.clock.advance(by: 60_000)
        #expect(
            Self.refusal { _ = try node.replica.user(forCredential: session) }
                == Refusal(.unauthenticated, "the session ended after 1 minute unused; sign in again"))
    }

    @Test func aDisabledUserIsRefusedEverywhereUntilEnabledAndTheLastAdminStays() throws {
        let node = try Node()
        let session = try node.replica.signIn(name: "bob", password: Self.password).token
        let token = try node.replica.issueToken(for: "bob", named: "script", by: AuditActor(user: "bob"))
        #expect(Self.refusal { try node.replica.disableUser("ana", by: AuditActor(user: "bob")) }?.code == .notAllowed)
        try node.replica.disableUser("bob", by: node.ana)
        #expect(Self.refusal { _ = try node.replica.user(forCredential: session) }?.code == .unauthenticated, "the session ended")
        #expect(Self.refusal { _ = try node.replica.user(forCredential: token) } == Refusal(.unauthenticated, "bob is disabled at this node"))
        #expect(
            Self.refusal { _ = try node.replica.signIn(name: "bob", password: Self.password) }
                == Refusal(
                    .unauthenticated, "bob is disabled at this node; an admin enables them again"
                ))
        #expect(Self.refusal { _ = try node.replica.actingUser(named: "bob", requiring: .staff) }?.code == .notAllowed)
        #expect(
            Self.refusal { try node.replica.disableUser("ana", by: node.ana) }
                == Refusal(.notAllowed, "ana is the node's last enabled admin, and stays enabled"))
        try node.replica.enableUser("bob", by: node.ana)
        #expect(try node.replica.user(forCredential: token).name == "bob")
        _ = try node.replica.signIn(name: "bob", password: Self.password)
        #expect(try node.replica.users().first { $0.name == "bob" }?.disabledAt == nil)
    }

    @Test func tokensExpireAndAreRevokedOneByOneAndTheirRefusalIsAuditedOncePerHour() throws {
        let node = try Node()
        let bob = AuditActor(user: "bob")
        let short = try node.replica.issueToken(for: "bob", named: "short", days: 1, by: bob)
        let long = try node.replica.issueToken(for: "bob", named: "long", days: 365, by: bob)
        #expect(
            Self.refusal { _ = try node.replica.issueToken(for: "bob", named: "never", days: 366, by: bob) }?.sentence == "a token lasts 1 to 365 days, not 366"
        )
        #expect(Self.refusal { _ = try node.replica.issueToken(for: "ana", named: "hers", by: bob) }?.code == .notAllowed)
        node.clock.advance(by: 86_400_000)
        #expect(Self.refusal { _ = try node.replica.user(forCredential: short) }?.sentence.hasPrefix("token short of bob expired at ") == true)
        #expect(try node.replica.user(forCredential: long).name == "bob", "the other token works")
        try node.replica.revokeToken(named: "long", of: "bob", by: node.ana)
        let start = node.lastSeq
        for _ in 0..<3 {
            #expect(Self.refusal { _ = try node.replica.user(forCredential: long) }?.sentence.hasPrefix("token long of bob was revoked at ") == true)
        }
        #expect(try node.audited(after: start).count == 1, "three refusals within the hour, audited once")
        node.clock.advance(by: 3_600_000)
        _ = Self.refusal { _ = try node.replica.user(forCredential: long) }
        #expect(try node.audited(after: start).count == 2)
        #expect(try node.replica.apiTokens(of: "bob", by: bob).map(\.name) == ["long", "short"])
        #expect(Self.refusal { _ = try node.replica.user(forCredential: "pccc_forged") } == Refusal(.unauthenticated, "the token is not one of this node's"))
    }

    @Test func passwordsAreSetByAnAdminOrChangedWithTheCurrentOne() throws {
        let node = try Node()
        let bob = AuditActor(user: "bob")
        let session = try node.replica.signIn(name: "bob", password: Self.password).token
        #expect(Self.refusal { try node.replica.setPassword("another good one", for: "ana", by: bob) }?.code == .notAllowed)
        #expect(
            Self.refusal { try node.replica.setPassword("another good one", for: "bob", current: "not the one", by: bob) }
                == Refusal(
                    .unauthenticated, "the current password is wrong"
                ))
        try node.replica.setPassword("another good one", for: "bob", current: Self.password, by: bob)
        #expect(Self.refusal { _ = try node.replica.user(forCredential: session) }?.code == .unauthenticated, "any change ends the sessions")
        #expect(Self.refusal { _ = try node.replica.signIn(name: "bob", password: Self.password) } != nil)
        let again = try node.replica.signIn(name: "bob", password: "another good one").token
        try node.replica.setPassword("a third good one", for: "bob", by: node.ana)
        #expect(Self.refusal { _ = try node.replica.user(forCredential: again) }?.code == .unauthenticated)
        // Wrong current passwords count towards the lockout: a stolen session cannot guess.
        let third = try node.replica.signIn(name: "bob", password: "a third good one").token
        _ = third
        for _ in 1...5 { _ = Self.refusal { try node.replica.setPassword("a fourth good one", for: "bob", current: "a guess, wrong", by: bob) } }
        #expect(Self.refusal { _ = try node.replica.signIn(name: "bob", password: "a third good one") }?.sentence.hasPrefix("bob is locked until") == true)
    }

    @Test func attemptsSentAtOnceAreCountedBeforeTheyAreCheckedSoNoMoreThanFiveAreTried() throws {
        let node = try Node()
        let replica = node.replica
        // Twelve wrong attempts at once, as many as the machine runs in parallel: each is counted
        // before scrypt runs, so only five are checked and the rest find the account locked.
        DispatchQueue.concurrentPerform(iterations: 12) { _ in _ = try? replica.signIn(name: "bob", password: "wrong, all at once") }
        let checked = try replica.auditEntries(limit: 1_000).filter { $0.event.action == "sign_in_refused" }
        #expect(checked.count == 5, "\(checked.map { $0.event.detail ?? "" })")
        #expect(Self.refusal { _ = try replica.signIn(name: "bob", password: Self.password) }?.sentence.hasPrefix("bob is locked until") == true)
    }
}
