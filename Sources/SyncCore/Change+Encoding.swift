extension Change {
    /// Operation codes of the change body (docs/PROTOCOL.md §5).
    enum OperationCode: UInt8 {
        case create = 1
        case update = 2
        case erase = 3
        case append = 4
    }

    /// The largest field value accepted when decoding, in bytes.
    public static let maxValueBytes = 1 << 20

    /// The change body: `op u8 | hlc u64 | op data`. The leaf hash covers its SHA-256, so a
    /// redacted leaf can stand in for the body without changing the Merkle root.
    public var encodedBody: [UInt8] {
        var writer = ByteWriter(capacity: 64)
        switch operation {
        case .create(let writes): Self.writeFields(code: .create, hlc: hlc, writes, into: &writer)
        case .update(let writes): Self.writeFields(code: .update, hlc: hlc, writes, into: &writer)
        case .append(let writes): Self.writeFields(code: .append, hlc: hlc, writes, into: &writer)
        case .erase(let reason):
            writer.write(OperationCode.erase.rawValue)
            writer.write(hlc.rawValue)
            writer.writeShortString(reason)
        }
        return writer.bytes
    }

    /// Decodes a body written by `encodedBody`; field names must be strictly ascending, so
    /// each change has exactly one encoding.
    public static func decode(
        kind: String,
        recordID: RecordID,
        body: [UInt8]
    ) throws(WireFormatError) -> Change {
        var reader = ByteReader(body)
        let rawCode = try reader.readUInt8("change operation")
        guard let code = OperationCode(rawValue: rawCode) else {
            throw WireFormatError("change operation \(rawCode) is unknown")
        }
        let hlc = HybridTimestamp(rawValue: try reader.readUInt64("change hlc"))
        let operation: Operation
        switch code {
        case .erase:
            operation = .erase(reason: try reader.readShortString("erase reason"))
        case .create, .update, .append:
            let count = Int(try reader.readUInt16("field count"))
            var writes: [FieldWrite] = []
            writes.reserveCapacity(min(count, reader.remaining / 3))
            for _ in 0..<count {
                let name = try reader.readShortString("field name")
                if let previous = writes.last?.field, !(previous < name) {
                    throw WireFormatError("field \(name) is out of order or repeated")
                }
                let tag = try reader.readUInt8("value tag")
                switch tag {
                case 0: writes.append(FieldWrite(name, nil))
                case 1: writes.append(FieldWrite(name, try reader.readLongString("value of \(name)", limit: maxValueBytes)))
                default: throw WireFormatError("value tag \(tag) of \(name) is unknown")
                }
            }
            operation = code == .create ? .create(writes) : code == .update ? .update(writes) : .append(writes)
        }
        guard reader.isAtEnd else {
            throw WireFormatError("change body has \(reader.remaining) trailing bytes")
        }
        return Change(kind: kind, recordID: recordID, hlc: hlc, operation: operation)
    }

    private static func writeFields(
        code: OperationCode,
        hlc: HybridTimestamp,
        _ writes: [FieldWrite],
        into writer: inout ByteWriter
    ) {
        writer.write(code.rawValue)
        writer.write(hlc.rawValue)
        writer.write(UInt16(writes.count))
        for write in writes {
            writer.writeShortString(write.field)
            writer.writeOptionalLongString(write.value)
        }
    }
}
