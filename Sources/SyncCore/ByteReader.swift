/// Reads what `ByteWriter` wrote, checking every length against the bytes that remain before
/// copying anything, so a hostile length cannot cause a large allocation.
public struct ByteReader: Sendable {
    private let bytes: [UInt8]
    /// The offset of the next unread byte.
    public private(set) var offset: Int

    /// Reads `bytes` from the start.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.offset = 0
    }

    /// How many bytes are left.
    public var remaining: Int { bytes.count - offset }

    /// True when every byte has been read.
    public var isAtEnd: Bool { offset == bytes.count }

    /// Reads one byte.
    public mutating func readUInt8(_ what: String) throws(WireFormatError) -> UInt8 {
        try need(1, what)
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Reads a big-endian u16.
    public mutating func readUInt16(_ what: String) throws(WireFormatError) -> UInt16 {
        UInt16(try readBigEndian(width: 2, what))
    }

    /// Reads a big-endian u32.
    public mutating func readUInt32(_ what: String) throws(WireFormatError) -> UInt32 {
        UInt32(try readBigEndian(width: 4, what))
    }

    /// Reads a big-endian u64.
    public mutating func readUInt64(_ what: String) throws(WireFormatError) -> UInt64 {
        try readBigEndian(width: 8, what)
    }

    /// Reads exactly `count` bytes.
    public mutating func readBytes(_ count: Int, _ what: String) throws(WireFormatError) -> [UInt8] {
        try need(count, what)
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// Reads everything that is left.
    public mutating func readRest() -> [UInt8] {
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }

    /// Reads a `u8 length | UTF-8` string.
    public mutating func readShortString(_ what: String) throws(WireFormatError) -> String {
        let length = Int(try readUInt8(what))
        return try readUTF8(length, what)
    }

    /// Reads a `u32 length | UTF-8` string no longer than `limit` bytes.
    public mutating func readLongString(_ what: String, limit: Int) throws(WireFormatError) -> String {
        let length = Int(try readUInt32(what))
        guard length <= limit else {
            throw WireFormatError("\(what) is \(length) bytes, over the limit of \(limit)")
        }
        return try readUTF8(length, what)
    }

    private mutating func readUTF8(_ length: Int, _ what: String) throws(WireFormatError) -> String {
        let raw = try readBytes(length, what)
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw WireFormatError("\(what) is not valid UTF-8")
        }
        return text
    }

    private mutating func need(_ count: Int, _ what: String) throws(WireFormatError) {
        guard count >= 0, count <= remaining else {
            throw WireFormatError("\(what) is truncated: \(count) bytes needed, \(remaining) left")
        }
    }

    private mutating func readBigEndian(width: Int, _ what: String) throws(WireFormatError) -> UInt64 {
        try need(width, what)
        var value: UInt64 = 0
        for index in offset..<offset + width {
            value = value << 8 | UInt64(bytes[index])
        }
        offset += width
        return value
    }
}

/// Bytes that do not follow the documented encoding; `reason` says which part and why.
public struct WireFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One sentence naming the malformed part.
    public let reason: String

    /// Creates the error.
    public init(_ reason: String) {
        self.reason = reason
    }

    /// A one-line human-readable form.
    public var description: String { reason }
}
