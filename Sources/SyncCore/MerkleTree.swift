import Crypto

/// The Merkle root over a batch's leaves.
///
/// Inner nodes are `SHA-256(0x01 | left | right)`. A level with an odd count carries its last
/// node up unchanged instead of duplicating it, so no two leaf lists share a root by
/// repetition (the flaw of duplicating schemes).
public enum MerkleTree {
    /// The root of the given leaf hashes; 32 zero bytes for no leaves.
    public static func root(leafHashes: [[UInt8]]) -> [UInt8] {
        guard !leafHashes.isEmpty else { return [UInt8](repeating: 0, count: 32) }
        var level = leafHashes
        while level.count > 1 {
            var next: [[UInt8]] = []
            next.reserveCapacity((level.count + 1) / 2)
            var index = 0
            while index + 1 < level.count {
                var hasher = SHA256()
                hasher.update(data: [UInt8(1)])
                hasher.update(data: level[index])
                hasher.update(data: level[index + 1])
                next.append(Array(hasher.finalize()))
                index += 2
            }
            if index < level.count { next.append(level[index]) }
            level = next
        }
        return level[0]
    }

    /// The root over the leaves' Merkle hashes.
    public static func root(of leaves: [BatchLeaf]) -> [UInt8] {
        root(leafHashes: leaves.map(\.merkleHash))
    }
}
