/// A record id: a UUIDv7 made at the record's origin, so ids sort roughly by creation time and
/// need no coordination between centres.
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

    /// Makes a fresh UUIDv7: 48 bits of Unix milliseconds, version 7, 74 random bits.
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

    /// Makes a fresh UUIDv7 from the system's random source.
    public static func make(milliseconds: UInt64) -> RecordID {
        var generator = SystemRandomNumberGenerator()
        return make(milliseconds: milliseconds, using: &generator)
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
