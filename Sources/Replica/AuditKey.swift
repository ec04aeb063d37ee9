import Crypto
import Foundation

/// The key that seals the audit log from entry `since` on, kept outside the database
/// (`DATA/audit.key`): whoever can write the replica file, but not read this one, cannot
/// rewrite the log, cut it and fix its head without `pccc audit verify` seeing it.
///
/// Entries before `since` (written before the node had a key) keep their plain SHA-256 seal;
/// from `since` on each is sealed with HMAC-SHA-256 under the key (``AuditEntry``). The file
/// is text: `pccc-audit-key 1`, `since N` and `key BASE64URL` (32 bytes), one to a line.
public struct AuditKey: Sendable, Equatable {
    /// The first entry sealed with the key.
    public let since: Int64
    /// The 32 key bytes.
    let bytes: [UInt8]

    /// A new random key sealing from entry `since` on.
    public init(since: Int64) {
        var generator = SystemRandomNumberGenerator()
        self.init(since: since, bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    private init(since: Int64, bytes: [UInt8]) {
        self.since = since
        self.bytes = bytes
    }

    /// The file's text.
    public var text: String { "pccc-audit-key 1\nsince \(since)\nkey \(Base64URL.encode(bytes))\n" }

    /// Reads the file's text; refused in one sentence naming `file`.
    public init(text: String, file: String) throws {
        let lines = text.split(separator: "\n").map(String.init)
        guard lines.count == 3, lines[0] == "pccc-audit-key 1", lines[1].hasPrefix("since "), let since = Int64(lines[1].dropFirst(6)),
            since >= 1, lines[2].hasPrefix("key "), let bytes = Base64URL.decode(String(lines[2].dropFirst(4))), bytes.count == 32
        else {
            throw ReplicaError(.invalid, "\(file) is not an audit key file (pccc-audit-key 1, since N, key of 32 bytes)")
        }
        self.init(since: since, bytes: bytes)
    }

    /// The key that seals entry `seq`, or nil for an entry before `since`.
    func sealing(_ seq: Int64) -> SymmetricKey? {
        seq >= since ? SymmetricKey(data: bytes) : nil
    }

    /// The head's seal once the log reaches `since`: HMAC-SHA-256 of `pccc-audit-head`, the
    /// head's seq as a big-endian u64 and its hash. Without it, cutting the log back to a sealed
    /// entry and pointing the head at that entry would verify.
    func headSeal(seq: Int64, hash: [UInt8]) -> [UInt8]? {
        guard let key = sealing(seq) else { return nil }
        let input = Array("pccc-audit-head".utf8) + withUnsafeBytes(of: UInt64(bitPattern: seq).bigEndian, Array.init) + hash
        return Array(HMAC<SHA256>.authenticationCode(for: input, using: key))
    }
}
