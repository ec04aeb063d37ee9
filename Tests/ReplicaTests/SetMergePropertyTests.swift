import Foundation
import PropertyBased
import Records
import Replica
import SyncCore
import TestSupport
import Testing

/// Random additions and removals of a person's aliases at 3 replicas, exchanged by pulls in
/// random order, against a model of the add-wins observed-remove set: every addition is an
/// entry of its own, and a removal removes exactly the entries its writer held. After every
/// step each replica holds what the model says its writes and pulls give it; at the end all
/// hold the same. A failure prints the seed and the history.
@Suite(.ownThread) struct SetMergePropertyTests {
    static let cases = Int(ProcessInfo.processInfo.environment["PCCC_PROPERTY_CASES"] ?? "") ?? 1000

    /// One write the model knows: an addition with its value, or the additions a removal removed.
    enum Operation {
        case add(String)
        case remove(Set<Int>)
    }

    @Test func concurrentAdditionsAndRemovalsGiveTheSameSetEverywhere() async {
        await propertyCheck(count: max(1, Self.cases / 5), input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var history: [String] = []
            do {
                try Self.run(seed: seed, history: &history)
            } catch {
                Issue.record("seed \(seed): \(error) after \(history.joined(separator: "; "))")
            }
        }
    }

    static func run(seed: UInt64, history: inout [String]) throws {
        var rng = SplitMix64(seed: seed)
        let nodes: [NodeID] = ["a", "b", "c"]
        let region = try TestRegion(nodes: nodes)
        let id = try region["a"].create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Hoxha")])
        try region.syncAll()
        var operations: [Operation] = []
        var known: [NodeID: Set<Int>] = Dictionary(uniqueKeysWithValues: nodes.map { ($0, []) })
        func modelled(_ node: NodeID) -> [String] {
            var removed = Set<Int>()
            for index in known[node]! { if case .remove(let entries) = operations[index] { removed.formUnion(entries) } }
            var values = Set<String>()
            for index in known[node]! where !removed.contains(index) {
                if case .add(let value) = operations[index] { values.insert(value) }
            }
            return values.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        }
        func heldEntries(_ node: NodeID) -> Set<Int> {
            var removed = Set<Int>()
            for index in known[node]! { if case .remove(let entries) = operations[index] { removed.formUnion(entries) } }
            return Set(known[node]!.filter { if case .add = operations[$0] { !removed.contains($0) } else { false } })
        }
        for _ in 0..<Int.random(in: 8...30, using: &rng) {
            let node = nodes.randomElement(using: &rng)!
            switch Int.random(in: 0..<3, using: &rng) {
            case 0:
                let value = "alias|" + ["Hoxa", "Hodža", "Hoxhaj", "Ходжа"].randomElement(using: &rng)!
                guard !modelled(node).contains(value) else { continue }
                try region[node].update(id, [], sets: [SetEdit("names", add: [value])])
                operations.append(.add(value))
                known[node]!.insert(operations.count - 1)
                history.append("\(node) adds \(value)")
            case 1:
                guard let value = modelled(node).randomElement(using: &rng) else { continue }
                let entries = heldEntries(node).filter { if case .add(let added) = operations[$0] { added == value } else { false } }
                try region[node].update(id, [], sets: [SetEdit("names", remove: [value])])
                operations.append(.remove(entries))
                known[node]!.insert(operations.count - 1)
                history.append("\(node) removes \(value)")
            default:
                let source = nodes.filter { $0 != node }.randomElement(using: &rng)!
                try region[node].pullChecked(from: region[source])
                known[node]!.formUnion(known[source]!)
                history.append("\(node) pulls from \(source)")
            }
            for check in nodes {
                let held = try region[check].live(id)!.entries(of: "names")
                guard held == modelled(check) else {
                    throw ScenarioFailure("\(check) holds \(held), the model \(modelled(check))")
                }
            }
        }
        try region.syncAll()
        let everywhere = Set(try nodes.map { try region[$0].live(id)!.entries(of: "names") })
        let all = Set(operations.indices)
        known = Dictionary(uniqueKeysWithValues: nodes.map { ($0, all) })
        guard everywhere == [modelled("a")], try region.digests().count == 1 else {
            throw ScenarioFailure("after the full exchange the replicas hold \(everywhere), the model \(modelled("a"))")
        }
    }
}
