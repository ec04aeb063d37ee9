import Foundation
import SyncCore
import TestSupport

extension LiveRegion {
    /// Runs `pccc keys rotate` on a stopped node's folder; returns the `signing_keys:` entry it
    /// printed for the topology (from its `signing_keys:` line to the end).
    func rotateSigningKey(of node: String, revoke: Bool) throws -> String {
        let output = try pccc(["keys", "rotate", "--data", folder(node)] + (revoke ? ["--revoke"] : []))
        guard let start = output.range(of: "signing_keys:") else { throw TestFailure("pccc keys rotate printed no signing_keys entry: \(output)") }
        return String(output[start.lowerBound...])
    }

    /// `yaml`, a topology this region wrote, with `node`'s one-line entry (and its
    /// `signing_key`) replaced by a block entry holding `entry`, the `signing_keys:` YAML that
    /// `pccc keys rotate` printed.
    static func replacingSigningKey(of node: String, in yaml: String, with entry: String) throws -> String {
        var lines = yaml.components(separatedBy: "\n")
        let prefix = "  - { id: \(node), address: \""
        guard let index = lines.firstIndex(where: { $0.hasPrefix(prefix) }) else { throw TestFailure("the topology has no entry for \(node):\n\(yaml)") }
        let rest = lines[index].dropFirst(prefix.count)
        guard let quote = rest.firstIndex(of: "\"") else { throw TestFailure("cannot read \(node)'s address in \(lines[index])") }
        let address = rest[..<quote]
        let block =
            ["  - id: \(node)", "    address: \"\(address)\""] + entry.components(separatedBy: "\n").filter { !$0.isEmpty }.map { "    " + $0 }
        lines.replaceSubrange(index...index, with: block)
        return lines.joined(separator: "\n")
    }

    /// Writes `text` as the topology of each of `nodes`' folders; each running one is sent
    /// SIGHUP and awaited (20 s at most) until its log says it reloaded the topology.
    func distributeTopology(_ text: String, to nodes: [String]) throws {
        for node in nodes {
            let reloads = reloadCount(node)
            try installTopology(text, on: [node], hangUp: false)
            guard isRunning(node) else { continue }
            try hangUp(node)
            try waitUntil("\(node) to reload its topology", seconds: 20) { reloadCount(node) > reloads }
        }
    }

    private func reloadCount(_ node: String) -> Int {
        log(node).components(separatedBy: "topology reloaded").count - 1
    }

    /// The seq `node` holds of one stream (origin, epoch and group): 0 when none.
    func heldSeq(at node: String, _ stream: StreamID) throws -> UInt64 {
        let streams = try statusList(at: node, "streams")
        let match = streams.first {
            $0["origin"] as? String == stream.origin.rawValue && ($0["epoch"] as? NSNumber)?.uint64Value == stream.epoch
                && $0["group"] as? String == stream.group.rawValue
        }
        guard let match else { return 0 }
        guard let seq = match["seq"] as? NSNumber else { throw TestFailure("\(node)'s status shows a stream with no seq: \(match)") }
        return seq.uint64Value
    }

    /// The epoch `node` writes in, as its status reports it.
    func writeEpoch(at node: String) throws -> UInt64 {
        let status = try status(at: node)
        guard let epoch = (status["epoch"] as? [String: Any])?["epoch"] as? NSNumber else { throw TestFailure("\(node)'s status has no epoch: \(status)") }
        return epoch.uint64Value
    }

    /// Whether `node`'s status lists an alarm of `code` whose subject is `subject`.
    func hasAlarm(at node: String, code: String, subject: String, mentioning text: String = "") throws -> Bool {
        try statusList(at: node, "alarms").contains {
            $0["code"] as? String == code && $0["subject"] as? String == subject && ($0["message"] as? String ?? "").contains(text)
        }
    }
}
