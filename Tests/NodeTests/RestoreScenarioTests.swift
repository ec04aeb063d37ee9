import Foundation
import Replica
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 22's restore scenarios with real `pccc serve` processes, real node folders and mTLS
/// on loopback: a node put back from an older copy of its folder (taken stopped or while it
/// serves), or rebuilt into an empty folder, converges with its peer, takes back what its
/// older self wrote and writes on without a fork (docs/PROTOCOL.md §5.9).
@Suite(.serialized, .ownThread) struct RestoreScenarioTests {
    /// How long the region may take to agree after the link comes back.
    static let convergenceSeconds = 30.0
    /// Audit heads go out every second, so a test can wait for b to hold a's latest.
    static let serveOptions = ["--audit-interval", "1"]

    /// a and b, linked, sharing `region` and `ops`, in session.
    func makeRegion() throws -> LiveRegion {
        let region = try LiveRegion(
            nodes: ["a", "b"], links: [LiveRegion.Link(from: "a", to: "b")], groups: ["region": ["a", "b"], "ops": ["a", "b"]])
        try region.start("a", options: Self.serveOptions)
        try region.start("b", options: Self.serveOptions)
        try region.waitUntil("a–b session", seconds: 20) { try region.isConnected("a", to: "b") && region.isConnected("b", to: "a") }
        return region
    }

    /// Every record id a node holds, from `record list --json`.
    func recordIDs(_ region: LiveRegion, at node: String) throws -> Set<String> {
        let output = try region.pccc(["record", "list", "--data", region.folder(node), "--json", "--limit", "10000", "--purpose", "test"])
        guard let list = try? JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]] else {
            throw TestFailure("record list at \(node) printed no JSON list: \(output)")
        }
        return Set(list.compactMap { $0["id"] as? String })
    }

    /// Adds `count` persons at `node`; returns their ids.
    func write(_ count: Int, at node: String, group: String = "region", _ label: String, in region: LiveRegion) throws -> [String] {
        try (1...count).map { try region.addRecord(at: node, group: group, ["family_name": "\(label) \($0)"]) }
    }

    /// Waits until both nodes hold every record in `written` and their digests are equal;
    /// returns the seconds from `since` to the end of the first pair of digest readings that
    /// were equal with every record held (an upper bound: they agreed by then).
    @discardableResult
    func waitForAgreement(_ region: LiveRegion, on written: [String], since: Date, seconds: Double) throws -> Double {
        let expected = Set(written)
        var agreedAt: Date?
        do {
            try region.waitUntil("a and b to hold all \(expected.count) records with equal digests", seconds: seconds) {
                guard try region.digest(at: "a") == region.digest(at: "b") else { return false }
                let read = Date()
                guard try recordIDs(region, at: "a").isSuperset(of: expected), try recordIDs(region, at: "b").isSuperset(of: expected) else { return false }
                agreedAt = read
                return true
            }
        } catch {
            for node in ["a", "b"] {
                let missing = expected.subtracting((try? recordIDs(region, at: node)) ?? [])
                print("\(node) lacks \(missing.count) of the records written; its streams: \((try? region.statusList(at: node, "streams")) ?? [])")
                print("\(node)'s log, last lines:\n\(region.log(node).suffix(6_000))")
            }
            throw error
        }
        return agreedAt!.timeIntervalSince(since)
    }

    /// Waits until `peer` has acknowledged, as `node` records it, every stream `node` sends it.
    func waitUntilAcknowledged(_ region: LiveRegion, at node: String, by peer: String) throws {
        try region.waitUntil("\(peer) to acknowledge everything \(node) holds", seconds: 20) {
            let streams = try region.peerEntry(at: node, peer)["streams"] as? [[String: Any]] ?? []
            return !streams.isEmpty && streams.allSatisfy { ($0["held"] as? NSNumber) == ($0["acked"] as? NSNumber) }
        }
    }

    /// Waits until `peer` holds `node`'s audit head as it is now, or a later one, as `node`'s
    /// `audit verify --against-peers` shows the peer's echo.
    func waitUntilAuditHeadHeld(_ region: LiveRegion, of node: String, by peer: String) throws {
        let head = try Replica.auditHead(path: region.folder(node) + "/replica.sqlite").seq
        try region.waitUntil("\(peer) to hold \(node)'s audit head, entry \(head) or later", seconds: 20, every: 0.2) {
            let printed = try region.pccc(["audit", "verify", "--against-peers", "--data", region.folder(node)])
            guard let line = printed.split(separator: "\n").first(where: { $0.hasPrefix("\(peer) holds entry ") }),
                let seq = Int64(line.dropFirst("\(peer) holds entry ".count).prefix { $0.isNumber })
            else { return false }
            return seq >= head
        }
    }

    /// The codes of a node's alarms, each with its subject, sorted.
    func alarms(_ region: LiveRegion, at node: String) throws -> [String] {
        try region.statusList(at: node, "alarms").map { "\($0["code"] as? String ?? "?") \($0["subject"] as? String ?? "?")" }.sorted()
    }

    /// The restore lost a's audit entries after the copy, whose head b held: b keeps that head
    /// and `audit_rewound`, a shows `audit_diverged`, until b's admin, knowing of the restore,
    /// forgets the head; then a's next head is b's first, and both alarms go (docs/AUDIT.md).
    func settleTheAuditLoss(_ region: LiveRegion, alsoAtA other: [String]) throws {
        try region.waitUntil("b's audit_rewound and a's audit_diverged", seconds: 20, every: 0.2) {
            try alarms(region, at: "b") == ["audit_rewound a"] && alarms(region, at: "a") == (other + ["audit_diverged b"]).sorted()
        }
        try region.pccc(["audit", "forget-head", "a", "--data", region.folder("b")])
        try region.waitUntil("the audit alarms to clear once b forgot a's head", seconds: 20, every: 0.2) {
            try alarms(region, at: "b").isEmpty && alarms(region, at: "a") == other
        }
    }

    /// The length of each node's log now: what the nodes print from here on is judged alone.
    func logOffsets(_ region: LiveRegion) -> [String: Int] {
        ["a": region.log("a").utf8.count, "b": region.log("b").utf8.count]
    }

    /// No session between a and b ended or was closed over an error, and no batch was refused,
    /// since `offsets`; both hold no quarantined batch and show the other connected, with no
    /// last error.
    func expectCleanSessions(_ region: LiveRegion, since offsets: [String: Int]) throws {
        for (node, peer) in [("a", "b"), ("b", "a")] {
            let printed = String(decoding: Array(region.log(node).utf8).dropFirst(offsets[node]!), as: UTF8.self)
            for sign in ["closing the session", "closed the session", "refused batch", "session with \(peer) ended"] {
                #expect(!printed.contains(sign), "\(node)'s log shows “\(sign)” after the heal:\n\(printed.suffix(4_000))")
            }
            let entry = try region.peerEntry(at: node, peer)
            #expect(entry["connected"] as? Bool == true, "\(node) shows \(peer) down: \(entry)")
            #expect((entry["last_error"] as? String ?? "").isEmpty, "\(node) shows a last error for \(peer): \(entry)")
            #expect((try region.status(at: node)["quarantined"] as? NSNumber)?.intValue == 0, "\(node) quarantined a batch")
        }
    }

    func epoch(_ region: LiveRegion, at node: String) throws -> (epoch: UInt64, reason: String?) {
        let status = try region.status(at: node)
        guard let epoch = status["epoch"] as? [String: Any], let number = epoch["epoch"] as? NSNumber else {
            throw TestFailure("\(node)'s status has no epoch: \(status)")
        }
        return (number.uint64Value, epoch["reason"] as? String)
    }

    /// Copies a node folder as `cp -a` does (contents, modes, times).
    func copyFolder(_ source: String, to destination: String) throws {
        let result = try ChildProcess.start("/bin/cp", ["-a", source, destination]).finish(seconds: 60)
        guard result.status == 0 else { throw TestFailure("cp -a \(source) \(destination) exited \(result.status): \(result.error)") }
    }

    /// Copies a serving node's folder file by file: the replica, its WAL and its shared-memory
    /// file first, then the rest, each as `cp -a` copies it. Waits for a write of the node's
    /// heartbeat (the WAL changes) and copies at once: the next comes 2 s later.
    func copyServingFolder(_ source: String, to destination: String) throws {
        let wal = source + "/replica.sqlite-wal"
        func changed() -> Date? { (try? FileManager.default.attributesOfItem(atPath: wal))?[.modificationDate] as? Date }
        let before = changed()
        try TestSupport.waitUntil("a heartbeat write to \(wal)", seconds: 10, every: 0.002) { changed() != before }
        let mode = try FileManager.default.attributesOfItem(atPath: source)[.posixPermissions]
        try FileManager.default.createDirectory(
            atPath: destination, withIntermediateDirectories: false, attributes: mode.map { [.posixPermissions: $0] })
        let names = try FileManager.default.contentsOfDirectory(atPath: source)
        let database = ["replica.sqlite", "replica.sqlite-wal", "replica.sqlite-shm"].filter(names.contains)
        let rest = names.filter { !database.contains($0) }.sorted()
        let result = try ChildProcess.start("/bin/cp", ["-a"] + (database + rest).map { source + "/" + $0 } + [destination]).finish(seconds: 60)
        guard result.status == 0 else { throw TestFailure("copying \(source) exited \(result.status): \(result.error)") }
    }

    /// The scenario of issue 22, word for word: a and b in sync; a's folder is copied (stopped,
    /// or while it serves); a writes 5 that reach b; the link goes down (both stop); the copy is
    /// put back in place of a's folder; a starts alone and its staff write 3; the link comes back.
    /// How the older copy is made and put back.
    enum CopyKind {
        case folderOfAStoppedNode
        case folderOfAServingNode
        case backupAndRestoreCommands
    }

    func restoreScenario(_ kind: CopyKind) throws {
        let copyWhileServing = kind == .folderOfAServingNode
        let region = try makeRegion()
        var written = try write(2, at: "a", "Before A", in: region)
        written += try write(1, at: "a", group: "ops", "Before A ops", in: region)
        written += try write(2, at: "b", "Before B", in: region)
        try waitForAgreement(region, on: written, since: Date(), seconds: Self.convergenceSeconds)
        try waitUntilAcknowledged(region, at: "a", by: "b")
        try waitUntilAcknowledged(region, at: "b", by: "a")

        let copy = region.directory.path("copy-of-a")
        switch kind {
        case .folderOfAServingNode:
            try copyServingFolder(region.folder("a"), to: copy)
        case .folderOfAStoppedNode:
            region.stop("a")
            try copyFolder(region.folder("a"), to: copy)
            try region.start("a", options: Self.serveOptions)
        case .backupAndRestoreCommands:
            let printed = try region.pccc(["backup", "--data", region.folder("a"), "--out", copy])
            #expect(printed.contains("integrity_check: ok"), "\(printed)")
        }
        let copiedEpoch = try epoch(region, at: "a").epoch
        let lost = try write(5, at: "a", "Lost", in: region)
        written += lost
        try region.waitUntil("a's 5 records at b", seconds: 20) { try recordIDs(region, at: "b").isSuperset(of: lost) }
        try waitUntilAuditHeadHeld(region, of: "a", by: "b")

        // The link is down: b stays stopped while a is put back from the copy.
        region.stop("a")
        region.stop("b")
        if kind == .backupAndRestoreCommands {
            let printed = try region.pccc(["restore", copy, "--data", region.folder("a")])
            #expect(printed.contains("epoch:"), "\(printed)")
        } else {
            try FileManager.default.removeItem(atPath: region.folder("a"))
            try copyFolder(copy, to: region.folder("a"))
        }
        try region.start("a", options: Self.serveOptions)
        written += try write(3, at: "a", "After restore", in: region)
        let restoredEpoch = try epoch(region, at: "a")
        if kind == .backupAndRestoreCommands {
            #expect(restoredEpoch.reason == "restored" && restoredEpoch.epoch > copiedEpoch, "pccc restore began no epoch: \(restoredEpoch)")
        } else {
            #expect(restoredEpoch.epoch == copiedEpoch, "a changed epoch before meeting b")
        }

        // The link comes back.
        let offsets = logOffsets(region)
        let heal = Date()
        try region.start("b", options: Self.serveOptions)
        let seconds = try waitForAgreement(region, on: written, since: heal, seconds: Self.convergenceSeconds)
        let how = [
            CopyKind.folderOfAStoppedNode: "", .folderOfAServingNode: " (copy taken while serving)", .backupAndRestoreCommands: " (pccc backup, pccc restore)",
        ]
        print("restore\(how[kind]!): \(String(format: "%.2f", seconds)) s from the heal to equal digests, \(written.count) records at both")

        try expectCleanSessions(region, since: offsets)
        let now = try epoch(region, at: "a")
        if kind == .backupAndRestoreCommands {
            // The restore changed the epoch before a wrote: there is nothing to detect.
            #expect(now == restoredEpoch, "a's epoch: \(now)")
            try settleTheAuditLoss(region, alsoAtA: [])
        } else {
            #expect(now.reason == "restore_detected", "a's epoch: \(now)")
            #expect(now.epoch > copiedEpoch, "a writes in epoch \(now.epoch), the copy's was \(copiedEpoch)")
            try settleTheAuditLoss(region, alsoAtA: ["restore_detected a"])
        }

        // a writes on in its new epoch, and b takes it.
        let next = try region.addRecord(at: "a", group: "region", ["family_name": "After the heal"])
        written.append(next)
        try waitForAgreement(region, on: written, since: Date(), seconds: Self.convergenceSeconds)
        try expectCleanSessions(region, since: offsets)
    }

    @Test func theRestoreScenarioWordForWord() throws {
        try restoreScenario(.folderOfAStoppedNode)
    }

    @Test func theSameWithACopyTakenWhileServing() throws {
        try restoreScenario(.folderOfAServingNode)
    }

    @Test func theSameWithPcccBackupAndPcccRestore() throws {
        try restoreScenario(.backupAndRestoreCommands)
    }

    @Test func aNodeRebuiltIntoAnEmptyFolderGetsBackEverythingItWrote() throws {
        let region = try makeRegion()
        var written: [String] = []
        for round in 1...3 {
            written += try write(2, at: "a", "Region \(round)", in: region)
            written += try write(1, at: "a", group: "ops", "Ops \(round)", in: region)
        }
        written += try write(2, at: "b", "From B", in: region)
        try waitForAgreement(region, on: written, since: Date(), seconds: Self.convergenceSeconds)
        try waitUntilAcknowledged(region, at: "a", by: "b")
        let old = try epoch(region, at: "a")

        region.stop("a")
        try region.rebuild("a")
        #expect(try recordIDs(region, at: "a").isEmpty, "the rebuilt folder holds records before it met b")
        let offsets = logOffsets(region)
        let started = Date()
        try region.start("a", options: Self.serveOptions)
        let seconds = try waitForAgreement(region, on: written, since: started, seconds: Self.convergenceSeconds)
        print("rebuild: \(String(format: "%.2f", seconds)) s from the rebuilt node's start to all \(written.count) records and equal digests")

        let now = try epoch(region, at: "a")
        #expect(now.reason == "initialised", "a's epoch: \(now)")
        #expect(now.epoch != old.epoch && now.epoch > old.epoch, "the rebuilt a writes in epoch \(now.epoch), its old folder wrote in \(old.epoch)")
        let next = try region.addRecord(at: "a", group: "region", ["family_name": "After the rebuild"])
        written.append(next)
        try region.waitUntil("a's new record at b", seconds: Self.convergenceSeconds) { try region.record(at: "b", next) != nil }
        try waitForAgreement(region, on: written, since: Date(), seconds: Self.convergenceSeconds)
        try expectCleanSessions(region, since: offsets)
        // The rebuilt folder's audit log begins anew: b held a head of the lost one.
        try settleTheAuditLoss(region, alsoAtA: [])
    }
}
