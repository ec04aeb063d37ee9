import Foundation
import Replica
import SyncCore
import TestSupport
import Testing
import Topology

#if canImport(Glibc)
    import Glibc
#endif

/// A region of real `pccc serve` processes on 127.0.0.1, each with a certificate from a CA
/// made for the test and a node folder made by `pccc init`.
final class LiveRegion: @unchecked Sendable {
    struct Link {
        let from: String
        let to: String
        /// Dial this port instead of the listener's own (a proxy in front of it).
        var viaPort: Int?
    }

    let directory: TemporaryDirectory
    let nodes: [String]
    let ports: [String: Int]
    let authority: RegionCertificates.Issued
    private(set) var issued: [String: RegionCertificates.Issued] = [:]
    private(set) var signingKeys: [String: BatchSigningKey] = [:]
    private var processes: [String: Process] = [:]
    /// The HTTP port of each node started with its API.
    private(set) var apiPorts: [String: Int] = [:]
    let topologyPath: String
    private let nodesYAML: String

    /// Makes certificates, the topology and the node folders; starts nothing.
    /// `idle` nodes are in the topology and have certificates but no folder or process.
    /// The certificates of `revokedNodes` are listed as revoked.
    init(nodes: [String], idle: [String] = [], links: [Link], groups: [String: [String]], revokedNodes: [String] = []) throws {
        directory = try TemporaryDirectory()
        self.nodes = nodes
        var ports: [String: Int] = [:]
        for node in nodes + idle { ports[node] = try Self.freePort() }
        self.ports = ports
        authority = try RegionCertificates.makeAuthority(name: "test CA")
        try authority.certificatePEM.write(toFile: directory.path("ca.pem"), atomically: true, encoding: .utf8)
        var nodesYAML = ""
        for node in nodes + idle {
            let key = BatchSigningKey()
            signingKeys[node] = key
            let certificate = try RegionCertificates.issue(node: node, caCertificatePEM: authority.certificatePEM, caPrivateKeyPEM: authority.privateKeyPEM)
            issued[node] = certificate
            try certificate.certificatePEM.write(toFile: directory.path("\(node).pem"), atomically: true, encoding: .utf8)
            try certificate.privateKeyPEM.write(toFile: directory.path("\(node).key"), atomically: true, encoding: .utf8)
            try ("ed25519-signing-key:" + Base64.encode(key.rawRepresentation)).write(
                toFile: directory.path("\(node).signing"), atomically: true, encoding: .utf8
            )
            nodesYAML += "  - { id: \(node), address: \"127.0.0.1:\(ports[node]!)\", signing_key: \"\(key.publicKey.topologyForm)\" }\n"
        }
        self.nodesYAML = nodesYAML
        topologyPath = directory.path("topology.yaml")
        try topologyYAML(links: links, groups: groups, revokedNodes: revokedNodes).write(toFile: topologyPath, atomically: true, encoding: .utf8)
        for node in nodes {
            try pccc([
                "init", "--data", folder(node), "--node", node, "--topology", topologyPath, "--ca", directory.path("ca.pem"),
                "--cert", directory.path("\(node).pem"), "--key", directory.path("\(node).key"),
                "--signing-key", directory.path("\(node).signing"),
            ])
        }
    }

    /// The topology file for these nodes with the given links, groups and revocations.
    func topologyYAML(links: [Link], groups: [String: [String]], revokedNodes: [String] = []) -> String {
        var yaml = "network: test-region\nnodes:\n" + nodesYAML + "links:\n"
        for link in links {
            if let via = link.viaPort {
                yaml += "  - { from: \(link.from), to: \(link.to), address: \"127.0.0.1:\(via)\" }\n"
            } else {
                yaml += "  - [\(link.from), \(link.to)]\n"
            }
        }
        yaml += "groups:\n"
        for (group, members) in groups.sorted(by: { $0.key < $1.key }) {
            yaml += "  \(group): [\(members.joined(separator: ", "))]\n"
        }
        let revoked = revokedNodes.map { issued[$0]!.serial }
        yaml += "revoked: [\(revoked.map { "\"\($0)\"" }.joined(separator: ", "))]\n"
        return yaml
    }

    /// Writes `text` as the topology of each running node's folder and, when asked, sends SIGHUP
    /// (otherwise the nodes' file watch picks it up within a second).
    func installTopology(_ text: String, on nodes: [String], hangUp: Bool) throws {
        for node in nodes {
            try text.write(toFile: folder(node) + "/topology.yaml", atomically: true, encoding: .utf8)
            if hangUp, let process = processes[node], process.isRunning { kill(process.processIdentifier, SIGHUP) }
        }
    }

    /// When `node`'s session with `peer` started, as its status reports; nil when down.
    func sessionStart(_ node: String, with peer: String) throws -> String? {
        let peers = try status(at: node)["peers"] as? [[String: Any]] ?? []
        guard let entry = peers.first(where: { $0["peer"] as? String == peer }), entry["connected"] as? Bool == true else { return nil }
        return entry["since"] as? String
    }

    deinit {
        for process in processes.values where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    func folder(_ node: String) -> String { directory.path("node-\(node)") }
    func logPath(_ node: String) -> String { directory.path("\(node).log") }

    /// Starts `pccc serve` and waits until it listens; with `api`, also serves the web UI and
    /// API on a free loopback port (``apiPort(_:)``). `options` go to `serve` as they are;
    /// `environment` adds to the test's own.
    func start(_ node: String, api: Bool = false, logLevel: String = "debug", options: [String] = [], environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = try PCCCExecutable.url
        process.environment = PCCCExecutable.environment(adding: environment)
        process.arguments = ["serve", "--data", folder(node), "--log-level", logLevel] + (api ? ["--api", "127.0.0.1:0"] : []) + options
        let output = Pipe()
        process.standardOutput = output
        if !FileManager.default.fileExists(atPath: logPath(node)) {
            _ = FileManager.default.createFile(atPath: logPath(node), contents: nil)
        }
        let logFile = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath(node)))
        logFile.seekToEndOfFile()
        process.standardError = logFile
        try process.run()
        processes[node] = process
        var seen = Data()
        func ready() -> Bool {
            let text = String(decoding: seen, as: UTF8.self)
            return text.contains("listening on port") && (!api || text.contains("api listening on"))
        }
        while !ready() {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else {
                process.waitUntilExit()
                throw TestFailure("pccc serve for \(node) exited with \(process.terminationStatus): \(log(node))")
            }
            seen.append(chunk)
        }
        let text = String(decoding: seen, as: UTF8.self)
        if api, let range = text.range(of: "api listening on http://127.0.0.1:") {
            apiPorts[node] = Int(text[range.upperBound...].prefix { $0.isNumber })
        }
    }

    /// Stops a node: SIGTERM for a clean stop, SIGKILL for a crash.
    /// Sends `signal` and waits for the node to exit. A node that ignores SIGTERM for `seconds`
    /// fails the test and is killed, so a hung shutdown cannot hang the suite.
    func stop(_ node: String, signal: Int32 = SIGTERM, seconds: Double = 30) {
        guard let process = processes[node], process.isRunning else { return }
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning {
            Issue.record("\(node) did not exit within \(seconds) s of signal \(signal); killed it")
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }

    func isRunning(_ node: String) -> Bool { processes[node]?.isRunning ?? false }

    /// A running node's resident set size in bytes: now (`VmRSS`) or its peak so far (`VmHWM`).
    func residentBytes(_ node: String, peak: Bool = false) throws -> Int {
        guard let process = processes[node], process.isRunning else { throw TestFailure("\(node) is not running") }
        let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(peak ? "VmHWM:" : "VmRSS:") }),
            let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { throw TestFailure("no memory line for \(node)") }
        return kilobytes * 1024
    }

    func log(_ node: String) -> String {
        (try? String(contentsOfFile: logPath(node), encoding: .utf8)) ?? ""
    }

    /// Runs `pccc`, requiring exit 0; returns standard output, trimmed.
    @discardableResult
    func pccc(_ arguments: [String]) throws -> String {
        let result = try PCCCExecutable.run(arguments)
        guard result.status == 0 else {
            throw TestFailure("pccc \(arguments.joined(separator: " ")) exited \(result.status): \(result.error)")
        }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Adds a record at `node`; returns its id.
    func addRecord(at node: String, kind: String = "person", group: String, _ fields: [String: String]) throws -> String {
        try pccc(
            ["record", "add", kind, "--data", folder(node), "--group", group]
                + fields.sorted(by: { $0.key < $1.key }).flatMap { ["--set", "\($0.key)=\($0.value)"] })
    }

    func update(at node: String, _ id: String, _ fields: [String: String]) throws {
        try pccc(["record", "update", id, "--data", folder(node)] + fields.sorted(by: { $0.key < $1.key }).flatMap { ["--set", "\($0.key)=\($0.value)"] })
    }

    /// The record as `record show --json` prints it, or nil while the node does not hold it.
    func record(at node: String, _ id: String) throws -> [String: Any]? {
        let result = try PCCCExecutable.run(["record", "show", id, "--data", folder(node), "--json"])
        guard result.status == 0 else { return nil }
        return try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
    }

    func digest(at node: String, group: String? = nil) throws -> String {
        try pccc(["digest", "--data", folder(node)] + (group.map { ["--group", $0] } ?? []))
    }

    /// `status --json`; exit 2 (a peer down past the threshold) is a normal answer here.
    func status(at node: String, downThreshold: Int = 300) throws -> [String: Any] {
        let result = try PCCCExecutable.run(["status", "--data", folder(node), "--json", "--down-threshold", String(downThreshold)])
        guard result.status == 0 || result.status == 2,
            let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        else {
            throw TestFailure("status at \(node) exited \(result.status): \(result.error)")
        }
        return object
    }

    /// The seq `node` holds of a stream.
    func heldSeq(at node: String, origin: String, group: String) throws -> UInt64 {
        let streams = try status(at: node)["streams"] as? [[String: Any]] ?? []
        let match = streams.first { $0["origin"] as? String == origin && $0["group"] as? String == group }
        return (match?["seq"] as? NSNumber)?.uint64Value ?? 0
    }

    /// Whether a peer shows as connected in `node`'s status.
    func isConnected(_ node: String, to peer: String) throws -> Bool {
        let peers = try status(at: node)["peers"] as? [[String: Any]] ?? []
        return peers.contains { $0["peer"] as? String == peer && ($0["connected"] as? Bool ?? false) }
    }

    /// Polls until `condition` holds; throws with `what` after `seconds`. Returns the seconds it took.
    @discardableResult
    func waitUntil(_ what: String, seconds: Double, every interval: Double = 0.05, _ condition: () throws -> Bool) throws -> Double {
        let start = Date()
        while true {
            if try condition() { return Date().timeIntervalSince(start) }
            if Date().timeIntervalSince(start) > seconds {
                throw TestFailure("timed out after \(seconds) s waiting for \(what)")
            }
            Thread.sleep(forTimeInterval: interval)
        }
    }

    /// The bytes of a node's replica files (database and WAL), to prove what never reached it.
    func replicaBytes(_ node: String) -> Data {
        var bytes = Data()
        for suffix in ["", "-wal"] {
            if let data = FileManager.default.contents(atPath: folder(node) + "/replica.sqlite" + suffix) { bytes.append(data) }
        }
        return bytes
    }

    /// A TCP port free right now on 127.0.0.1.
    static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw TestFailure("cannot open a socket") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw TestFailure("cannot bind a socket") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(socket, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

extension LiveRegion {
    /// The region the handshake tests knock on: a and b running and in session, b serving its
    /// API (for `/metrics`); c has certificates but no link, d is linked to b, e is linked to b
    /// but revoked.
    static func admission() throws -> LiveRegion {
        let region = try LiveRegion(
            nodes: ["a", "b"],
            idle: ["c", "d", "e"],
            links: [LiveRegion.Link(from: "a", to: "b"), LiveRegion.Link(from: "d", to: "b"), LiveRegion.Link(from: "e", to: "b")],
            groups: ["region": ["a", "b", "c", "d", "e"]],
            revokedNodes: ["e"]
        )
        try region.start("b", api: true)
        try region.start("a")
        try region.waitUntil("a–b session", seconds: 10) { try region.isConnected("a", to: "b") }
        return region
    }

    /// Opens a node's replica in this process, with the trust its topology gives.
    func openReplica(_ node: String) throws -> Replica {
        var keys: [String: BatchVerifyingKey] = [:]
        for (id, key) in signingKeys { keys[id] = key.publicKey }
        let topology = try RegionTopology.parse(yaml: String(contentsOfFile: topologyPath, encoding: .utf8), file: topologyPath)
        let roster = Roster(network: topology.network, signingKeys: keys, groups: topology.groups.mapValues(Set.init))
        return try Replica(
            path: folder(node) + "/replica.sqlite",
            configuration: ReplicaConfiguration(nodeID: node, signingKey: signingKeys[node]!, roster: roster)
        )
    }
}
