import Foundation
import GRDB
import Replica
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `pccc backup` of a serving node while staff write, `pccc restore`, and the serve lock that
/// keeps a second node and a restore off a folder a node serves from: real processes, real
/// files.
@Suite(.serialized, .ownThread) struct BackupRestoreTests {
    static func region() throws -> LiveRegion {
        try LiveRegion(nodes: ["a", "b"], links: [LiveRegion.Link(from: "a", to: "b")], groups: ["region": ["a", "b"]])
    }

    static func mode(_ path: String) throws -> Int {
        guard let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue else {
            throw TestFailure("\(path) has no mode")
        }
        return mode & 0o7777
    }

    /// The value of `key: value` in a command's output.
    static func field(_ key: String, in output: String) throws -> String {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix(key + ": ") }) else {
            throw TestFailure("no \(key) line in: \(output)")
        }
        return String(line.dropFirst(key.count + 2))
    }

    /// A refused run: non-zero exit and one line on standard error, returned.
    static func refusal(_ arguments: [String]) throws -> String {
        let result = try PCCCExecutable.run(arguments)
        guard result.status != 0 else { throw TestFailure("pccc \(arguments.joined(separator: " ")) should have been refused: \(result.output)") }
        let error = result.error.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(error.split(separator: "\n").count == 1, "one sentence, not: \(error)")
        return error
    }

    /// The ids of `kind` a replica file holds, read from a read-only connection.
    static func ids(in path: String, kind: String = "person") throws -> Set<String> {
        var configuration = SQLiteLibrary.configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        return Set(try queue.read { db in try String.fetchAll(db, sql: "SELECT id FROM \"\(kind)\"") })
    }

    /// A process that adds persons to `node`'s folder, one `pccc record add` after another, and
    /// prints each new id on its own line, until it is stopped. SIGTERM ends it after the add in
    /// progress (the shell runs its trap once the child returns), so no write lands after it
    /// has exited.
    static func startWriter(_ region: LiveRegion, at node: String) throws -> ChildProcess {
        let script = """
            trap 'exit 0' TERM
            n=0; while :; do n=$((n+1)); "$0" record add person --data "$1" --group region --set category=suspect --set family_name="Writer $n" || exit 1; done
            """
        return try ChildProcess.start("/bin/sh", ["-c", script, try PCCCExecutable.url.path, region.folder(node)])
    }

    static func writtenIDs(_ writer: ChildProcess) -> [String] {
        // Only whole lines: an id is printed after its transaction committed.
        let text = writer.outputText
        let whole = text.hasSuffix("\n") ? text : String(text[..<(text.lastIndex(of: "\n") ?? text.startIndex)])
        return whole.split(separator: "\n").map(String.init)
    }

    @Test func aBackupOfAServingNodeWhileStaffWriteHoldsEveryEarlierRecordAndRestoresOnceTheNodeStops() throws {
        let region = try Self.region()
        try region.start("a")
        let writer = try Self.startWriter(region, at: "a")
        defer {
            writer.signal(SIGTERM)
            _ = try? writer.wait(seconds: 30)
        }
        try region.waitUntil("20 records written", seconds: 120) { Self.writtenIDs(writer).count >= 20 }
        let before = Self.writtenIDs(writer)
        let epochBefore = try #require((try region.status(at: "a")["epoch"] as? [String: Any])?["epoch"] as? NSNumber).uint64Value

        let file = region.directory.path("backups/a.backup")
        try FileManager.default.createDirectory(atPath: region.directory.path("backups"), withIntermediateDirectories: false)
        let output = try region.pccc(["backup", "--data", region.folder("a"), "--out", file])
        #expect(try Self.field("backup", in: output).hasPrefix("\(file) (node a, schema "))
        #expect(try Self.field("integrity_check", in: output) == "ok")
        let digest = try Self.field("digest", in: output)
        #expect(digest.count == 64 && digest.allSatisfy(\.isHexDigit), "digest: \(digest)")
        let records = try #require(Int(try Self.field("records", in: output)), "records: \(output)")
        #expect(try Int(Self.field("bytes", in: output)) == (try FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.intValue)
        _ = try Self.field("seconds", in: output)
        #expect(try Self.mode(file) == 0o600)
        // Nothing else is left in the folder: no temporary copy, no journal.
        #expect(try FileManager.default.contentsOfDirectory(atPath: region.directory.path("backups")) == ["a.backup"])
        let held = try Self.ids(in: file)
        #expect(held.count == records)
        let missing = before.filter { !held.contains($0) }
        #expect(missing.isEmpty, "the backup lacks \(missing.count) of the \(before.count) records written before it started")

        // The writer went on through the backup.
        let afterBackup = Self.writtenIDs(writer).count
        try region.waitUntil("10 more records written", seconds: 120) { Self.writtenIDs(writer).count >= afterBackup + 10 }
        writer.signal(SIGTERM)
        try writer.wait(seconds: 30)

        // A backup never replaces a file.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        let exists = try Self.refusal(["backup", "--data", region.folder("a"), "--out", file])
        #expect(exists == "Error: \(file) already exists; a backup never replaces a file, so name a new one")
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == bytes)

        // No restore while the node serves; the replica is left as it was.
        let current = try region.digest(at: "a")
        #expect(current != digest, "the writer's later records should change the digest")
        let pid = try #require(
            (try String(contentsOfFile: region.folder("a") + "/serve.lock", encoding: .utf8)).split(separator: "\n").first.flatMap { Int32($0) })
        let busy = try Self.refusal(["restore", file, "--data", region.folder("a")])
        #expect(busy == "Error: a node is serving from \(region.folder("a")) (pid \(pid)); stop it before restoring")
        #expect(try region.digest(at: "a") == current)

        region.stop("a")
        let restored = try region.pccc(["restore", file, "--data", region.folder("a")])
        #expect(try Self.field("restored", in: restored) == (try Self.field("backup", in: output)))
        #expect(try Self.field("digest", in: restored) == digest)
        #expect(try Self.field("records", in: restored) == String(records))
        // The node writes in a new epoch, begun by the restore, later than the one it wrote in.
        let epoch = try #require(UInt64(try Self.field("epoch", in: restored).prefix { $0.isNumber }), "epoch: \(restored)")
        let status = try #require(try region.status(at: "a")["epoch"] as? [String: Any], "status has no epoch")
        #expect((status["epoch"] as? NSNumber)?.uint64Value == epoch)
        #expect(status["reason"] as? String == "restored")
        #expect(epoch > epochBefore)
        #expect(try region.digest(at: "a") == digest)
        #expect(try Self.mode(region.folder("a")) == 0o700)
        for name in try FileManager.default.contentsOfDirectory(atPath: region.folder("a")) where name.hasPrefix("replica.sqlite") {
            #expect(try Self.mode(region.folder("a") + "/" + name) == 0o600, "\(name)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: region.folder("a")).filter { $0.hasPrefix(".") }.isEmpty)
        // The backup itself is untouched, and the node serves the restored replica.
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == bytes)
        try region.start("a")
        #expect(try region.digest(at: "a") == digest)
    }

    @Test func aSecondServeOnTheSameFolderIsRefusedInOneSentence() throws {
        let region = try Self.region()
        try region.start("a")
        let lock = region.folder("a") + "/serve.lock"
        #expect(try Self.mode(lock) == 0o600)
        let pid = try #require((try String(contentsOfFile: lock, encoding: .utf8)).split(separator: "\n").first.flatMap { Int32($0) })
        #expect((try String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)).contains("serve"))
        let second = try Self.refusal(["serve", "--data", region.folder("a"), "--listen", "127.0.0.1:0"])
        #expect(second == "Error: a node is already serving from \(region.folder("a")) (pid \(pid)); stop it before starting another")
        #expect(region.isRunning("a"))
        // Once the node stops, its lock is gone with it, the file left behind or not.
        region.stop("a")
        try region.start("a")
    }

    @Test func aBackupOfAnotherNodeOrOfNothingIsNotRestored() throws {
        let region = try Self.region()
        _ = try region.addRecord(at: "a", group: "region", ["family_name": "Hoxha"])
        _ = try region.addRecord(at: "b", group: "region", ["family_name": "Petrović"])
        let file = region.directory.path("b.backup")
        try region.pccc(["backup", "--data", region.folder("b"), "--out", file])
        let digest = try region.digest(at: "a")
        let replica = region.replicaBytes("a")

        #expect(
            try Self.refusal(["restore", file, "--data", region.folder("a")])
                == "Error: \(file) is a backup of node b, not of a; nothing was restored")
        let garbage = region.directory.path("garbage.backup")
        try Data(repeating: 7, count: 4096).write(to: URL(fileURLWithPath: garbage))
        #expect(
            try Self.refusal(["restore", garbage, "--data", region.folder("a")])
                == "Error: \(garbage) is not a replica backup: it is not an SQLite database")
        let live = region.folder("b") + "/replica.sqlite"
        #expect(
            try Self.refusal(["restore", live, "--data", region.folder("a")])
                == "Error: \(live) is a live replica file (WAL mode), not a backup; make one with pccc backup --data DIR --out FILE")
        #expect(try Self.refusal(["restore", region.directory.path("none"), "--data", region.folder("a")]).hasPrefix("Error: cannot read"))

        #expect(region.replicaBytes("a") == replica)
        #expect(try region.digest(at: "a") == digest)
        #expect(try FileManager.default.contentsOfDirectory(atPath: region.folder("a")).filter { $0.hasPrefix(".") }.isEmpty)
    }
}
