import Crypto

/// What a local user did, as the caller describes it; the replica adds the sequence number,
/// the time and the hash chain when it stores it as an `AuditEntry`.
public struct AuditEvent: Equatable, Sendable {
    /// The local user who acted.
    public let user: String
    /// What they did: `consult`, `search`, `list`, `export`, `create`, `change`, `erase`,
    /// `user_add` or `audit_list`.
    public let action: String
    /// The records concerned, if any.
    public let recordIDs: [String]
    /// Why, when the user said.
    public let purpose: String?
    /// The rest, in words: the query, the filters, the fields written (never their values).
    public let detail: String?

    /// Creates an event.
    public init(user: String, action: String, recordIDs: [String] = [], purpose: String? = nil, detail: String? = nil) {
        self.user = user
        self.action = action
        self.recordIDs = recordIDs
        self.purpose = purpose
        self.detail = detail
    }
}

/// Who acts on the replica and why: stamped on the audit entries of the writes they make.
public struct AuditActor: Equatable, Sendable {
    /// The local user's name.
    public let user: String
    /// The purpose they gave, if any.
    public let purpose: String?

    /// Creates an actor.
    public init(user: String, purpose: String? = nil) {
        self.user = user
        self.purpose = purpose
    }
}

/// One stored entry of the node's audit log. Each entry's hash covers its contents and the
/// previous entry's hash, so an edited, inserted, reordered or removed entry breaks the chain.
public struct AuditEntry: Equatable, Sendable {
    /// Position in the log, from 1 with no gaps.
    public let seq: Int64
    /// When it was written (Unix milliseconds).
    public let at: UInt64
    /// What was done.
    public let event: AuditEvent
    /// The hash of the entry before (32 zero bytes for the first).
    public let previousHash: [UInt8]
    /// SHA-256 over `hashInput`.
    public let hash: [UInt8]

    /// The hash the first entry chains to.
    public static let genesisHash = [UInt8](repeating: 0, count: 32)

    /// Makes the entry that follows `previousHash` at `seq`, sealed with `key` when given.
    init(seq: Int64, at: UInt64, event: AuditEvent, previousHash: [UInt8], key: SymmetricKey?) {
        self.seq = seq
        self.at = at
        self.event = event
        self.previousHash = previousHash
        self.hash = Self.hash(seq: seq, at: at, event: event, previousHash: previousHash, key: key)
    }

    /// An entry as read back from storage, with the hash it was stored with.
    init(seq: Int64, at: UInt64, event: AuditEvent, previousHash: [UInt8], storedHash: [UInt8]) {
        self.seq = seq
        self.at = at
        self.event = event
        self.previousHash = previousHash
        self.hash = storedHash
    }

    /// Whether the stored hash is the seal of the stored contents: under `key`, or plain
    /// SHA-256 when nil.
    func isSealed(under key: SymmetricKey?) -> Bool {
        hash == Self.hash(seq: seq, at: at, event: event, previousHash: previousHash, key: key)
    }

    /// SHA-256 of `pccc-audit-v1`, the previous hash, seq and time as big-endian u64, then
    /// user, action, record ids (joined by `,`), purpose and detail, each as a big-endian u32
    /// length and UTF-8 bytes; an absent purpose or detail is the length 0xFFFFFFFF alone.
    /// With `key`: HMAC-SHA-256 under it of the same input, beginning `pccc-audit-v2`.
    static func hash(seq: Int64, at: UInt64, event: AuditEvent, previousHash: [UInt8], key: SymmetricKey?) -> [UInt8] {
        var input = Array((key == nil ? "pccc-audit-v1" : "pccc-audit-v2").utf8)
        input += previousHash
        for number in [UInt64(bitPattern: seq), at] {
            input += withUnsafeBytes(of: number.bigEndian, Array.init)
        }
        let texts: [String?] = [event.user, event.action, event.recordIDs.joined(separator: ","), event.purpose, event.detail]
        for text in texts {
            guard let text else {
                input += [0xFF, 0xFF, 0xFF, 0xFF]
                continue
            }
            input += withUnsafeBytes(of: UInt32(text.utf8.count).bigEndian, Array.init)
            input += Array(text.utf8)
        }
        guard let key else { return Array(SHA256.hash(data: input)) }
        return Array(HMAC<SHA256>.authenticationCode(for: input, using: key))
    }
}

/// The result of checking the audit chain: intact, or the first entry that is not as written.
public enum AuditVerification: Equatable, Sendable {
    /// Every entry is sealed and chained, and the head matches the last entry.
    case intact(entries: Int)
    /// The first bad entry and what is wrong with it, in one sentence.
    case broken(seq: Int64, reason: String)
}
