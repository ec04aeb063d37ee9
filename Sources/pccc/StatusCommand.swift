import ArgumentParser
import Foundation
import Node
import NodeService
import Records
import Replica
import SyncCore
import Topology

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show peers (connected or not, last contact, lag per stream), group reachability, streams held, alarms and certificate expiry.",
        discussion: """
            Exits 2 when a linked peer has been down longer than --down-threshold, when a certificate in use (this node's, \
            a trusted CA's, or a peer's as last seen) expires within 7 days or has expired, or when the files in DATA/tls \
            cannot be used; one line on standard error says why. \
            Certificates that expire within 30 days are shown as warnings.
            """
    )
    @Option(help: "The node folder.") var data: String
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Exit with status 2 when a linked peer has been down longer than this many seconds (for monitoring).")
    var downThreshold = NodeStatus.defaultDownThreshold

    func run() throws {
        let directory = NodeDirectory(data)
        let (replica, topology) = try directory.openWithTopology()
        // The files in DATA/tls, as a node reloaded now would use them; files that cannot serve
        // the node would be refused at its next reload, so they fail status.
        var certificates: [CertificateInUse] = []
        var unusable: String?
        if FileManager.default.fileExists(atPath: directory.certificatePath) {
            do {
                let credentials = try directory.credentials()
                certificates = credentials.certificatesInUse
                if let problem = credentials.problem(servingAs: replica.configuration.nodeID) { throw CLIError(problem) }
            } catch {
                unusable = "The TLS files in \(data)/tls cannot be used: \(error); a reload (SIGHUP) would refuse them"
            }
        }
        let status = try NodeStatus(replica: replica, topology: topology, certificates: certificates)
        if json {
            try printJSON(status.json(downThreshold: downThreshold))
        } else {
            printText(status)
        }
        let down = status.peersDown(longerThan: downThreshold)
        var reasons: [String] = []
        if !down.isEmpty { reasons.append("peers down longer than \(downThreshold) s: \(down.map(\.rawValue).joined(separator: ", "))") }
        reasons += status.certificates(atLeast: .critical).map(Self.urgentSentence)
        // An own certificate already reported as expired is not reported twice.
        let ownExpired = status.certificates.contains { $0.certificate.name == CertificateInUse.ownName && $0.level == .expired }
        if let unusable, !ownExpired { reasons.append(unusable) }
        guard !reasons.isEmpty else { return }
        FileHandle.standardError.write(Data(reasons.map { $0 + "\n" }.joined().utf8))
        throw ExitCode(2)
    }

    /// The line on standard error for a certificate that expires within 7 days or expired.
    static func urgentSentence(_ expiry: CertificateExpiry) -> String {
        let name = expiry.certificate.name
        let action =
            name == CertificateInUse.ownName
            ? "issue this node a new certificate and reload it (SIGHUP)"
            : name.hasPrefix(CertificateInUse.peerPrefix)
                ? "\(name.dropFirst(CertificateInUse.peerPrefix.count)) needs a new certificate" : "roll the region over to a new CA (certs/README.md)"
        let sentence = "\(expiry.sentence); \(action)"
        return sentence.prefix(1).uppercased() + sentence.dropFirst()
    }

    private func printText(_ status: NodeStatus) {
        func time(_ milliseconds: UInt64?) -> String? { milliseconds.map(Timestamps.iso8601(milliseconds:)) }
        print("node \(status.node): \(status.serving ? "serving" : "not serving"), record schema version \(status.recordSchemaVersion)")
        print(status.peers.isEmpty ? "peers: none linked" : "peers:")
        for peer in status.peers {
            var line = "  \(peer.peer): \(peer.connected ? "connected" : "down")"
            if let since = time(peer.status?.since) { line += " since \(since)" }
            if let contact = time(peer.status?.lastContact) { line += ", last contact \(contact)" }
            if peer.status?.topologyMatches == false { line += ", TOPOLOGY DIFFERS" }
            if let skew = peer.status?.clockSkew, abs(skew) >= 1000 { line += ", clock \(skew > 0 ? "+" : "")\(skew / 1000) s" }
            if let batchIn = time(peer.status?.lastBatchIn) { line += ", last batch in \(batchIn)" }
            if let batchOut = time(peer.status?.lastBatchOut) { line += ", out \(batchOut)" }
            if let software = peer.status?.software { line += ", runs \(software)" }
            if peer.waitingForSchema > 0 { line += ", \(peer.waitingForSchema) changes from it wait for a newer record schema" }
            if !peer.connected, let error = peer.status?.lastError { line += " (\(error))" }
            print(line)
            for lag in peer.streams where lag.lag > 0 {
                print("    \(lag.stream): \(lag.lag) batches not acknowledged, oldest waiting \(lag.oldestWaitingSeconds) s")
            }
        }
        for group in status.groups where !group.unreachable.isEmpty {
            print("group \(group.name) has no path to \(group.unreachable.map(\.rawValue).joined(separator: ", ")) through its members")
        }
        let epoch = status.writeEpoch
        if let reason = epoch.reason, let started = time(epoch.startedAt) {
            print("writes in epoch \(epoch.epoch) (began \(started): \(reason.rawValue.replacingOccurrences(of: "_", with: " ")))")
        } else {
            print("writes in epoch 0")
        }
        print("streams held:")
        for stream in status.streams { print("  \(stream.stream): seq \(stream.seq)") }
        print("quarantined batches: \(status.quarantined)")
        if status.waitingForSchema > 0 {
            print("changes waiting for a newer record schema: \(status.waitingForSchema) (applied when this node's schema.yaml grows)")
        }
        print(status.alarms.isEmpty ? "alarms: none" : "alarms:")
        for alarm in status.alarms { print("  [\(alarm.code)] \(alarm.message) (×\(alarm.count))") }
        print(status.certificates.isEmpty ? "certificates: none found" : "certificates:")
        for expiry in status.certificates {
            let until = Timestamps.iso8601(milliseconds: UInt64(max(0, expiry.certificate.notAfter.timeIntervalSince1970 * 1000)))
            let mark: String
            switch expiry.level {
            case .ok: mark = ""
            case .warning: mark = " (WARNING: expires within 30 days)"
            case .critical: mark = " (CRITICAL: expires within 7 days)"
            case .expired: mark = " (EXPIRED)"
            }
            let name = expiry.certificate.name
            let what =
                name == CertificateInUse.ownName
                ? "own" : name.hasPrefix(CertificateInUse.peerPrefix) ? "peer \(name.dropFirst(CertificateInUse.peerPrefix.count))" : "CA"
            print("  \(what): serial \(expiry.certificate.serial), valid until \(until), \(expiry.daysLeft) days left\(mark)")
        }
    }
}
