import Crypto

/// The signed header of a batch: which stream it belongs to, where it sits in the chain, and
/// the Merkle root of its changes. It holds no payload lengths, so redacting leaves keeps the
/// signature valid.
public struct BatchHeader: Hashable, Sendable {
    /// The only header version this build reads and writes.
    public static let currentVersion: UInt8 = 1

    /// Header format version.
    public let version: UInt8
    /// The region's network id; batches of one network are never valid in another.
    public let network: String
    /// The node that made and signed the batch.
    public let origin: NodeID
    /// The origin's epoch the batch was written in (docs/PROTOCOL.md §5.9); 0 for the first
    /// epoch of nodes made before epochs. On the wire it follows the origin id as `~epoch`.
    public let epoch: UInt64
    /// The sharing group every change of the batch belongs to.
    public let group: GroupID
    /// Position in the `(origin, epoch, group)` stream, from 1 with no gaps.
    public let seq: UInt64
    /// The stream the batch belongs to.
    public var stream: StreamID { StreamID(origin: origin, epoch: epoch, group: group) }
    /// SHA-256 of the previous header of the stream; zero for seq 1.
    public let prevHash: [UInt8]
    /// The smallest HLC reading of the changes.
    public let hlcMin: HybridTimestamp
    /// The largest HLC reading of the changes.
    public let hlcMax: HybridTimestamp
    /// How many leaves the payload holds.
    public let changeCount: UInt32
    /// Merkle root of the leaves.
    public let merkleRoot: [UInt8]

    /// Creates a header.
    public init(
        version: UInt8 = BatchHeader.currentVersion,
        network: String,
        origin: NodeID,
        epoch: UInt64 = 0,
        group: GroupID,
        seq: UInt64,
        prevHash: [UInt8],
        hlcMin: HybridTimestamp,
        hlcMax: HybridTimestamp,
        changeCount: UInt32,
        merkleRoot: [UInt8]
    ) {
        self.version = version
        self.network = network
        self.origin = origin
        self.epoch = epoch
        self.group = group
        self.seq = seq
        self.prevHash = prevHash
        self.hlcMin = hlcMin
        self.hlcMax = hlcMax
        self.changeCount = changeCount
        self.merkleRoot = merkleRoot
    }

    /// The zero hash that seq 1 chains to.
    public static let zeroHash = [UInt8](repeating: 0, count: 32)

    /// The header bytes, exactly as signed and hashed.
    public var encoded: [UInt8] {
        var writer = ByteWriter(capacity: 160)
        encode(into: &writer)
        return writer.bytes
    }

    /// SHA-256 of the encoded header: what the next batch's `prevHash` must equal.
    public var hash: [UInt8] { Array(SHA256.hash(data: encoded)) }

    /// Appends the encoding (docs/PROTOCOL.md §5).
    public func encode(into writer: inout ByteWriter) {
        writer.write(version)
        writer.writeShortString(network)
        writer.writeShortString(StreamID.originKey(origin, epoch: epoch))
        writer.writeShortString(group.rawValue)
        writer.write(seq)
        writer.write(raw: prevHash)
        writer.write(hlcMin.rawValue)
        writer.write(hlcMax.rawValue)
        writer.write(changeCount)
        writer.write(raw: merkleRoot)
    }

    /// Reads a header; refuses versions this build does not know.
    public static func decode(from reader: inout ByteReader) throws(WireFormatError) -> BatchHeader {
        let version = try reader.readUInt8("header version")
        guard version == currentVersion else {
            throw WireFormatError("batch header version \(version) is not supported (this node reads \(currentVersion))")
        }
        let network = try reader.readShortString("network id")
        let (origin, epoch) = try StreamID.parse(originKey: try reader.readShortString("origin id"))
        return BatchHeader(
            version: version,
            network: network,
            origin: origin,
            epoch: epoch,
            group: GroupID(try reader.readShortString("group")),
            seq: try reader.readUInt64("seq"),
            prevHash: try reader.readBytes(32, "prev hash"),
            hlcMin: HybridTimestamp(rawValue: try reader.readUInt64("hlc min")),
            hlcMax: HybridTimestamp(rawValue: try reader.readUInt64("hlc max")),
            changeCount: try reader.readUInt32("change count"),
            merkleRoot: try reader.readBytes(32, "merkle root")
        )
    }
}
