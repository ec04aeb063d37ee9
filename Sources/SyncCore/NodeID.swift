/// A node's id, as the region topology names it (`lu-pccc`).
///
/// Typed so that a node id cannot be passed where a group id, a record id or any other text is
/// meant; the compiler checks what a bare `String` would leave to reading. On the wire and in
/// JSON it is the plain text.
public struct NodeID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CodingKeyRepresentable,
    CustomStringConvertible, CustomDebugStringConvertible, ExpressibleByStringLiteral
{
    /// The id's text.
    public let rawValue: String

    /// Wraps an id's text.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Wraps an id's text.
    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    /// A literal id, as tests and fixtures write them.
    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    /// Decodes a plain JSON string.
    public init(from decoder: any Decoder) throws {
        self.rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    /// Encodes as a plain JSON string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// Orders bytewise by UTF-8, as streams are listed on the wire.
    public static func < (lhs: NodeID, rhs: NodeID) -> Bool {
        lhs.rawValue.utf8.lexicographicallyPrecedes(rhs.rawValue.utf8)
    }

    /// The id's text.
    public var description: String { rawValue }

    /// The id's text quoted, as a `String` prints in collections and optionals, so messages
    /// that show a list of ids read as before they were typed.
    public var debugDescription: String { rawValue.debugDescription }
}

/// A sharing group's id, as the region topology names it (`benelux`).
///
/// Typed so that a group id cannot be passed where a node id, a record id or any other text is
/// meant; the compiler checks what a bare `String` would leave to reading. On the wire and in
/// JSON it is the plain text.
public struct GroupID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CodingKeyRepresentable,
    CustomStringConvertible, CustomDebugStringConvertible, ExpressibleByStringLiteral
{
    /// The id's text.
    public let rawValue: String

    /// Wraps an id's text.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Wraps an id's text.
    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    /// A literal id, as tests and fixtures write them.
    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    /// Decodes a plain JSON string.
    public init(from decoder: any Decoder) throws {
        self.rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    /// Encodes as a plain JSON string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// Orders bytewise by UTF-8, as streams are listed on the wire.
    public static func < (lhs: GroupID, rhs: GroupID) -> Bool {
        lhs.rawValue.utf8.lexicographicallyPrecedes(rhs.rawValue.utf8)
    }

    /// The id's text.
    public var description: String { rawValue }

    /// The id's text quoted, as a `String` prints in collections and optionals, so messages
    /// that show a list of ids read as before they were typed.
    public var debugDescription: String { rawValue.debugDescription }
}
