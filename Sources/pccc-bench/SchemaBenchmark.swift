import Foundation
import Records
import Replica
import SyncCore

/// `pccc-bench schema`: the cost of a record schema growing (docs/SCHEMA.md). A node on the
/// grown schema writes N persons that set the field it adds; a node on the built-in schema
/// applies them (each batch noted as waiting), then opens on the grown schema and applies the
/// waiting batches again from its store. Both are timed.
struct SchemaBenchOptions {
    var changes = 100_000

    static let usage = "usage: pccc-bench schema [--changes N]"

    init(_ arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard flag == "--changes" else { throw BenchError("unknown option \(flag); \(Self.usage)") }
            guard let value = iterator.next() else { throw BenchError("\(flag) needs a value; \(Self.usage)") }
            changes = try BenchOptions.positive(value, flag)
        }
    }
}

func schemaBenchmark(_ options: SchemaBenchOptions) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pccc-bench-schema-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let grown = try RecordSchema.builtIn.grown(
        by: "version: 4\nkinds:\n  person:\n    fields:\n      - {name: eye_colour, allowed: [blue, brown, green]}\n", file: "bench schema")
    let keys: [NodeID: BatchSigningKey] = ["bench-a": BatchSigningKey(), "bench-b": BatchSigningKey()]
    let roster = Roster(network: "bench", signingKeys: keys.mapValues(\.publicKey), groups: ["region": Set(keys.keys)])
    func open(_ node: NodeID, _ schema: RecordSchema) throws -> Replica {
        var configuration = ReplicaConfiguration(nodeID: node, signingKey: keys[node]!, roster: roster)
        configuration.schema = schema
        return try Replica(path: folder.appendingPathComponent("\(node).sqlite").path, configuration: configuration)
    }
    let writer = try open("bench-a", grown)
    let perTransaction = 1_000
    for start in stride(from: 0, to: options.changes, by: perTransaction) {
        try writer.transact(in: "region") { transaction in
            for index in start..<min(options.changes, start + perTransaction) {
                _ = transaction.create(.person, personFields(index) + [FieldWrite("eye_colour", ["blue", "brown", "green"][index % 3])])
            }
        }
    }
    let clock = ContinuousClock()
    let older = try open("bench-b", .builtIn)
    let applyStart = clock.now
    let pulled = try older.pull(from: writer)
    let applySeconds = seconds(clock.now - applyStart)
    guard pulled.refused.isEmpty else { throw BenchError("the built-in node refused batches: \(pulled.refused)") }
    let waiting = try older.schemaBacklog().reduce(0) { $0 + $1.changes }
    let reopenStart = clock.now
    let grownReplica = try open("bench-b", grown)
    let reapplySeconds = seconds(clock.now - reopenStart)
    guard try grownReplica.digest() == writer.digest(), try grownReplica.schemaBacklog().isEmpty else {
        throw BenchError("the grown node does not match the writer after applying its backlog")
    }
    emit("schema growth, \(options.changes) persons setting a field the built-in schema lacks:")
    emit(
        String(
            format: "  apply on the built-in schema: %.2f s (%.0f changes/s), %d changes noted as waiting", applySeconds,
            Double(options.changes) / applySeconds, waiting))
    emit(
        String(
            format: "  open on the grown schema, applying them again: %.2f s (%.0f changes/s, %.2f s per 100,000); digests equal",
            reapplySeconds, Double(waiting) / reapplySeconds, reapplySeconds * 100_000 / Double(max(waiting, 1))))
}
