/// Appends big-endian integers and length-prefixed strings to a byte buffer.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    /// Starts an empty buffer.
    public init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// Appends one byte.
    public mutating func write(_ value: UInt8) { bytes.append(value) }

    /// Appends a big-endian u16.
    public mutating func write(_ value: UInt16) { writeBigEndian(UInt64(value), width: 2) }

    /// Appends a big-endian u32.
    public mutating func write(_ value: UInt32) { writeBigEndian(UInt64(value), width: 4) }

    /// Appends a big-endian u64.
    public mutating func write(_ value: UInt64) { writeBigEndian(value, width: 8) }

    /// Appends raw bytes with no length prefix.
    public mutating func write(raw: some Sequence<UInt8>) { bytes.append(contentsOf: raw) }

    /// Appends a string as `u8 length | UTF-8`; the caller guarantees it is at most 255 bytes.
    public mutating func writeShortString(_ value: String) {
        let utf8 = Array(value.utf8)
        precondition(utf8.count <= 255, "short string over 255 bytes")
        write(UInt8(utf8.count))
        write(raw: utf8)
    }

    /// Appends a string as `u32 length | UTF-8`.
    public mutating func writeLongString(_ value: String) {
        let utf8 = Array(value.utf8)
        write(UInt32(utf8.count))
        write(raw: utf8)
    }

    /// Appends `0x00` for nil, else `0x01 | u32 length | UTF-8`.
    public mutating func writeOptionalLongString(_ value: String?) {
        if let value {
            write(UInt8(1))
            writeLongString(value)
        } else {
            write(UInt8(0))
        }
    }

    private mutating func writeBigEndian(_ value: UInt64, width: Int) {
        for shift in stride(from: (width - 1) * 8, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }
}
