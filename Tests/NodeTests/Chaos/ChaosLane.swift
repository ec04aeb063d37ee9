import Foundation
import TestSupport

/// One node's writer: creates, conflicting updates, hits and erasures (of its own records, as
/// only the owner erases) through the real `pccc`
/// CLI on the node's folder, whether its `serve` process is up or was just killed.
final class ChaosLane: @unchecked Sendable {
    let node: String
    private let folder: String
    private let ledger: ChaosLedger
    private var generator: SplitMix64
    private var counter = 0
    /// Refusals whose reason is not one a racing region explains (unknown or erased here).
    private(set) var unexpected: [String] = []
    /// Held for each write and by a copy or restore of the node's folder, so neither ever
    /// sees a write half-way.
    private let gate = NSLock()
    /// Whether a copy of the folder was taken that has not been restored yet: what the node
    /// acknowledges now may be lost to the restore.
    private var inRestoreWindow = false
    /// Whether the last command acknowledged inside a restore window.
    private var lastUncertain = false
    /// Whether the node runs the region's grown record schema, so its writes may set the field
    /// that schema adds.
    private var schemaGrown = false

    init(node: String, folder: String, ledger: ChaosLedger, seed: UInt64) {
        self.node = node
        self.folder = folder
        self.ledger = ledger
        generator = SplitMix64(seed: seed)
    }

    /// Makes `count` acknowledged writes, giving up after four times as many attempts.
    func write(_ count: Int) throws {
        var acknowledged = 0
        var attempts = 0
        while acknowledged < count, attempts < count * 4 {
            attempts += 1
            if try writeOne() { acknowledged += 1 }
        }
    }

    private func writeOne() throws -> Bool {
        counter += 1
        let tag = "\(node.uppercased())q\(counter)"
        let roll = Int.random(in: 0..<100, using: &generator)
        guard roll >= 40, let target = ledger.target(using: &generator) else {
            let fields = ["family_name": "Fam\(tag)", "given_name": "Giv\(tag)"]
            let result = try run(
                ["record", "add", "person", "--set", "category=suspect", "--group", "region"]
                    + fields.sorted { $0.key < $1.key }.flatMap { ["--set", "\($0.key)=\($0.value)"] })
            guard let result else { return false }
            ledger.created(result, at: node, fields, uncertain: lastUncertain)
            return true
        }
        switch roll {
        case 40..<82:
            var field = Bool.random(using: &generator) ? "family_name" : "given_name"
            var value = "Upd\(tag)"
            if schemaGrown, Int.random(in: 0..<3, using: &generator) == 0 {
                // The grown schema's field: older nodes hold it unapplied until they grow.
                (field, value) = ("eye_colour", ["blue", "brown", "green"].randomElement(using: &generator)!)
            }
            guard try run(["record", "update", target, "--set", "\(field)=\(value)"]) != nil else { return false }
            ledger.updated(target, field, to: value, at: node, uncertain: lastUncertain)
        case 82..<95:
            let place = "Place\(tag)"
            guard let id = try run(["hit", "add", target, "--place", place, "--outcome", "checked"]) else { return false }
            ledger.hit(id, on: target, place: place, uncertain: lastUncertain)
        default:
            guard let owned = ledger.target(ownedBy: node, using: &generator),
                try run(["record", "erase", owned, "--reason", "court_order"]) != nil
            else { return false }
            ledger.erased(owned, uncertain: lastUncertain)
        }
        return true
    }

    /// Takes a copy of the folder (`copy`, run with no write in progress) and opens the node's
    /// restore window: its writes from now on may be lost to the restore.
    func takingCopy(_ copy: () throws -> Void) throws {
        try gate.withLock {
            inRestoreWindow = true
            try copy()
        }
    }

    /// Puts the copy back (`restore`, run with no write in progress, told whether the node
    /// had grown its schema) and closes the window.
    func restoring(_ restore: (_ schemaGrown: Bool) throws -> Void) throws {
        try gate.withLock {
            try restore(schemaGrown)
            inRestoreWindow = false
        }
    }

    /// Moves the node to the region's grown record schema (`grow`, run with no write in
    /// progress); its later writes may set the new field.
    func growingSchema(_ grow: () throws -> Void) throws {
        try gate.withLock {
            try grow()
            schemaGrown = true
        }
    }

    /// Standard output when the command exited 0; nil (and the refusal counted) otherwise.
    /// Whether it was acknowledged inside a restore window is left in `lastUncertain`.
    private func run(_ arguments: [String]) throws -> String? {
        let result = try gate.withLock {
            lastUncertain = inRestoreWindow
            return try PCCCExecutable.run(arguments + ["--data", folder])
        }
        if result.status == 0 { return result.output.trimmingCharacters(in: .whitespacesAndNewlines) }
        let reason: String
        if result.error.contains("has been erased") {
            reason = "\(arguments[0]) \(arguments[1]): erased here"
        } else if result.error.contains("no record has id") {
            reason = "\(arguments[0]) \(arguments[1]): not here yet"
        } else {
            reason = "\(arguments[0]) \(arguments[1]): \(result.error.prefix(200))"
            unexpected.append("\(node): pccc \(arguments.joined(separator: " ")) exited \(result.status): \(result.error)")
        }
        ledger.refused(reason)
        return nil
    }
}
