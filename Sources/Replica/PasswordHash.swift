import Crypto
import Foundation
import _CryptoExtras

/// A user's password as the node keeps it: scrypt (RFC 7914) of the password under a random
/// salt, with the parameters it was made with, so a later release can raise them and still
/// check the passwords set before.
///
/// The text form is `scrypt$N$r$p$SALT$HASH`, salt and hash in unpadded base64url.
public struct PasswordHash: Equatable, Sendable {
    /// The CPU and memory cost: scrypt's N, a power of two.
    public let rounds: Int
    /// scrypt's r: N × r × 128 bytes of memory per check.
    public let blockSize: Int
    /// scrypt's p.
    public let parallelism: Int
    /// 16 random bytes.
    public let salt: [UInt8]
    /// 32 bytes derived from the password.
    public let hash: [UInt8]

    /// The parameters new passwords are hashed with: N = 2^15, r = 8, p = 1, 32 MiB and about
    /// 60 ms per check on one core (`pccc-bench sign-in`; docs/OPERATIONS.md, "Signing in").
    public static let current = (rounds: 1 << 15, blockSize: 8, parallelism: 1)
    /// Passwords shorter than this are refused.
    public static let minimumLength = 12
    /// Nor may one be longer than this: the hash's cost must not depend on what a caller sends.
    public static let maximumLength = 1_024

    /// Hashes `password` under a new salt with the current parameters.
    public init(hashing password: String) throws {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let (rounds, blockSize, parallelism) = Self.current
        let hash = try Self.derive(password, salt: salt, rounds: rounds, blockSize: blockSize, parallelism: parallelism)
        self.init(rounds: rounds, blockSize: blockSize, parallelism: parallelism, salt: salt, hash: hash)
    }

    private init(rounds: Int, blockSize: Int, parallelism: Int, salt: [UInt8], hash: [UInt8]) {
        self.rounds = rounds
        self.blockSize = blockSize
        self.parallelism = parallelism
        self.salt = salt
        self.hash = hash
    }

    /// The most memory one check may take: 128 MiB, twice the current parameters' 32 MiB times
    /// their parallelism, so a later release can raise them one step.
    static let maximumMemory = 128 << 20

    /// Reads the text form; nil for anything else, or parameters out of the range a node
    /// makes (N from 2^14 to 2^16, r 1 to 8, p 1 or 2; ``maximumMemory`` at most), so a
    /// planted row cannot make a check take more memory or time than a real one.
    public init?(text: String) {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "scrypt", let rounds = Int(parts[1]), let blockSize = Int(parts[2]),
            let parallelism = Int(parts[3]), rounds >= 1 << 14, rounds <= 1 << 16, rounds & (rounds - 1) == 0,
            (1...8).contains(blockSize), (1...2).contains(parallelism), 128 * rounds * blockSize * parallelism <= Self.maximumMemory,
            let salt = Base64URL.decode(String(parts[4])), salt.count == 16,
            let hash = Base64URL.decode(String(parts[5])), hash.count == 32
        else { return nil }
        self.init(rounds: rounds, blockSize: blockSize, parallelism: parallelism, salt: salt, hash: hash)
    }

    /// The text form stored in `local_user.password`.
    public var text: String {
        "scrypt$\(rounds)$\(blockSize)$\(parallelism)$\(Base64URL.encode(salt))$\(Base64URL.encode(hash))"
    }

    /// Whether `password` is the one hashed, compared in constant time.
    public func matches(_ password: String) -> Bool {
        guard !password.isEmpty, password.utf8.count <= Self.maximumLength,
            let derived = try? Self.derive(password, salt: salt, rounds: rounds, blockSize: blockSize, parallelism: parallelism),
            derived.count == hash.count
        else { return false }
        return zip(derived, hash).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private static func derive(_ password: String, salt: [UInt8], rounds: Int, blockSize: Int, parallelism: Int) throws -> [UInt8] {
        // swift-crypto's scrypt traps on an empty input (it unwraps the bytes' address).
        guard !password.isEmpty else { throw ReplicaError(.invalid, "a password cannot be empty", field: "password") }
        let key = try KDF.Scrypt.deriveKey(
            from: Array(password.utf8), salt: salt, outputByteCount: 32, rounds: rounds, blockSize: blockSize, parallelism: parallelism,
            maxMemory: maximumMemory + 65_536)
        return key.withUnsafeBytes { Array($0) }
    }

    /// Refuses a password a user may not choose, in one sentence.
    public static func checkAcceptable(_ password: String) throws {
        guard password.count >= minimumLength else {
            throw ReplicaError(.invalid, "a password must be at least \(minimumLength) characters long", field: "password")
        }
        guard password.utf8.count <= maximumLength else {
            throw ReplicaError(.invalid, "a password must be at most \(maximumLength) bytes long", field: "password")
        }
    }
}

/// Unpadded base64url (RFC 4648 §5), the form of tokens, salts and hashes in text.
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) -> [UInt8]? {
        guard text.utf8.allSatisfy({ $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "=") }) else { return nil }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.count % 4) % 4)
        return Data(base64Encoded: standard).map(Array.init)
    }

    /// `count` random bytes from the system's generator, encoded.
    static func random(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return encode((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}
