import ArgumentParser
import Foundation
import NodeService
import Records
import Replica
import SyncCore

#if canImport(Glibc)
    import Glibc
#endif

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a sample region of four centres on this machine, each a real pccc serve process with its web UI.",
        discussion: """
            The first run makes the state folder: a CA, a certificate per centre, the topology, the node folders and \
            seeded records. Later runs reuse it (--fresh makes it anew). Ctrl-C stops every node.
            """
    )

    @Option(help: "The state folder: keys, replicas and logs live there.") var state = "demo-state"
    @Option(help: "First TCP port: sync listeners use PORT…PORT+3 on 127.0.0.1, the web UIs PORT+100…PORT+103 (on 127.0.0.2 with --https).")
    var portBase = 17441
    @Flag(help: "Make the state folder anew, dropping what the last run left.") var fresh = false
    @Flag(help: "Stop once the written record has reached every centre, instead of running until Ctrl-C.") var once = false
    @Flag(
        help: """
            Serve the web UIs over HTTPS on 127.0.0.2, with a certificate from the demo's region CA (state/certs/ca.pem, which             the browser must trust), as a centre serves them to staff at their desks.
            """
    )
    var https = false

    func validate() throws {
        guard (1024...65000).contains(portBase) else { throw ValidationError("--port-base must be between 1024 and 65000") }
    }

    func run() throws {
        let (region, made) = try DemoRegion.prepare(stateFolder: state, portBase: portBase, fresh: fresh)
        say(made ? "Made the sample region wb-demo in \(state)." : "Reusing the sample region in \(state) (--fresh makes it anew).")
        say("Links: \(DemoRegion.links.map { "\($0.0) – \($0.1)" }.joined(separator: ", "))")
        say("Groups: \(DemoRegion.groups.map { "\($0.0) = \($0.1.joined(separator: ", "))" }.joined(separator: "; "))\n")

        if https { try region.ensureWebServerCertificate() }
        let nodes = DemoNodes(region: region, https: https)
        let stop = DispatchSemaphore(value: 0)
        let signals = onSignals([SIGINT, SIGTERM]) { stop.signal() }
        defer { signals.forEach { $0.cancel() } }
        do {
            try nodes.start { stop.signal() }
        } catch {
            nodes.stopAll()
            throw error
        }
        var credentials: [String: (token: String, password: String)] = [:]
        let admin = AuditActor(user: DemoRegion.admin)
        for id in DemoRegion.nodeIDs {
            let replica = try NodeDirectory(region.folder(id)).open()
            let password = DemoRegion.newPassword()
            try replica.setPassword(password, for: DemoRegion.admin, by: admin)
            credentials[id] = (try replica.issueToken(for: DemoRegion.admin, named: "demo", by: admin), password)
        }
        say("Each centre's web UI (sign in as \(DemoRegion.admin) with its password; the token is for the API):")
        for id in DemoRegion.nodeIDs {
            let credential = credentials[id]!
            say(
                "  \(id.padding(toLength: 14, withPad: " ", startingAt: 0))  \(region.webURL(id, https: https))  token \(credential.token)"
                    + "  password \(credential.password)")
        }
        say("Logs: \(region.path("logs"))\n")

        do {
            try showPropagation(region)
        } catch {
            nodes.stopAll()
            throw error
        }
        if !once {
            say("\nThe region is running. Open a UI above; write at one centre and watch the others. Ctrl-C stops every node.")
            stop.wait()
        }
        if let failed = nodes.failedNode {
            nodes.stopAll()
            throw CLIError("node \(failed) stopped on its own; see \(region.logPath(failed))")
        }
        nodes.stopAll()
        say("Stopped all four nodes; the state folder \(state) keeps their replicas for the next run.")
    }

    /// Writes a record at mk-tabanovce and waits until the other three centres hold it.
    private func showPropagation(_ region: DemoRegion) throws {
        let writer = try NodeDirectory(region.folder("mk-tabanovce")).open()
        let stamp = Timestamps.iso8601(milliseconds: ReplicaConfiguration.systemMilliseconds())
        let id = try writer.create(
            .vehicle, in: "region",
            [FieldWrite("plate", "SK 4711-TA"), FieldWrite("make", "Volkswagen"), FieldWrite("alert", "stolen"), FieldWrite("colour", "seen \(stamp)")],
            auditedAs: AuditActor(user: DemoRegion.admin, purpose: "demo")
        )
        say("Wrote vehicle SK 4711-TA (\(id)) at mk-tabanovce; waiting for the other centres:")
        let started = Date()
        var pending = Set(DemoRegion.nodeIDs.filter { $0 != "mk-tabanovce" })
        let readers = try Dictionary(uniqueKeysWithValues: pending.map { ($0, try NodeDirectory(region.folder($0)).open()) })
        while !pending.isEmpty {
            for node in pending.sorted() where try readers[node]!.lookup(id) != .unknown {
                pending.remove(node)
                say(String(format: "  %@ has it after %.2f s", node, Date().timeIntervalSince(started)))
            }
            guard Date().timeIntervalSince(started) < 60 else {
                throw CLIError("the record did not reach \(pending.sorted().joined(separator: ", ")) within 60 s; see \(region.path("logs"))")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        say("The record written at mk-tabanovce appeared at all four centres.")
    }

    /// Prints and flushes, so a script reading the addresses and tokens sees them at once.
    private func say(_ text: String) {
        print(text)
        fflush(nil)
    }
}
