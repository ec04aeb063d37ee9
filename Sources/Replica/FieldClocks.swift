import Foundation
import GRDB
import SyncCore

/// The stamp of every written field of one record: what the merge rules compare an incoming
/// write against, and what a record's provenance shows. Kept in the record's own row, in its
/// `field_clocks` column, as one value; one row per field cost half the bytes a write put on
/// disk (BENCHMARKS.md, *What bounds the ratios*).
///
/// Encoding, format 1, byte by byte:
///
/// | bytes | what |
/// |---|---|
/// | 1 | format, `0x01` |
///
/// then, for each distinct stamp in ascending stamp order (HLC, then origin bytewise):
///
/// | bytes | what |
/// |---|---|
/// | 8 | HLC, big-endian |
/// | 1 + n | origin: length, then UTF-8 (1–64 bytes, a node id) |
/// | 1 | how many fields carry this stamp, 1–255 |
/// | (1 + n) each | field names: length, then UTF-8, in ascending bytewise order |
///
/// Fields written together share one stamp, so every field of a create costs its name only.
/// The encoding of a set of stamps is unique, so equal clocks are equal bytes.
struct FieldClocks: Equatable {
    /// The stamp of each written field, by field name.
    private(set) var stamps: [String: WriteStamp]

    /// The format byte this code writes and reads.
    static let format: UInt8 = 1

    /// Clocks with the given stamps.
    init(_ stamps: [String: WriteStamp] = [:]) {
        self.stamps = stamps
    }

    /// Sets the stamp of each of `fields` to `stamp`.
    mutating func stamp(_ fields: some Sequence<String>, with stamp: WriteStamp) {
        for field in fields { stamps[field] = stamp }
    }

    /// The greatest stamp held, nil when no field was ever written.
    var latest: WriteStamp? { stamps.values.max() }

    /// The format-1 encoding.
    var encoded: [UInt8] {
        var byStamp: [WriteStamp: [String]] = [:]
        for (field, stamp) in stamps { byStamp[stamp, default: []].append(field) }
        var writer = ByteWriter(capacity: 1 + stamps.count * 12 + byStamp.count * 24)
        writer.write(Self.format)
        for stamp in byStamp.keys.sorted() { Self.writeGroup(stamp, byStamp[stamp]!, into: &writer) }
        return writer.bytes
    }

    /// The encoding of `fields` all carrying `stamp`, as a create writes it, without building
    /// the dictionary first.
    static func encoded(_ fields: [String], stampedWith stamp: WriteStamp) -> [UInt8] {
        var writer = ByteWriter(capacity: 11 + stamp.origin.rawValue.utf8.count + fields.count * 12)
        writer.write(format)
        if !fields.isEmpty { writeGroup(stamp, fields, into: &writer) }
        return writer.bytes
    }

    /// One stamp's group: HLC, origin, then the count and names of its fields, sorted bytewise.
    private static func writeGroup(_ stamp: WriteStamp, _ fields: [String], into writer: inout ByteWriter) {
        writer.write(stamp.hlc.rawValue)
        writer.writeShortString(stamp.origin.rawValue)
        writer.write(UInt8(fields.count))
        for field in fields.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) { writer.writeShortString(field) }
    }

    /// Reads a format-1 encoding; anything else, including a field named twice, stamps out of
    /// order or bytes left over, is refused.
    init(decoding bytes: [UInt8]) throws(WireFormatError) {
        var reader = ByteReader(bytes)
        let format = try reader.readUInt8("the field clocks format")
        guard format == Self.format else { throw WireFormatError("the field clocks are in format \(format), not \(Self.format)") }
        var stamps: [String: WriteStamp] = [:]
        var previous: WriteStamp?
        while !reader.isAtEnd {
            let hlc = HybridTimestamp(rawValue: try reader.readUInt64("a field clock's HLC"))
            let origin = NodeID(try reader.readShortString("a field clock's origin"))
            let stamp = WriteStamp(hlc: hlc, origin: origin)
            guard !origin.rawValue.isEmpty, previous.map({ $0 < stamp }) ?? true else {
                throw WireFormatError("the field clocks' stamps are not in ascending order")
            }
            previous = stamp
            let count = try reader.readUInt8("a field clock's field count")
            guard count > 0 else { throw WireFormatError("a field clock stamps no field") }
            for _ in 0..<count {
                let field = try reader.readShortString("a field clock's field name")
                guard stamps.updateValue(stamp, forKey: field) == nil else {
                    throw WireFormatError("the field clocks stamp \(field) twice")
                }
            }
        }
        self.stamps = stamps
    }
}

extension FieldClocks {
    /// The clocks in a record row's `field_clocks` column; NULL is a record none of whose
    /// fields was ever written.
    init(storedIn row: Row) throws {
        guard let stored: Data = row["field_clocks"] else {
            self.init()
            return
        }
        do {
            try self.init(decoding: Array(stored))
        } catch {
            let id: String = row["id"] ?? "?"
            throw WireFormatError("the stored field clocks of record \(id) are unreadable: \(error.reason)")
        }
    }
}
