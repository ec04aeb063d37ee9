import Foundation

/// Every write a node acknowledged during a chaos run (its `pccc` command exited 0), and every
/// refusal by its reason. Lanes write it from their own threads.
final class ChaosLedger: @unchecked Sendable {
    struct Creation {
        let node: String
        let fields: [String: String]
    }

    struct FieldKey: Hashable {
        let record: String
        let field: String
    }

    struct Hit {
        let record: String
        let place: String
    }

    private let lock = NSLock()
    private var creations: [String: Creation] = [:]
    private var creationOrder: [String] = []
    /// The last value each node wrote to a field. A node's own writes carry rising HLCs, so
    /// only its last one can be the winner.
    private var lastWrites: [FieldKey: [String: String]] = [:]
    private var erasures: Set<String> = []
    private var hits: [String: Hit] = [:]
    private var refusals: [String: Int] = [:]
    private var acknowledgedCount: [String: Int] = [:]

    func created(_ id: String, at node: String, _ fields: [String: String]) {
        lock.withLock {
            creations[id] = Creation(node: node, fields: fields)
            creationOrder.append(id)
            acknowledgedCount["create", default: 0] += 1
        }
    }

    func updated(_ id: String, _ field: String, to value: String, at node: String) {
        lock.withLock {
            lastWrites[FieldKey(record: id, field: field), default: [:]][node] = value
            acknowledgedCount["update", default: 0] += 1
        }
    }

    func erased(_ id: String) {
        lock.withLock {
            erasures.insert(id)
            acknowledgedCount["erase", default: 0] += 1
        }
    }

    func hit(_ id: String, on record: String, place: String) {
        lock.withLock {
            hits[id] = Hit(record: record, place: place)
            acknowledgedCount["hit", default: 0] += 1
        }
    }

    func refused(_ reason: String) {
        lock.withLock { refusals[reason, default: 0] += 1 }
    }

    /// A record to act on: mostly one of the latest (so nodes collide on the same records),
    /// sometimes any. Nil before the first creation.
    func target<Generator: RandomNumberGenerator>(using generator: inout Generator) -> String? {
        lock.withLock {
            guard !creationOrder.isEmpty else { return nil }
            let recent = creationOrder.suffix(24)
            if Int.random(in: 0..<10, using: &generator) < 7 { return recent.randomElement(using: &generator) }
            return creationOrder.randomElement(using: &generator)
        }
    }

    /// A record `node` created, to erase: only the owner erases. Nil before its first creation.
    func target<Generator: RandomNumberGenerator>(ownedBy node: String, using generator: inout Generator) -> String? {
        lock.withLock {
            creationOrder.filter { creations[$0]?.node == node }.suffix(24).randomElement(using: &generator)
        }
    }

    var acknowledged: [String: Int] { lock.withLock { acknowledgedCount } }
    var totalAcknowledged: Int { acknowledged.values.reduce(0, +) }
    var refused: [String: Int] { lock.withLock { refusals } }
    var allCreations: [String: Creation] { lock.withLock { creations } }
    var allLastWrites: [FieldKey: [String: String]] { lock.withLock { lastWrites } }
    var allErasures: Set<String> { lock.withLock { erasures } }
    var allHits: [String: Hit] { lock.withLock { hits } }
}
