import Crypto

/// A node's Ed25519 batch-signing key: its 32 raw bytes, and the key derived from them once,
/// since deriving it costs as much as a signature.
public struct BatchSigningKey: Sendable, Equatable {
    /// The 32-byte private key.
    public let rawRepresentation: [UInt8]
    private let derived: DerivedKey

    /// swift-crypto 3's key types are not `Sendable`; this one is immutable once made.
    private final class DerivedKey: @unchecked Sendable {
        let key: Curve25519.Signing.PrivateKey
        init(_ key: Curve25519.Signing.PrivateKey) { self.key = key }
    }

    /// Generates a fresh key.
    public init() {
        let key = Curve25519.Signing.PrivateKey()
        rawRepresentation = Array(key.rawRepresentation)
        derived = DerivedKey(key)
    }

    /// Wraps stored key bytes; throws when they are not a valid Ed25519 private key.
    public init(rawRepresentation: [UInt8]) throws {
        derived = DerivedKey(try Curve25519.Signing.PrivateKey(rawRepresentation: rawRepresentation))
        self.rawRepresentation = rawRepresentation
    }

    /// The public half, as pinned in the topology.
    public var publicKey: BatchVerifyingKey {
        BatchVerifyingKey(validated: Array(derived.key.publicKey.rawRepresentation))
    }

    /// Signs `message`.
    public func signature(for message: [UInt8]) throws -> [UInt8] {
        Array(try derived.key.signature(for: message))
    }

    /// Two keys are equal when their bytes are.
    public static func == (lhs: BatchSigningKey, rhs: BatchSigningKey) -> Bool {
        lhs.rawRepresentation == rhs.rawRepresentation
    }
}

/// The public half of a `BatchSigningKey`, pinned in the topology next to the node id.
public struct BatchVerifyingKey: Sendable, Hashable {
    /// The 32-byte public key.
    public let rawRepresentation: [UInt8]

    /// Wraps key bytes; throws when they are not a valid Ed25519 public key.
    public init(rawRepresentation: [UInt8]) throws {
        _ = try Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation)
        self.rawRepresentation = rawRepresentation
    }

    fileprivate init(validated: [UInt8]) {
        rawRepresentation = validated
    }

    /// Whether `signature` is this key's signature of `message`.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation) else { return false }
        return key.isValidSignature(signature, for: message)
    }

    /// The topology form, `ed25519:BASE64`.
    public var topologyForm: String { "ed25519:" + Base64.encode(rawRepresentation) }
}

/// Standard base64 with padding, without Foundation.
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Encodes bytes.
    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            let value = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (16 - 8 * UInt32($1.offset)) }
            for position in 0..<4 {
                out.append(position <= chunk.count ? alphabet[Int(value >> (18 - 6 * UInt32(position)) & 0x3F)] : UInt8(ascii: "="))
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes padded base64; nil when malformed.
    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        var index = 0
        while index < chars.count {
            var value: UInt32 = 0
            var padding = 0
            for position in 0..<4 {
                let char = chars[index + position]
                if char == UInt8(ascii: "=") {
                    guard index + 4 == chars.count, position >= 2 else { return nil }
                    padding += 1
                    value <<= 6
                } else {
                    guard padding == 0, let digit = alphabet.firstIndex(of: char) else { return nil }
                    value = value << 6 | UInt32(digit)
                }
            }
            out.append(UInt8(truncatingIfNeeded: value >> 16))
            if padding < 2 { out.append(UInt8(truncatingIfNeeded: value >> 8)) }
            if padding < 1 { out.append(UInt8(truncatingIfNeeded: value)) }
            index += 4
        }
        return out
    }
}

/// Lowercase hexadecimal, two digits a byte, without Foundation.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Encodes bytes.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
