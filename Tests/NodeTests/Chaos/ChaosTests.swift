import FaultProxy
import Foundation
import GRDB
import NIOConcurrencyHelpers
import NIOPosix
import Replica
import SyncCore
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Real `pccc serve` processes, every link through a fault proxy; random writes on every node
/// while partitions, half-dead links, slow links, resets and SIGKILLs come and go. After the
/// last heal the region must reach equal digests within a minute, and every write a node
/// acknowledged must be there, or superseded by the merge rules' winner, or erased.
@Suite(.serialized, .ownThread) struct ChaosTests {
    @Test func regionConvergesAndKeepsEveryAcknowledgedWrite() async throws {
        let (profile, seed) = try ChaosProfile.fromEnvironment()
        print("chaos: profile \(profile.name), seed \(seed) (PCCC_CHAOS_PROFILE=\(profile.name) PCCC_CHAOS_SEED=\(seed) repeats it)")
        let names = (1...profile.nodes).map { "n\($0)" }
        // A ring plus a chord from every other node: most pairs have two paths.
        var pairs = names.indices.map { (from: names[$0], to: names[($0 + 1) % names.count]) }
        for index in stride(from: 0, to: names.count - 2, by: 2) { pairs.append((from: names[index], to: names[index + 2])) }
        // The proxies listen first, so the topology can name their ports; they learn their
        // targets' ports from the region after.
        var proxies: [FaultProxy] = []
        var viaPorts: [Int] = []
        for _ in pairs {
            let proxy = FaultProxy(targetHost: "127.0.0.1", targetPort: 0, group: MultiThreadedEventLoopGroup.singleton)
            viaPorts.append(try await proxy.start())
            proxies.append(proxy)
        }
        let region = try LiveRegion(
            nodes: names, links: zip(pairs, viaPorts).map { LiveRegion.Link(from: $0.0.from, to: $0.0.to, viaPort: $0.1) },
            groups: ["region": names]
        )
        for (pair, proxy) in zip(pairs, proxies) { proxy.retarget(port: region.ports[pair.to]!) }
        try Self.run(profile: profile, seed: seed, region: region, pairs: pairs, proxies: proxies)
        for proxy in proxies { await proxy.stop() }
    }

    /// The phases, the heal and the checks: minutes of blocking work (processes, waits) on the
    /// test's own thread.
    static func run(profile: ChaosProfile, seed: UInt64, region: LiveRegion, pairs: [(from: String, to: String)], proxies: [FaultProxy]) throws {
        var generator = SplitMix64(seed: seed)
        let names = region.nodes
        let serveOptions = ["--peer-timeout", String(profile.peerTimeout)]
        for node in names { try region.start(node, logLevel: "info", options: serveOptions) }

        let ledger = ChaosLedger()
        let lanes = names.enumerated().map { index, node in
            ChaosLane(node: node, folder: region.folder(node), ledger: ledger, seed: seed &+ UInt64(index + 1) &* 7919)
        }
        var killsPerPhase = Array(repeating: 0, count: profile.phases)
        for _ in 0..<profile.kills { killsPerPhase[Int.random(in: 0..<profile.phases, using: &generator)] += 1 }
        let restorePlan = Self.planRestores(profile: profile, nodes: names, seed: seed)
        let growthPlan = Self.planSchemaGrowth(profile: profile, nodes: names, seed: seed)
        let writesPerLane = (profile.writes + profile.phases * names.count - 1) / (profile.phases * names.count)
        var faults: [String: Int] = [:]
        var kills = 0
        var restores = 0
        var grown = 0
        let started = Date()

        for phase in 0..<profile.phases {
            // A partition: each node on one of two sides, both occupied; links across are cut,
            // and a link inside a side may still be one-way, slow or resetting.
            var side: [String: Bool] = [:]
            repeat {
                for node in names { side[node] = Bool.random(using: &generator) }
            } while Set(side.values).count < 2
            for (index, pair) in pairs.enumerated() {
                let fault: LinkFault
                if side[pair.from] != side[pair.to] {
                    fault = .cut
                } else {
                    switch Int.random(in: 0..<10, using: &generator) {
                    case 0: fault = .oneWay(dropping: Bool.random(using: &generator) ? .toTarget : .fromTarget)
                    case 1: fault = .slow(milliseconds: Int.random(in: 20...300, using: &generator))
                    case 2: fault = .resetMidStream(afterBytes: Int.random(in: 200...20_000, using: &generator))
                    default: fault = .none
                    }
                }
                proxies[index].set(fault)
                faults[String(describing: fault).prefix { $0 != " " }.description, default: 0] += 1
            }
            var jobs: [@Sendable () throws -> Void] = lanes.map { lane in { try lane.write(writesPerLane) } }
            let victims = (0..<killsPerPhase[phase]).map { _ in
                (
                    node: names.randomElement(using: &generator)!, after: Double.random(in: 0.1...2.5, using: &generator),
                    down: Double.random(in: 0...1.5, using: &generator)
                )
            }
            // Kills, copies and restores run one after the other: each stops or reads a node's
            // folder, and the region's process table is not shared between threads.
            var events: [(after: Double, act: @Sendable () throws -> Void)] = victims.map { victim in
                (
                    victim.after,
                    {
                        region.stop(victim.node, signal: SIGKILL)
                        Thread.sleep(forTimeInterval: victim.down)
                        try region.start(victim.node, logLevel: "info", options: serveOptions)
                    }
                )
            }
            for (index, restore) in restorePlan.enumerated() {
                let lane = lanes[names.firstIndex(of: restore.node)!]
                let copy = region.directory.path("copy-\(index)-\(restore.node)")
                if restore.copyPhase == phase {
                    events.append((restore.copyAfter, { try lane.takingCopy { try Self.copyFolder(region.folder(restore.node), to: copy) } }))
                }
                if restore.restorePhase == phase {
                    events.append(
                        (
                            restore.restoreAfter,
                            {
                                // The node's disk is lost and its folder comes back from the copy.
                                try lane.restoring { schemaGrown in
                                    region.stop(restore.node, signal: SIGKILL)
                                    try FileManager.default.removeItem(atPath: region.folder(restore.node))
                                    try FileManager.default.moveItem(atPath: copy, toPath: region.folder(restore.node))
                                    // The region's files come back with the node, as its admin
                                    // would put them: a copy older than the growth lacks it.
                                    if schemaGrown { try Self.installGrownSchema(in: region.folder(restore.node)) }
                                    try region.start(restore.node, logLevel: "info", options: serveOptions)
                                }
                            }
                        ))
                }
            }
            for growth in growthPlan where growth.phase == phase {
                let lane = lanes[names.firstIndex(of: growth.node)!]
                events.append(
                    (
                        growth.after,
                        {
                            // An upgrade: stopped, the region's schema file installed, started.
                            try lane.growingSchema {
                                region.stop(growth.node)
                                try Self.installGrownSchema(in: region.folder(growth.node))
                                try region.start(growth.node, logLevel: "info", options: serveOptions)
                            }
                        }
                    ))
            }
            if !events.isEmpty {
                let sequence = events
                jobs.append {
                    for event in sequence {
                        Thread.sleep(forTimeInterval: event.after)
                        try event.act()
                    }
                }
            }
            try Self.runConcurrently(jobs)
            kills += victims.count
            restores += restorePlan.filter { $0.restorePhase == phase }.count
            grown += growthPlan.filter { $0.phase == phase }.count
            for proxy in proxies { proxy.heal() }
            Thread.sleep(forTimeInterval: Double.random(in: 0...1, using: &generator))
            if (phase + 1) % max(1, profile.phases / 6) == 0 {
                print(
                    "chaos: phase \(phase + 1)/\(profile.phases), \(ledger.totalAcknowledged) writes acknowledged, \(kills) kills, \(restores) restores, \(grown) schema upgrades, \(Int(Date().timeIntervalSince(started))) s"
                )
            }
        }

        let unexpected = lanes.flatMap(\.unexpected)
        #expect(unexpected.isEmpty, "refusals no race explains:\n\(unexpected.prefix(5).joined(separator: "\n"))")
        for node in names where !region.isRunning(node) {
            Issue.record("\(node) stopped on its own: \(region.log(node).suffix(2000))")
            try region.start(node, logLevel: "info", options: serveOptions)
        }
        let chaosSeconds = Date().timeIntervalSince(started)
        let convergence: Double
        do {
            convergence = try region.waitUntil(
                "equal digests within \(Int(profile.convergenceSeconds)) s of the heal", seconds: profile.convergenceSeconds, every: 0.25
            ) {
                Set(try names.map { try region.digest(at: $0) }).count == 1
            }
        } catch {
            // What each node holds and complains of, for the seed's report.
            for node in names {
                let status = (try? PCCCExecutable.run(["status", "--data", region.folder(node)]).output) ?? "no status"
                let warnings = region.log(node).split(separator: "\n").filter { !$0.contains(" info ") }.suffix(15)
                print("chaos: \(node) after the heal:\n\(status)\n  last warnings:\n    \(warnings.joined(separator: "\n    "))")
            }
            print("chaos: storage failures logged: \(Self.storageFailures(region: region, nodes: names))")
            // Last, and in the failure itself: a report that keeps only the tail of the output
            // still names the seed that repeats the run.
            throw TestFailure("\(error) (profile \(profile.name), seed \(seed): PCCC_CHAOS_SEED=\(seed) repeats it)")
        }
        let storageFailures = Self.storageFailures(region: region, nodes: names)
        // What each serving node runs, as its peers hear it in a HELLO: a link cut since the
        // peer grew shows the older version until its session is back.
        var heard: [String] = []
        do {
            try region.waitUntil("every node heard by its peers as schema=4", seconds: 90, every: 0.5) {
                heard = try names.flatMap { node in
                    try region.statusList(at: node, "peers").compactMap { peer -> String? in
                        let software = peer["software"] as? String ?? "none"
                        return software.contains("schema=4") ? nil : "\(node) last heard \(peer["peer"] ?? "?") as \(software)"
                    }
                }
                return heard.isEmpty
            }
        } catch {
            Issue.record("\(error): \(heard.joined(separator: "; "))")
        }
        for node in names {
            let waiting = try region.status(at: node)["waiting_for_schema"] as? NSNumber
            #expect(waiting?.intValue == 0, "\(node) holds no change waiting for a newer schema")
        }
        for node in names { region.stop(node) }

        let restored = Set(restorePlan.map(\.node))
        let checked = try Self.verify(region: region, nodes: names, ledger: ledger, restored: restored)
        #expect(ledger.totalAcknowledged >= profile.writes, "only \(ledger.totalAcknowledged) writes acknowledged")
        #expect(kills == profile.kills)
        #expect(restores == profile.restores)
        #expect(grown == names.count, "every node grew its schema")
        print(
            """
            chaos result: profile \(profile.name), seed \(seed), \(names.count) nodes, \(pairs.count) links
              \(profile.phases) partitions, \(kills) SIGKILLs, \(restores) restores from an older copy (\(restorePlan.map { "\($0.node) copied in phase \($0.copyPhase + 1), restored in \($0.restorePhase + 1)" }.joined(separator: "; "))), \(grown) schema upgrades (\(growthPlan.map { "\($0.node) in phase \($0.phase + 1)" }.joined(separator: ", "))), link faults \(faults.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
              \(ledger.totalAcknowledged) writes acknowledged: \(ledger.acknowledged.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
              \(ledger.totalUncertain) acknowledged inside a restore window, of which lost to the restore: \(checked.lost.isEmpty ? "none" : checked.lost.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
              refused (expected races): \(ledger.refused.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
              chaos \(String(format: "%.1f", chaosSeconds)) s; equal digests \(String(format: "%.2f", convergence)) s after the heal
              checked at every node: \(checked.records) records, \(checked.fields) fields (\(checked.conflicts) written at two nodes or more), \(checked.hits) hits; integrity_check ok; no alarms but restore_detected at restored nodes (\(checked.restoreAlarms)) and their audit losses
              storage failures logged: \(storageFailures)
            """)
    }

    /// The `storage: cannot …` lines of the nodes' logs (at most 5, with how many in all), or
    /// "none": a node that cannot store a batch answers its peer only `internal_error`, so the
    /// log is where the cause is named.
    static func storageFailures(region: LiveRegion, nodes: [String]) -> String {
        let lines = nodes.flatMap { node in region.log(node).split(separator: "\n").filter { $0.contains("storage: cannot") }.map { "\(node): \($0)" } }
        return lines.isEmpty ? "none" : "\(lines.count)\n    " + lines.prefix(5).joined(separator: "\n    ")
    }

    /// Runs every job on its own thread and waits for all; rethrows the first failure.
    static func runConcurrently(_ jobs: [@Sendable () throws -> Void]) throws {
        let group = DispatchGroup()
        let failures = NIOLockedValueBox<[any Error]>([])
        for job in jobs {
            group.enter()
            Thread {
                do { try job() } catch { failures.withLockedValue { $0.append(error) } }
                group.leave()
            }.start()
        }
        group.wait()
        if let first = failures.withLockedValue({ $0.first }) { throw first }
    }

    /// One restore fault: `node`'s folder is copied during `copyPhase` and put back, the node
    /// killed, during `restorePhase`, each that many seconds into the phase's faults.
    struct RestorePlan: Sendable {
        let node: String
        let copyPhase: Int
        let restorePhase: Int
        let copyAfter: Double
        let restoreAfter: Double
    }

    /// The profile's restores, drawn from their own generator (so a seed keeps its partitions,
    /// kills and writes): a copy, then its restore one to three phases later; one node's
    /// windows never overlap.
    static func planRestores(profile: ChaosProfile, nodes: [String], seed: UInt64) -> [RestorePlan] {
        guard profile.phases >= 2 else { return [] }
        var generator = SplitMix64(seed: seed ^ 0x7265_7374_6f72_6573)
        var plan: [RestorePlan] = []
        while plan.count < profile.restores {
            let node = nodes.randomElement(using: &generator)!
            let copyPhase = Int.random(in: 0..<(profile.phases - 1), using: &generator)
            let restorePhase = Int.random(in: (copyPhase + 1)...min(profile.phases - 1, copyPhase + 3), using: &generator)
            guard !plan.contains(where: { $0.node == node && $0.copyPhase <= restorePhase && copyPhase <= $0.restorePhase }) else { continue }
            plan.append(
                RestorePlan(
                    node: node, copyPhase: copyPhase, restorePhase: restorePhase, copyAfter: Double.random(in: 0.1...2.5, using: &generator),
                    restoreAfter: Double.random(in: 0.1...2.5, using: &generator)
                ))
        }
        return plan
    }

    /// One node's move to the region's grown record schema, that many seconds into a phase's faults.
    struct SchemaGrowth: Sendable {
        let node: String
        let phase: Int
        let after: Double
    }

    /// Every node grows its schema once, in a phase drawn from its own generator (so a seed
    /// keeps its partitions, kills, writes and restores); the region runs two schema versions
    /// from the first growth to the last, and one after.
    static func planSchemaGrowth(profile: ChaosProfile, nodes: [String], seed: UInt64) -> [SchemaGrowth] {
        guard profile.phases >= 3 else { return [] }
        var generator = SplitMix64(seed: seed ^ 0x7363_6865_6d61_0002)
        return nodes.map { node in
            SchemaGrowth(
                node: node, phase: Int.random(in: 1..<(profile.phases - 1), using: &generator), after: Double.random(in: 0.1...2.5, using: &generator))
        }
    }

    /// The region's schema file the chaos run grows to: a new field of `person`.
    static let grownSchema = "version: 4\nkinds:\n  person:\n    fields:\n      - {name: eye_colour, allowed: [blue, brown, green]}\n"

    static func installGrownSchema(in folder: String) throws {
        let path = folder + "/schema.yaml"
        guard FileManager.default.createFile(atPath: path, contents: Data(grownSchema.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw TestFailure("cannot write \(path)")
        }
    }

    /// Copies a node folder, running or not, to `destination`: the replica through SQLite's
    /// backup (one consistent snapshot, whatever `serve` writes meanwhile), the other files as
    /// they are; not `serve.lock`, which belongs to a process.
    static func copyFolder(_ source: String, to destination: String) throws {
        let files = FileManager.default
        try files.createDirectory(atPath: destination, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        for name in try files.contentsOfDirectory(atPath: source) where !name.hasPrefix("replica.sqlite") && name != "serve.lock" {
            try files.copyItem(atPath: source + "/" + name, toPath: destination + "/" + name)
        }
        var configuration = SQLiteLibrary.configuration()
        configuration.busyMode = .timeout(30)
        let live = try DatabaseQueue(path: source + "/replica.sqlite", configuration: configuration)
        let copy = try DatabaseQueue(path: destination + "/replica.sqlite", configuration: SQLiteLibrary.configuration())
        try live.backup(to: copy)
        try live.close()
        try copy.close()
    }

    /// Checks every node's replica against the ledger; returns how much it checked, how many
    /// fields were written concurrently at more than one node, the uncertain writes the
    /// restores lost (by kind), and the `restore_detected` alarms of the restored nodes.
    ///
    /// A write acknowledged outside every restore window must be there. One acknowledged inside
    /// its node's window may be missing, as long as no certain write acted on its record.
    static func verify(
        region: LiveRegion, nodes: [String], ledger: ChaosLedger, restored: Set<String>
    ) throws -> (records: Int, fields: Int, conflicts: Int, hits: Int, lost: [String: Int], restoreAlarms: Int) {
        let creations = ledger.allCreations
        let lastWrites = ledger.allLastWrites
        let erasures = ledger.allErasures
        let hits = ledger.allHits
        let referenced = ledger.allCertainlyReferenced
        var fieldsChecked = 0
        var lost: [String: Int] = [:]
        var restoreAlarms = 0
        for (position, node) in nodes.enumerated() {
            let queue = try DatabaseQueue(path: region.folder(node) + "/replica.sqlite", configuration: SQLiteLibrary.configuration())
            #expect(try queue.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") } == ["ok"], "\(node)")
            try queue.close()
            let replica = try region.openReplica(node)
            let alarms = try replica.alarms()
            let expected = alarms.filter { $0.code == "restore_detected" && restored.contains(node) }
            restoreAlarms += expected.count
            // A restore puts back the audit log too: what it wrote after the copy is lost, and
            // a peer that held a head of it says so (docs/AUDIT.md). Expected of restored nodes
            // only, and not counted here, since whether a peer held such a head is timing.
            let auditLoss = alarms.filter {
                ($0.code == "audit_diverged" && restored.contains(node)) || ($0.code == "audit_rewound" && restored.contains($0.subject))
            }
            #expect(alarms.count == expected.count + auditLoss.count, "\(node) raised alarms: \(alarms)")
            // The restores' losses, counted at the first node (the digests are equal).
            func losing(_ kind: String) { if position == 0 { lost[kind, default: 0] += 1 } }
            for (id, creation) in creations {
                let lookup = try replica.lookup(try #require(RecordID(id)))
                if case .unknown = lookup, creation.uncertain, !referenced.contains(id) {
                    losing("create")
                    continue
                }
                if let onlyUncertain = erasures[id] {
                    if case .erased = lookup { continue }
                    guard onlyUncertain, case .live = lookup else {
                        Issue.record("\(node): record \(id), erased with an acknowledgement, is \(lookup)")
                        continue
                    }
                    losing("erase")
                }
                guard case .live(let record) = lookup else {
                    Issue.record("\(node): acknowledged record \(id) (created at \(creation.node)) is \(lookup)")
                    continue
                }
                let grownField = lastWrites[ChaosLedger.FieldKey(record: id, field: "eye_colour")] != nil ? ["eye_colour"] : []
                for field in ["family_name", "given_name"] + grownField {
                    fieldsChecked += 1
                    let writes = lastWrites[ChaosLedger.FieldKey(record: id, field: field)] ?? [:]
                    let value = record.values[field]
                    guard let winner = record.provenance[field]?.origin.rawValue else {
                        // The grown field was never set where only writes a restore lost set it.
                        if field == "eye_colour", !writes.values.contains(where: { $0.certain != nil }) { continue }
                        Issue.record("\(node): \(id).\(field) has no provenance")
                        continue
                    }
                    // The value must be the last surviving write of the node its provenance
                    // names: its last certain one or an uncertain one after it. The creation
                    // counts only when no certain update was acknowledged (each update was made
                    // where the record already was, so its HLC is past the creation's).
                    var allowed: [String?] = []
                    if winner == creation.node, !writes.values.contains(where: { $0.certain != nil }) { allowed.append(creation.fields[field]) }
                    if let mine = writes[winner] { allowed += ([mine.certain].compactMap { $0 } + mine.uncertainAfter).map { Optional($0) } }
                    #expect(
                        allowed.contains(value),
                        "\(node): \(id).\(field) is \(value ?? "unset") by \(winner); acknowledged last writes \(writes), created as \(creation.fields[field] ?? "unset") at \(creation.node)"
                    )
                }
            }
            for (id, hit) in hits {
                let lookup = try replica.lookup(try #require(RecordID(id)))
                let target = try replica.lookup(try #require(RecordID(hit.record)))
                if case .live = target {
                    if case .live(let row) = lookup {
                        #expect(row.values["place"] == hit.place && row.values["record_id"] == hit.record, "\(node): hit \(id) is \(row.values)")
                    } else if hit.uncertain, case .unknown = lookup {
                        losing("hit")
                    } else {
                        Issue.record("\(node): acknowledged hit \(id) on live record \(hit.record) is \(lookup)")
                    }
                } else if case .live = lookup {
                    Issue.record("\(node): hit \(id) of record \(hit.record), which is \(target), is still live")
                }
            }
        }
        let conflicts = lastWrites.values.filter { $0.count > 1 }.count
        return (creations.count, fieldsChecked / max(1, nodes.count), conflicts, hits.count, lost, restoreAlarms)
    }
}
