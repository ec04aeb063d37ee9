import Records
import SyncCore

/// A live record as merged here, with the write behind each field value.
public struct RecordSnapshot: Equatable, Sendable {
    /// The record kind.
    public let kind: RecordKind
    /// The record id.
    public let id: RecordID
    /// The sharing group, fixed at creation.
    public let group: GroupID
    /// The node that created the record.
    public let origin: NodeID
    /// When it was created (ISO 8601, UTC).
    public let createdAt: String
    /// Field values that are set.
    public let values: [String: String]
    /// The write that set each field, including cleared ones.
    public let provenance: [String: WriteStamp]
    /// Its main values in one line (``KindSchema/label(of:origin:)``).
    public let label: String
    /// The fields that are lists (merge as sets): their value is a JSON array of entries
    /// (``entries(of:)``).
    public var lists: Set<String> = []

    /// The entries of a list field, sorted; empty when it holds none.
    public func entries(of field: String) -> [String] { SetValue.decode(values[field]) }
}

/// A tombstone: all that remains of an erased record.
public struct TombstoneSnapshot: Equatable, Sendable {
    /// The record kind.
    public let kind: RecordKind
    /// The record id.
    public let id: RecordID
    /// The erasure that won.
    public let stamp: WriteStamp
    /// Its reason code.
    public let reason: String
}

/// What the replica knows of one id.
public enum RecordLookup: Equatable, Sendable {
    /// The record is live.
    case live(RecordSnapshot)
    /// The record was erased.
    case erased(TombstoneSnapshot)
    /// No record has that id here.
    case unknown
}

/// A seq in one stream: the last one held (stream heads), or one batch (a batch to ask for
/// again).
public struct StreamPosition: Hashable, Sendable, CustomStringConvertible {
    /// The stream.
    public let stream: StreamID
    /// The seq.
    public let seq: UInt64

    /// Creates a position.
    public init(_ stream: StreamID, seq: UInt64) {
        self.stream = stream
        self.seq = seq
    }

    /// The stream's origin node.
    public var origin: NodeID { stream.origin }
    /// The stream's group.
    public var group: GroupID { stream.group }
    /// `origin/group#seq`, as alarms name a batch.
    public var description: String { "\(stream)#\(seq)" }

    /// Orders by stream, then seq.
    public static func inOrder(_ lhs: StreamPosition, _ rhs: StreamPosition) -> Bool {
        lhs.stream != rhs.stream ? lhs.stream < rhs.stream : lhs.seq < rhs.seq
    }
}

/// A raised alarm (fork, clock skew), as shown in status.
public struct Alarm: Equatable, Sendable {
    /// Stable code such as `fork`.
    public let code: String
    /// What it is about, such as a stream.
    public let subject: String
    /// One sentence for the admin.
    public let message: String
    /// How often it was raised.
    public let count: Int
}
