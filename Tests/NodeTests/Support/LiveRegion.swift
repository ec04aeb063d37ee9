import Foundation
import NodeService
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
///
/// Each node's port is bound here, for the region's whole life, and handed to its `pccc serve`
/// as an inherited socket (`--listen-fd 3`), on which the node listens: the topology can name
/// every port before any node starts, a restarted node is back at its address, and no other
/// process can take a port between a test choosing it and a node binding it. A node that
/// stops leaves a listening socket behind, which would let peers connect to nobody, so
/// ``stop(_:signal:seconds:)`` swaps it for a fresh one bound to the same port and not
/// listening: a down node refuses connections, as a real one does. Every child dies with the
/// test process (``ChildProcess``).
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
    private var sockets: [String: CInt]
    private var processes: [String: ChildProcess] = [:]
    /// Where each running node's part of its log begins, to look there for a crash report.
    private var logStarts: [String: UInt64] = [:]
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
        var sockets: [String: CInt] = [:]
        var ports: [String: Int] = [:]
        do {
            for node in nodes + idle {
                (sockets[node], ports[node]) = try Self.bindLoopback()
            }
        } catch {
            for socket in sockets.values { close(socket) }
            throw error
        }
        self.sockets = sockets
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
            try NodeDirectory.writeSigningKey(key, to: directory.path("\(node).signing"))
            nodesYAML += "  - { id: \(node), address: \"127.0.0.1:\(ports[node]!)\", signing_key: \"\(key.publicKey.topologyForm)\" }\n"
        }
        self.nodesYAML = nodesYAML
        topologyPath = directory.path("topology.yaml")
        try topologyYAML(links: links, groups: groups, revokedNodes: revokedNodes).write(toFile: topologyPath, atomically: true, encoding: .utf8)
        for node in nodes { try initialise(node) }
    }

    /// `pccc init` of the node's folder with its certificate, TLS key and signing key.
    private func initialise(_ node: String) throws {
        try pccc([
            "init", "--data", folder(node), "--node", node, "--topology", topologyPath, "--ca", directory.path("ca.pem"),
            "--cert", directory.path("\(node).pem"), "--key", directory.path("\(node).key"),
            "--signing-key", directory.path("\(node).signing"),
        ])
    }

    /// A node rebuilt after its folder was lost: deletes the folder of the stopped node and
    /// makes it again with `pccc init`, with the same certificate, TLS key and signing key.
    func rebuild(_ node: String) throws {
        guard !isRunning(node) else { throw TestFailure("\(node) is running; stop it before rebuilding its folder") }
        try FileManager.default.removeItem(atPath: folder(node))
        try initialise(node)
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
            if hangUp { processes[node]?.signal(SIGHUP) }
        }
    }

    /// Sends SIGHUP to a running node: it reloads its TLS material and its topology.
    func hangUp(_ node: String) throws {
        guard let process = processes[node], process.isRunning else { throw TestFailure("\(node) is not running") }
        process.signal(SIGHUP)
    }

    /// When `node`'s session with `peer` started, as its status reports; nil when down.
    func sessionStart(_ node: String, with peer: String) throws -> String? {
        let entry = try peerEntry(at: node, peer)
        guard try Self.flag(entry, "connected", at: node) else { return nil }
        guard let since = entry["since"] as? String else { throw TestFailure("\(node)'s status shows \(peer) connected with no since: \(entry)") }
        return since
    }

    deinit {
        for process in processes.values where process.isRunning {
            process.signal(SIGKILL)
            _ = try? process.wait(seconds: 30)
        }
        for node in processes.keys.sorted() {
            if let report = crashReport(node) { Issue.record("\(node) crashed: \(report)") }
        }
        for socket in sockets.values { close(socket) }
    }

    func folder(_ node: String) -> String { directory.path("node-\(node)") }
    func logPath(_ node: String) -> String { directory.path("\(node).log") }

    /// Starts `pccc serve` on the node's socket and waits (a minute at most) until it listens;
    /// with `api`, also serves the web UI and API on a free port of `apiAddress` (``apiPorts``),
    /// with `apiOptions` (`--api-cert`, `--api-key`). `options` go to `serve` as they are;
    /// `environment` adds to the test's own.
    func start(
        _ node: String, api: Bool = false, apiAddress: String = "127.0.0.1", apiOptions: [String] = [], logLevel: String = "debug",
        options: [String] = [], environment: [String: String] = [:]
    ) throws {
        guard nodes.contains(node) else { throw TestFailure("\(node) is not a node of this region that runs") }
        guard let socket = sockets[node] else { throw TestFailure("\(node)'s port could not be bound again after it last stopped") }
        let arguments =
            ["serve", "--data", folder(node), "--log-level", logLevel, "--listen-fd", "3"] + (api ? ["--api", "\(apiAddress):0"] + apiOptions : [])
            + options
        logStarts[node] = ((try? FileManager.default.attributesOfItem(atPath: logPath(node)))?[.size] as? NSNumber)?.uint64Value ?? 0
        let process = try ChildProcess.start(
            try PCCCExecutable.url.path, arguments, environment: environment, descriptors: [3: socket],
            standardError: .appended(toFile: logPath(node))
        )
        processes[node] = process
        let text: String
        do {
            text = try process.waitForOutput(seconds: 60) { $0.contains("listening on port") && (!api || $0.contains("api listening on")) }
        } catch {
            throw TestFailure("pccc serve for \(node) did not start: \(error); its log: \(log(node).suffix(4_000))")
        }
        if api {
            let scheme = apiOptions.contains("--api-cert") ? "https" : "http"
            guard let range = text.range(of: "api listening on \(scheme)://\(apiAddress):"), let port = Int(text[range.upperBound...].prefix { $0.isNumber })
            else {
                throw TestFailure("pccc serve for \(node) printed no API port: \(text)")
            }
            apiPorts[node] = port
        }
    }

    /// Stops a node: SIGTERM for a clean stop, SIGKILL for a crash.
    /// Sends `signal` and waits for the node to exit. A node that ignores SIGTERM for `seconds`
    /// fails the test and is killed, so a hung shutdown cannot hang the suite.
    func stop(_ node: String, signal: Int32 = SIGTERM, seconds: Double = 30) {
        guard let process = processes[node], process.isRunning else {
            // Gone already: it may have crashed on its own.
            if processes[node] != nil, let report = crashReport(node) { Issue.record("\(node) crashed: \(report)") }
            return
        }
        process.signal(signal)
        do {
            try process.wait(seconds: seconds)
        } catch {
            Issue.record("\(node) did not exit within \(seconds) s of signal \(signal); killed it. \(error); its log ends: \(log(node).suffix(3_000))")
        }
        // A node that crashed fails the test that ran it, whatever else the test looked at.
        if let report = crashReport(node) { Issue.record("\(node) crashed: \(report)") }
        guard let socket = sockets.removeValue(forKey: node), let port = ports[node] else { return }
        close(socket)
        // A child being spawned at this moment holds a copy of the old socket until it execs
        // (the descriptor closes on exec, not on fork), keeping the port taken for that long.
        let started = Date()
        let deadline = started.addingTimeInterval(10)
        var attempts = 0
        while true {
            attempts += 1
            do {
                sockets[node] = try Self.bindLoopback(port: port).socket
                if attempts > 1 {
                    print("port \(port) of \(node) was held \(Int(Date().timeIntervalSince(started) * 1000)) ms after its node stopped; bound again")
                }
                return
            } catch {
                guard Date() < deadline else {
                    // `start` now refuses this node rather than hand its child a closed descriptor.
                    Issue.record("cannot bind port \(port) again for \(node) within 10 s: \(error); sockets on it: \(Self.socketsOnPort(port))")
                    return
                }
                usleep(5_000)
            }
        }
    }

    func isRunning(_ node: String) -> Bool { processes[node]?.isRunning ?? false }

    /// The Swift runtime's crash report in what the node's last run logged, if it has one.
    func crashReport(_ node: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: logPath(node)) else { return nil }
        defer { try? handle.close() }
        try? handle.seek(toOffset: logStarts[node] ?? 0)
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        guard let start = text.range(of: "*** Program crashed") else { return nil }
        return String(text[start.lowerBound...].prefix(6_000))
    }

    /// A running node's resident set size in bytes: now (`VmRSS`) or its peak so far (`VmHWM`).
    func residentBytes(_ node: String, peak: Bool = false) throws -> Int {
        guard let process = processes[node], process.isRunning else { throw TestFailure("\(node) is not running") }
        let status = try String(contentsOfFile: "/proc/\(process.pid)/status", encoding: .utf8)
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

    /// Adds a record at `node`; returns its id. A person without a category is a suspect, as
    /// schema version 3 requires one.
    func addRecord(at node: String, kind: String = "person", group: String, _ fields: [String: String]) throws -> String {
        var fields = fields
        if kind == "person", fields["category"] == nil { fields["category"] = "suspect" }
        return try pccc(
            ["record", "add", kind, "--data", folder(node), "--group", group]
                + fields.sorted(by: { $0.key < $1.key }).flatMap { ["--set", "\($0.key)=\($0.value)"] })
    }

    func update(at node: String, _ id: String, _ fields: [String: String]) throws {
        try pccc(["record", "update", id, "--data", folder(node)] + fields.sorted(by: { $0.key < $1.key }).flatMap { ["--set", "\($0.key)=\($0.value)"] })
    }

    /// The record as `record show --json` prints it, or nil while the node does not hold it;
    /// any other failure, or output that is not a JSON object, throws.
    func record(at node: String, _ id: String) throws -> [String: Any]? {
        let result = try PCCCExecutable.run(["record", "show", id, "--data", folder(node), "--json", "--purpose", "test"])
        guard result.status == 0 else {
            if result.error.contains("no record has id \(id)") { return nil }
            throw TestFailure("record show \(id) at \(node) exited \(result.status): \(result.error)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any] else {
            throw TestFailure("record show \(id) at \(node) printed no JSON object: \(result.output)")
        }
        return object
    }

    func digest(at node: String, group: String? = nil) throws -> String {
        try pccc(["digest", "--data", folder(node)] + (group.map { ["--group", $0] } ?? []))
    }

    /// `status --json`; exit 2 (a peer down past the threshold) is a normal answer here.
    func status(at node: String, downThreshold: Int = 300) throws -> [String: Any] {
        let result = try PCCCExecutable.run(["status", "--data", folder(node), "--json", "--down-threshold", String(downThreshold)])
        guard result.status == 0 || result.status == 2 else {
            throw TestFailure("status at \(node) exited \(result.status): \(result.error)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any] else {
            throw TestFailure("status at \(node) printed no JSON object: \(result.output)")
        }
        return object
    }

    /// One list of objects from `node`'s status, such as `peers`, `streams` or `alarms`.
    func statusList(at node: String, _ key: String) throws -> [[String: Any]] {
        let status = try status(at: node)
        guard let list = status[key] as? [[String: Any]] else { throw TestFailure("\(node)'s status has no list \(key): \(status)") }
        return list
    }

    /// The seq `node` holds of a stream: 0 when it holds none of it.
    func heldSeq(at node: String, origin: String, group: String) throws -> UInt64 {
        let streams = try statusList(at: node, "streams")
        guard let match = streams.first(where: { $0["origin"] as? String == origin && $0["group"] as? String == group }) else { return 0 }
        guard let seq = match["seq"] as? NSNumber else { throw TestFailure("\(node)'s status shows a stream with no seq: \(match)") }
        return seq.uint64Value
    }

    /// The status entry of `peer` at `node`; a peer the status does not list is a wrong test.
    func peerEntry(at node: String, _ peer: String) throws -> [String: Any] {
        let peers = try statusList(at: node, "peers")
        guard let entry = peers.first(where: { $0["peer"] as? String == peer }) else {
            throw TestFailure("\(node)'s status lists no peer \(peer): \(peers)")
        }
        return entry
    }

    /// Whether a peer shows as connected in `node`'s status.
    func isConnected(_ node: String, to peer: String) throws -> Bool {
        try Self.flag(try peerEntry(at: node, peer), "connected", at: node)
    }

    /// A boolean field of a status entry; missing or of another type is an error, not false.
    private static func flag(_ entry: [String: Any], _ key: String, at node: String) throws -> Bool {
        guard let value = entry[key] as? Bool else { throw TestFailure("\(node)'s status entry has no boolean \(key): \(entry)") }
        return value
    }

    /// Polls until `condition` holds; throws with `what` after `seconds`. Returns the seconds it took.
    @discardableResult
    func waitUntil(_ what: String, seconds: Double, every interval: Double = 0.05, _ condition: () throws -> Bool) throws -> Double {
        try TestSupport.waitUntil(what, seconds: seconds, every: interval, condition)
    }

    /// The bytes of a node's replica files (database and WAL), to prove what never reached it.
    func replicaBytes(_ node: String) -> Data {
        var bytes = Data()
        for suffix in ["", "-wal"] {
            if let data = FileManager.default.contents(atPath: folder(node) + "/replica.sqlite" + suffix) { bytes.append(data) }
        }
        return bytes
    }

    /// A TCP socket bound to `port` of 127.0.0.1 (0: one the kernel picks), not listening,
    /// closed on exec (a child gets it only as the descriptor it is handed), and its port.
    /// `ss`'s list of the sockets on a local port and the processes holding them, for a
    /// failure message.
    static func socketsOnPort(_ port: Int) -> String {
        guard let listing = try? ChildProcess.start("/usr/bin/ss", ["-tanpH", "sport = :\(port)"]).finish(seconds: 10) else {
            return "ss did not run"
        }
        return listing.output.isEmpty ? "none" : listing.output
    }

    static func bindLoopback(port: Int = 0) throws -> (socket: CInt, port: Int) {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socket >= 0 else { throw TestFailure("cannot open a socket: \(String(cString: strerror(errno)))") }
        // A port given again after its last node stopped may still have connections in TIME_WAIT.
        var reuse: CInt = 1
        setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<CInt>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else {
            let reason = String(cString: strerror(errno))
            close(socket)
            throw TestFailure("cannot bind a socket on 127.0.0.1: \(reason)")
        }
        return (socket, Int(UInt16(bigEndian: address.sin_port)))
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
    /// The stream `node` writes in `group`: of its current epoch, which `pccc init` began.
    func writeStream(of node: String, group: String) throws -> StreamID {
        StreamID(origin: NodeID(node), epoch: try openReplica(node).writeEpoch().epoch, group: GroupID(group))
    }

    func openReplica(_ node: String) throws -> Replica {
        var keys: [NodeID: BatchVerifyingKey] = [:]
        for (id, key) in signingKeys { keys[NodeID(id)] = key.publicKey }
        let topology = try RegionTopology.parse(yaml: String(contentsOfFile: topologyPath, encoding: .utf8), file: topologyPath)
        let roster = Roster(network: topology.network, signingKeys: keys, groups: topology.groups.mapValues(Set.init))
        var configuration = ReplicaConfiguration(nodeID: NodeID(node), signingKey: signingKeys[node]!, roster: roster)
        // The record schema the node runs: the region's file in its folder, if any.
        configuration.schema = try NodeDirectory.loadRecordSchema(NodeDirectory(folder(node)).schemaPath)
        return try Replica(path: folder(node) + "/replica.sqlite", configuration: configuration)
    }
}
