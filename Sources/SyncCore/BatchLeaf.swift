import Crypto

/// One entry of a batch payload: a change in full, or its redacted stand-in after the record
/// was erased. Both forms hash to the same Merkle leaf.
public enum BatchLeaf: Hashable, Sendable {
    /// The whole change.
    case full(Change)
    /// Only the kind, the record id and the SHA-256 of the change body.
    case redacted(kind: String, recordID: RecordID, bodyHash: [UInt8])

    /// The record kind the leaf belongs to.
    public var kind: String {
        switch self {
        case .full(let change): return change.kind
        case .redacted(let kind, _, _): return kind
        }
    }

    /// The record the leaf belongs to.
    public var recordID: RecordID {
        switch self {
        case .full(let change): return change.recordID
        case .redacted(_, let recordID, _): return recordID
        }
    }

    /// `SHA-256(0x00 | kind | record id | SHA-256(change body))`.
    public var merkleHash: [UInt8] {
        var writer = ByteWriter(capacity: 80)
        writer.write(UInt8(0))
        writer.writeShortString(kind)
        writer.write(raw: recordID.bytes)
        writer.write(raw: bodyHash)
        return Array(SHA256.hash(data: writer.bytes))
    }

    /// SHA-256 of the change body.
    public var bodyHash: [UInt8] {
        switch self {
        case .full(let change): return Array(SHA256.hash(data: change.encodedBody))
        case .redacted(_, _, let hash): return hash
        }
    }

    /// This leaf in redacted form.
    public var redacted: BatchLeaf {
        .redacted(kind: kind, recordID: recordID, bodyHash: bodyHash)
    }

    /// Appends the leaf encoding: `0x00 | kind | id | body length u32 | body` or
    /// `0x01 | kind | id | body hash`.
    public func encode(into writer: inout ByteWriter) {
        switch self {
        case .full(let change):
            let body = change.encodedBody
            writer.write(UInt8(0))
            writer.writeShortString(change.kind)
            writer.write(raw: change.recordID.bytes)
            writer.write(UInt32(body.count))
            writer.write(raw: body)
        case .redacted(let kind, let recordID, let bodyHash):
            writer.write(UInt8(1))
            writer.writeShortString(kind)
            writer.write(raw: recordID.bytes)
            writer.write(raw: bodyHash)
        }
    }

    /// Encodes a whole payload (before compression).
    public static func encodePayload(_ leaves: [BatchLeaf]) -> [UInt8] {
        var writer = ByteWriter(capacity: leaves.count * 128)
        for leaf in leaves { leaf.encode(into: &writer) }
        return writer.bytes
    }

    /// Decodes a whole inflated payload.
    public static func decodePayload(_ bytes: [UInt8]) throws(WireFormatError) -> [BatchLeaf] {
        var reader = ByteReader(bytes)
        var leaves: [BatchLeaf] = []
        while !reader.isAtEnd {
            let tag = try reader.readUInt8("leaf tag")
            let kind = try reader.readShortString("leaf kind")
            guard let recordID = RecordID(bytes: try reader.readBytes(16, "leaf record id")) else {
                throw WireFormatError("leaf record id is malformed")
            }
            switch tag {
            case 0:
                let length = Int(try reader.readUInt32("change body length"))
                let body = try reader.readBytes(length, "change body")
                leaves.append(.full(try Change.decode(kind: kind, recordID: recordID, body: body)))
            case 1:
                leaves.append(.redacted(kind: kind, recordID: recordID, bodyHash: try reader.readBytes(32, "redacted body hash")))
            default:
                throw WireFormatError("leaf tag \(tag) is unknown")
            }
        }
        return leaves
    }
}
