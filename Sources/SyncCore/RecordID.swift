import Crypto

/// A record id: 16 bytes made at the record's origin, led by 48 bits of Unix milliseconds, so ids
/// sort roughly by creation time and need no coordination between centres.
///
/// Ids made by this release are *bound* (UUID version 8): their last four bytes are a tag
/// computed from the first twelve and the origin, sharing group and kind the id was made for
/// (docs/PROTOCOL.md §6.1). Any node can check the binding from the id and a batch header alone,
/// so a create, append or erasure of a bound id counts only from the stream it was made for,
/// whatever order batches arrive in. Ids of earlier releases are UUIDv7 and unbound.
public struct RecordID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The 16 bytes of the UUID, big endian.
    public let bytes: [UInt8]

    /// Wraps 16 bytes; returns nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses the canonical text form (`0190f7c2-…`, case-insensitive); nil when malformed.
    public init?(_ text: String) {
        var result: [UInt8] = []
        result.reserveCapacity(16)
        var pending: UInt8?
        for (offset, char) in text.utf8.enumerated() {
            if [8, 13, 18, 23].contains(offset) {
                guard char == UInt8(ascii: "-") else { return nil }
                continue
            }
            guard let nibble = Self.nibble(char) else { return nil }
            if let high = pending {
                result.append(high << 4 | nibble)
                pending = nil
            } else {
                pending = nibble
            }
        }
        guard text.utf8.count == 36, pending == nil, result.count == 16 else { return nil }
        self.bytes = result
    }

    /// Makes a fresh unbound UUIDv7 (48 bits of Unix milliseconds, version 7, 74 random bits),
    /// as releases before bound ids did; kept for tests and fixtures of that format.
    public static func make(
        milliseconds: UInt64,
        using generator: inout some RandomNumberGenerator
    ) -> RecordID {
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 {
            bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index)))
        }
        let random = generator.next() as UInt64
        let random2 = generator.next() as UInt64
        for index in 6..<16 {
            let source = index < 14 ? random : random2
            bytes[index] = UInt8(truncatingIfNeeded: source >> (8 * (index % 8)))
        }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        return RecordID(bytes: bytes)!
    }

    /// Makes a fresh unbound UUIDv7 from the system's random source.
    public static func make(milliseconds: UInt64) -> RecordID {
        var generator = SystemRandomNumberGenerator()
        return make(milliseconds: milliseconds, using: &generator)
    }

    /// Makes a fresh id bound to the record's origin, group and kind: 48 bits of Unix
    /// milliseconds, version 8, 42 random bits, the RFC 9562 variant, and a 32-bit tag.
    public static func make(
        milliseconds: UInt64,
        boundTo binding: RecordBinding,
        using generator: inout some RandomNumberGenerator
    ) -> RecordID {
        var bytes = make(milliseconds: milliseconds, using: &generator).bytes
        bytes[6] = 0x80 | (bytes[6] & 0x0F)
        bytes.replaceSubrange(12..<16, with: binding.tag(prefix: bytes[0..<12]))
        return RecordID(bytes: bytes)!
    }

    /// Makes a fresh bound id from the system's random source.
    public static func make(milliseconds: UInt64, boundTo binding: RecordBinding) -> RecordID {
        var generator = SystemRandomNumberGenerator()
        return make(milliseconds: milliseconds, boundTo: binding, using: &generator)
    }

    /// Whether the id carries a binding (version 8 with the RFC 9562 variant).
    public var isBound: Bool {
        bytes[6] >> 4 == 8 && bytes[8] >> 6 == 2
    }

    /// Whether the id is bound to exactly `binding`. Always false for an unbound id.
    public func isBound(to binding: RecordBinding) -> Bool {
        isBound && bytes[12..<16].elementsEqual(binding.tag(prefix: bytes[0..<12]))
    }

    /// The canonical lowercase text form.
    public var description: String {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if [4, 6, 8, 10].contains(index) { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Orders bytewise, which for UUIDv7 is roughly by creation time.
    public static func < (lhs: RecordID, rhs: RecordID) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    private static func nibble(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return char - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return char - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// What a bound ``RecordID`` is made for: the centre that creates the record, its sharing group
/// and its kind. Only a batch of that origin and group may create, append or erase it.
public struct RecordBinding: Hashable, Sendable {
    /// The origin node id.
    public let origin: NodeID
    /// The sharing group.
    public let group: GroupID
    /// The record kind, such as `person`.
    public let kind: String

    /// Creates a binding.
    public init(origin: NodeID, group: GroupID, kind: String) {
        self.origin = origin
        self.group = group
        self.kind = kind
    }

    /// The first four bytes of SHA-256("pccc-record-id-v1" | origin | group | kind | prefix),
    /// each string with its one-byte length before it.
    func tag(prefix: ArraySlice<UInt8>) -> [UInt8] {
        var writer = ByteWriter(capacity: 96)
        writer.write(raw: Array("pccc-record-id-v1".utf8))
        writer.writeShortString(origin.rawValue)
        writer.writeShortString(group.rawValue)
        writer.writeShortString(kind)
        writer.write(raw: Array(prefix))
        return Array(SHA256.hash(data: writer.bytes).prefix(4))
    }
}
