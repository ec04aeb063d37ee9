import Foundation

/// Every write a node acknowledged during a chaos run (its `pccc` command exited 0), and every
/// refusal by its reason. Lanes write it from their own threads.
///
/// A write is **uncertain** when its node acknowledged it inside a restore window: after the
/// copy of the node's folder was taken and before that copy was put back. The restored node
/// lost it unless a peer had taken it first, so it may be missing at the end; every other
/// write must be there.
final class ChaosLedger: @unchecked Sendable {
    struct Creation {
        let node: String
        let fields: [String: String]
        let uncertain: Bool
    }

    struct FieldKey: Hashable {
        let record: String
        let field: String
    }

    /// What one node wrote to one field: its last certain value and the uncertain ones after
    /// it, in order. A node's own writes carry rising HLCs, so only the last that survived can
    /// be the winner: the certain one, or one of the uncertain ones after it.
    struct NodeWrites: Equatable, CustomStringConvertible {
        var certain: String?
        var uncertainAfter: [String] = []

        var description: String { ([certain ?? "∅"] + uncertainAfter.map { "\($0)?" }).joined(separator: " then ") }
    }

    struct Hit {
        let record: String
        let place: String
        let uncertain: Bool
    }

    private let lock = NSLock()
    private var creations: [String: Creation] = [:]
    private var creationOrder: [String] = []
    private var lastWrites: [FieldKey: [String: NodeWrites]] = [:]
    private var erasures: [String: Bool] = [:]
    private var hits: [String: Hit] = [:]
    /// Records a certain write acted on: they existed at a node outside any restore window.
    private var certainlyReferenced: Set<String> = []
    private var refusals: [String: Int] = [:]
    private var acknowledgedCount: [String: Int] = [:]
    private var uncertainCount = 0

    func created(_ id: String, at node: String, _ fields: [String: String], uncertain: Bool) {
        lock.withLock {
            creations[id] = Creation(node: node, fields: fields, uncertain: uncertain)
            creationOrder.append(id)
            if !uncertain { certainlyReferenced.insert(id) }
            count("create", uncertain)
        }
    }

    func updated(_ id: String, _ field: String, to value: String, at node: String, uncertain: Bool) {
        lock.withLock {
            let key = FieldKey(record: id, field: field)
            var writes = lastWrites[key, default: [:]][node, default: NodeWrites()]
            if uncertain {
                writes.uncertainAfter.append(value)
            } else {
                writes = NodeWrites(certain: value)
                certainlyReferenced.insert(id)
            }
            lastWrites[key, default: [:]][node] = writes
            count("update", uncertain)
        }
    }

    func erased(_ id: String, uncertain: Bool) {
        lock.withLock {
            erasures[id] = (erasures[id] ?? true) && uncertain
            if !uncertain { certainlyReferenced.insert(id) }
            count("erase", uncertain)
        }
    }

    func hit(_ id: String, on record: String, place: String, uncertain: Bool) {
        lock.withLock {
            hits[id] = Hit(record: record, place: place, uncertain: uncertain)
            if !uncertain { certainlyReferenced.insert(record) }
            count("hit", uncertain)
        }
    }

    func refused(_ reason: String) {
        lock.withLock { refusals[reason, default: 0] += 1 }
    }

    private func count(_ kind: String, _ uncertain: Bool) {
        acknowledgedCount[kind, default: 0] += 1
        if uncertain { uncertainCount += 1 }
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
    /// Writes acknowledged inside a restore window.
    var totalUncertain: Int { lock.withLock { uncertainCount } }
    var refused: [String: Int] { lock.withLock { refusals } }
    var allCreations: [String: Creation] { lock.withLock { creations } }
    var allLastWrites: [FieldKey: [String: NodeWrites]] { lock.withLock { lastWrites } }
    /// Erased records: true when every erasure of the record acknowledged was uncertain.
    var allErasures: [String: Bool] { lock.withLock { erasures } }
    var allHits: [String: Hit] { lock.withLock { hits } }
    var allCertainlyReferenced: Set<String> { lock.withLock { certainlyReferenced } }
}
