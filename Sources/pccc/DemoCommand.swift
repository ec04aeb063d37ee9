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
    @Option(help: "First TCP port: sync listeners use PORT…PORT+3, the web UIs PORT+100…PORT+103 (all on 127.0.0.1).")
    var portBase = 17441
    @Flag(help: "Make the state folder anew, dropping what the last run left.") var fresh = false
    @Flag(help: "Stop once the written record has reached every centre, instead of running until Ctrl-C.") var once = false

    func validate() throws {
        guard (1024...65000).contains(portBase) else { throw ValidationError("--port-base must be between 1024 and 65000") }
    }

    func run() throws {
        let (region, made) = try DemoRegion.prepare(stateFolder: state, portBase: portBase, fresh: fresh)
        say(made ? "Made the sample region wb-demo in \(state)." : "Reusing the sample region in \(state) (--fresh makes it anew).")
        say("Links: \(DemoRegion.links.map { "\($0.0) – \($0.1)" }.joined(separator: ", "))")
        say("Groups: \(DemoRegion.groups.map { "\($0.0) = \($0.1.joined(separator: ", "))" }.joined(separator: "; "))\n")

        let nodes = DemoNodes(region: region)
        let stop = DispatchSemaphore(value: 0)
        let signals = onSignals([SIGINT, SIGTERM]) { stop.signal() }
        defer { signals.forEach { $0.cancel() } }
        do {
            try nodes.start { stop.signal() }
        } catch {
            nodes.stopAll()
            throw error
        }
        var tokens: [String: String] = [:]
        for id in DemoRegion.nodeIDs {
            tokens[id] = try NodeDirectory(region.folder(id)).open().issueToken(for: DemoRegion.admin, by: AuditActor(user: DemoRegion.admin))
        }
        say("Each centre's web UI (sign in with its token; user \(DemoRegion.admin)):")
        for id in DemoRegion.nodeIDs {
            say("  \(id.padding(toLength: 14, withPad: " ", startingAt: 0))  http://127.0.0.1:\(region.apiPort(id))/  token \(tokens[id]!)")
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
