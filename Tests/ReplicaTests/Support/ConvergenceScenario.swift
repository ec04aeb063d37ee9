import Records
import Replica
import SyncCore
import TestSupport

/// One generated history: 3–5 replicas, random creates, updates, erasures and appends on random
/// replicas, interleaved with partial deliveries in random order with duplicates; then a full
/// delivery, all-pairs or round the ring. One node is also a hostile writer: now and then it
/// signs a batch of changes the rules do not give it (another group's record, another centre's
/// erasure or workflow step, a borrowed id), which every replica must ignore alike. Everything
/// follows from the seed.
struct ConvergenceScenario {
    enum Pattern: String, CaseIterable {
        case allPairs = "all-pairs"
        case ring
    }

    let seed: UInt64
    private(set) var log: [String] = []

    init(seed: UInt64) {
        self.seed = seed
    }

    /// Runs the scenario; returns, per group, the set of member digests (one element when converged).
    mutating func run() throws -> [GroupID: Set<String>] {
        var rng = SplitMix64(seed: seed)
        let count = Int.random(in: 3...5, using: &rng)
        let nodes = (0..<count).map { NodeID("n\($0)") }
        let subgroup = Set(nodes.shuffled(using: &rng).prefix(Int.random(in: 2...count, using: &rng)))
        let groups: [GroupID: Set<NodeID>] = ["region": Set(nodes), "sub": subgroup]
        let region = try TestRegion(nodes: nodes, groups: groups)
        // Coarse clocks that seldom advance: concurrent writes often carry equal HLCs, so the
        // origin tie-break is exercised, not just the clock order.
        for node in nodes {
            region.clocks[node]!.advance(by: UInt64.random(in: 0..<3, using: &rng))
        }
        var ids: [(RecordID, String)] = []
        for _ in 0..<Int.random(in: 10...36, using: &rng) {
            for node in nodes where Int.random(in: 0..<4, using: &rng) == 0 {
                region.clocks[node]!.advance(by: 1)
            }
            let node = nodes.randomElement(using: &rng)!
            let roll = Int.random(in: 0..<10, using: &rng)
            if roll == 0, !ids.isEmpty {
                try forge(at: node, region: region, groups: groups, ids: ids, rng: &rng)
            } else if roll < 6 {
                try write(at: node, region: region, groups: groups, ids: &ids, rng: &rng)
            } else {
                let source = nodes.randomElement(using: &rng)!
                guard source != node else { continue }
                try deliver(from: source, to: node, region: region, groups: groups, fraction: Double.random(in: 0.2...1, using: &rng), rng: &rng)
            }
        }
        let pattern = Pattern.allCases.randomElement(using: &rng)!
        log.append("full delivery: \(pattern.rawValue)")
        var moved = true
        var rounds = 0
        while moved {
            rounds += 1
            precondition(rounds < 20, "delivery does not settle")
            let before = try nodes.map { try region[$0].streamPositions() }
            switch pattern {
            case .allPairs:
                for source in nodes.shuffled(using: &rng) {
                    for target in nodes.shuffled(using: &rng) where target != source {
                        try deliver(from: source, to: target, region: region, groups: groups, fraction: 1, rng: &rng)
                    }
                }
            case .ring:
                // Batches travel only through members of their group, so each group has its own ring.
                for group in groups.keys.sorted() {
                    let ring = nodes.filter { groups[group]!.contains($0) }
                    for (index, source) in ring.enumerated() {
                        try deliver(from: source, to: ring[(index + 1) % ring.count], region: region, groups: groups, fraction: 1, rng: &rng)
                    }
                }
            }
            moved = try nodes.map { try region[$0].streamPositions() } != before
        }
        var digests: [GroupID: Set<String>] = [:]
        for (group, members) in groups {
            digests[group] = Set(try members.map { try region[$0].digest(group: group) })
            let empty = StateDigest().finalize()
            for outsider in Set(nodes).subtracting(members) {
                guard try region[outsider].digest(group: group) == empty else {
                    throw ScenarioFailure("\(outsider) holds data of group \(group) it is not a member of")
                }
            }
        }
        return digests
    }

    private mutating func write(
        at node: NodeID,
        region: TestRegion,
        groups: [GroupID: Set<NodeID>],
        ids: inout [(RecordID, String)],
        rng: inout SplitMix64
    ) throws {
        let replica = region[node]
        let liveHere = try ids.filter { try replica.live($0.0) != nil }
        let roll = Int.random(in: 0..<20, using: &rng)
        if liveHere.isEmpty || roll < 3 {
            let group = groups.filter { $0.value.contains(node) }.keys.sorted().randomElement(using: &rng)!
            let batch = try replica.transact(in: group) { transaction in
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    if Bool.random(using: &rng) {
                        let id = transaction.create(
                            .person,
                            [
                                FieldWrite("category", "suspect"), FieldWrite("family_name", Self.name(&rng)), FieldWrite("alert", "wanted"),
                                FieldWrite("handling_code", "H1"),
                            ],
                            sets: Bool.random(using: &rng) ? [SetEdit("names", add: ["current|" + Self.name(&rng)])] : []
                        )
                        ids.append((id, "person"))
                    } else {
                        let requested = groups[group]!.subtracting([node]).sorted().randomElement(using: &rng)!
                        let urgency = Bool.random(using: &rng) ? "urgent" : "standard"
                        let id = transaction.create(
                            .request, RequestForm.filled(Self.name(&rng), urgency: urgency).writes(from: node, to: requested))
                        ids.append((id, "request"))
                    }
                }
            }
            log.append("\(node) creates \(batch.header.changeCount) in \(group)")
            return
        }
        let (id, kind) = liveHere.randomElement(using: &rng)!
        let record = try replica.live(id)!
        switch roll {
        case 3..<15 where kind == "person" && Bool.random(using: &rng):
            // A list edit: few values, so two nodes often add the same one, or one removes what
            // another adds again meanwhile.
            let list = Bool.random(using: &rng) ? "names" : "markers"
            let held = record.entries(of: list)
            let edit: SetEdit
            if !held.isEmpty, Bool.random(using: &rng) {
                edit = SetEdit(list, remove: [held.randomElement(using: &rng)!])
            } else {
                let value =
                    list == "names"
                    ? "alias|" + ["Petrović", "Hoxha", "Nikolovski"].randomElement(using: &rng)! : ["armed", "violent"].randomElement(using: &rng)!
                edit = SetEdit(list, add: [value])
            }
            do {
                try replica.update(id, [], sets: [edit])
                log.append("\(node) edits \(list) of \(id): +\(edit.add) -\(edit.remove)")
            } catch {
                log.append("\(node) cannot edit \(list) of \(id): \(error)")
            }
            return
        case 3..<15:
            let fields: [FieldWrite]
            if kind == "person" {
                fields = [
                    [FieldWrite("given_name", Self.name(&rng))], [FieldWrite("given_name", nil), FieldWrite("alert", "missing")],
                    [FieldWrite("alert", ["wanted", "missing", "none"].randomElement(using: &rng)!)],
                    [FieldWrite("handling_code", ["H0", "H2", "H3"].randomElement(using: &rng)!)],
                ].randomElement(using: &rng)!
            } else if record.values["status"] == "closed" {
                log.append("\(node) leaves the closed request \(id) alone")
                return
            } else if record.values["to_node"] == node.rawValue || record.values["from_node"] == node.rawValue, Bool.random(using: &rng) {
                // A step of the request's thread, as the node's staff would take it: one the
                // thread does not allow here and now is refused, which is part of the history.
                let text = Self.name(&rng)
                let action: RequestAction =
                    record.values["to_node"] == node.rawValue
                    ? [
                        .classify(direct: Bool.random(using: &rng)), .answer(text), .partialAnswer(text), .askClarification(text),
                        .refuse(whole: Bool.random(using: &rng), grounds: [.a, .f].shuffled(using: &rng).dropLast(), reasons: text),
                        .announceDelay(reason: text, until: 4_102_444_800_000),
                    ].randomElement(using: &rng)!
                    : [.giveClarification(text), .close].randomElement(using: &rng)!
                do {
                    try replica.act(on: id, action, auditedAs: AuditActor(user: "scenario"))
                    log.append("\(node) takes the step \(action) in \(id)")
                } catch {
                    log.append("\(node) cannot take the step \(action) in \(id): \(error)")
                }
                if Bool.random(using: &rng) { try replica.acknowledgeReceivedRequests() }
                return
            } else if record.values["to_node"] == node.rawValue {
                fields = [
                    [FieldWrite("status", ["acknowledged", "answered"].randomElement(using: &rng)!)], [FieldWrite("answer", Self.name(&rng))],
                ].randomElement(using: &rng)!
            } else if record.values["from_node"] == node.rawValue {
                fields = [[FieldWrite("status", "closed")], [FieldWrite("question", Self.name(&rng))]].randomElement(using: &rng)!
            } else {
                log.append("\(node) has no part in request \(id)")
                return
            }
            try replica.update(id, fields)
            log.append("\(node) updates \(id) \(fields.map(\.field))")
        case 15..<18 where kind == "person":
            if Bool.random(using: &rng) {
                _ = try replica.append(.hit, [FieldWrite("record_id", id.description), FieldWrite("place", Self.name(&rng))])
            } else {
                _ = try replica.append(.note, [FieldWrite("record_id", id.description), FieldWrite("text", Self.name(&rng))])
            }
            log.append("\(node) appends to \(id)")
        default:
            guard record.origin == node else {
                log.append("\(node) may not erase \(id) of \(record.origin)")
                return
            }
            try replica.erase(id, reason: "test_erasure")
            log.append("\(node) erases \(id)")
        }
    }

    /// `node` signs, as the next batch of its own stream in one of its groups, up to three
    /// changes the rules refuse it, and applies the batch itself as any receiver would.
    private mutating func forge(
        at node: NodeID,
        region: TestRegion,
        groups: [GroupID: Set<NodeID>],
        ids: [(RecordID, String)],
        rng: inout SplitMix64
    ) throws {
        let group = groups.filter { $0.value.contains(node) }.keys.sorted().randomElement(using: &rng)!
        let hlc = region.hlc(node, counter: UInt16.random(in: 0..<4, using: &rng))
        var changes: [Change] = []
        var described: [String] = []
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let (target, kind) = ids.randomElement(using: &rng)!
            let otherKind = kind == "person" ? "vehicle" : "person"
            let options: [(String, Change)] = [
                ("erase \(target)", Change(kind: kind, recordID: target, hlc: hlc, operation: .erase(reason: "forged"))),
                // A value no honest write here makes: a forged batch never equals one the node wrote
                // itself at the same clock reading (which would make it a copy of that batch, §5.9).
                ("update \(target)", Change(kind: kind, recordID: target, hlc: hlc, operation: .update([FieldWrite("info_accuracy", "4")]))),
                (
                    "create \(target) as \(otherKind)",
                    Change(kind: otherKind, recordID: target, hlc: hlc, operation: .create([FieldWrite("family_name", "Borrowed"), FieldWrite("plate", "B")]))
                ),
                (
                    "answer and close \(target)",
                    Change(
                        kind: "request", recordID: target, hlc: hlc,
                        operation: .update([FieldWrite("answer", "forged"), FieldWrite("status", "closed"), FieldWrite("due_at", "2099-12-31T00:00:00Z")])
                    )
                ),
                (
                    "a request from another centre",
                    Change(
                        kind: "request", recordID: RecordID.make(milliseconds: hlc.milliseconds, using: &rng), hlc: hlc,
                        operation: .create([
                            FieldWrite("from_node", node == "n0" ? "n1" : "n0"), FieldWrite("to_node", node.rawValue), FieldWrite("urgency", "standard"),
                            FieldWrite("question", "forged"),
                        ])
                    )
                ),
                (
                    "a closing step in \(target)'s thread",
                    Change(
                        kind: "request_entry",
                        recordID: RecordID.make(
                            milliseconds: hlc.milliseconds, boundTo: RecordBinding(origin: node, group: group, kind: "request_entry"), using: &rng),
                        hlc: hlc, operation: .append([FieldWrite("record_id", target.description), FieldWrite("type", "close")]))
                ),
                (
                    // A list's column written whole, an element under a malformed tag, and the
                    // removal of a tag no node added: ignored, or kept as a removal, alike.
                    "list writes to \(target)",
                    Change(
                        kind: kind, recordID: target, hlc: hlc,
                        operation: .update([
                            FieldWrite("names", "[\"current|Forged\"]"), FieldWrite("names#BAD", "current|Forged"), FieldWrite("names#ffff", nil),
                            FieldWrite("markers#aa01", "not_a_marker"),
                            // One tag written again and again, with clocks in any order.
                            FieldWrite("names#t1", ["alias|One", "alias|Two"].randomElement(using: &rng)!),
                        ]))
                ),
                (
                    "a note on \(target)",
                    Change(
                        kind: "note", recordID: RecordID.make(milliseconds: hlc.milliseconds, using: &rng), hlc: hlc,
                        operation: .append([FieldWrite("record_id", target.description), FieldWrite("text", "forged")])
                    )
                ),
            ]
            let (description, change) = options.randomElement(using: &rng)!
            changes.append(change)
            described.append(description)
        }
        let batch = try region.signed(by: node, group: group, changes)
        let outcome = try region[node].apply(envelope: batch.envelope)
        guard case .applied = outcome else {
            throw ScenarioFailure("\(node) did not take its own forged batch (\(described.joined(separator: ", "))): \(outcome)")
        }
        log.append("\(node) forges in \(group): \(described.joined(separator: ", "))")
    }

    /// Delivers a random share of `source`'s batches for groups `target` belongs to, with
    /// duplicates, retrying those that arrive before their predecessors. Half the time the
    /// batches are shuffled together; otherwise whole streams go in a random stream order, so
    /// one origin's later batches (an erasure, say) can land before another origin's earlier
    /// ones (the create).
    private mutating func deliver(
        from source: NodeID,
        to target: NodeID,
        region: TestRegion,
        groups: [GroupID: Set<NodeID>],
        fraction: Double,
        rng: inout SplitMix64
    ) throws {
        var batches = try region.batches(of: source).filter { groups[$0.header.group]!.contains(target) }
        batches.shuffle(using: &rng)
        batches = Array(batches.prefix(Int((Double(batches.count) * fraction).rounded(.up))))
        batches += batches.filter { _ in Int.random(in: 0..<4, using: &rng) == 0 }
        if Bool.random(using: &rng) {
            batches.shuffle(using: &rng)
        } else {
            let streams = Dictionary(grouping: batches) { "\($0.header.origin)/\($0.header.group)" }
            batches = streams.keys.sorted().shuffled(using: &rng).flatMap { key in
                streams[key]!.sorted { $0.header.seq < $1.header.seq }
            }
        }
        var pending = batches
        var progress = true
        while progress, !pending.isEmpty {
            progress = false
            var retry: [SignedBatch] = []
            for batch in pending {
                switch try region[target].apply(envelope: batch.envelope) {
                case .applied:
                    progress = true
                case .duplicate:
                    break
                case .rejected(let rejection) where rejection.code == .outOfOrder:
                    retry.append(batch)
                case let other:
                    throw ScenarioFailure("\(target) answered \(other) to batch \(batch.header.origin)/\(batch.header.group)#\(batch.header.seq)")
                }
            }
            pending = retry
        }
        log.append("\(source) → \(target): \(batches.count) sent")
    }

    private static func name(_ rng: inout SplitMix64) -> String {
        ["Đorđević", "Hoxha", "Petrović", "Kovač", "Ђорђевић", "Çela", "Nikolovski", "Smith"].randomElement(using: &rng)!
            + " \(Int.random(in: 0..<100, using: &rng))"
    }
}

struct ScenarioFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
