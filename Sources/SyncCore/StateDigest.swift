import Crypto

/// SHA-256 over a canonical encoding of visible state. Callers feed records and tombstones in
/// sorted order; two replicas holding the same state produce the same digest.
public struct StateDigest {
    private var hasher = SHA256()

    /// Starts an empty digest.
    public init() {}

    /// Adds one record: kind, id, then its fields in ascending name order.
    public mutating func addRecord(kind: String, id: String, fields: [(name: String, value: String?)]) {
        var writer = ByteWriter(capacity: 256)
        writer.write(UInt8(ascii: "R"))
        writer.writeShortString(kind)
        writer.writeShortString(id)
        writer.write(UInt32(fields.count))
        for field in fields {
            writer.writeShortString(field.name)
            writer.writeOptionalLongString(field.value)
        }
        hasher.update(data: writer.bytes)
    }

    /// Adds one tombstone.
    public mutating func addTombstone(kind: String, id: String, stamp: WriteStamp, reason: String) {
        var writer = ByteWriter(capacity: 96)
        writer.write(UInt8(ascii: "T"))
        writer.writeShortString(kind)
        writer.writeShortString(id)
        writer.write(stamp.hlc.rawValue)
        writer.writeShortString(stamp.origin.rawValue)
        writer.writeShortString(reason)
        hasher.update(data: writer.bytes)
    }

    /// The digest in lowercase hex.
    public func finalize() -> String {
        Hex.encode(hasher.finalize())
    }
}
