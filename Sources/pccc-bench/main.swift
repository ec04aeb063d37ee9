import Foundation
import GRDB
import Records
import Replica
import SyncCore

/// Measures the replica against a plain SQLite insert of the same rows, in the same process,
/// with the same pragmas (WAL, synchronous=FULL). Run in release:
/// `swift run -c release pccc-bench [--records N] [--per-transaction K ...] [--json FILE]`.
struct BenchOptions {
    var records = 100_000
    var perTransaction = [1000, 1]
    var singleRecordCap = 10_000
    var jsonPath: String?
    var catchUpChanges = 100_000
    var catchUpPerTransaction = 100

    init(_ arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next() else { throw BenchError("\(flag) needs a value") }
            switch flag {
            case "--records": records = try Self.positive(value, flag)
            case "--per-transaction": perTransaction = try value.split(separator: ",").map { try Self.positive(String($0), flag) }
            case "--single-record-cap": singleRecordCap = try Self.positive(value, flag)
            case "--json": jsonPath = value
            case "--catch-up": catchUpChanges = try Self.positive(value, flag)
            case "--catch-up-per-transaction": catchUpPerTransaction = try Self.positive(value, flag)
            default:
                throw BenchError(
                    "unknown option \(flag); options are --records, --per-transaction, --single-record-cap, --catch-up, --catch-up-per-transaction, --json"
                )
            }
        }
    }

    static func positive(_ text: String, _ flag: String) throws -> Int {
        guard let number = Int(text), number > 0 else { throw BenchError("\(flag) takes a positive whole number, not \(text)") }
        return number
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct Row: Encodable {
    let mode: String
    let records: Int
    let perTransaction: Int
    let plainInsertPerSecond: Double
    let localWritesPerSecond: Double
    let applyChangesPerSecond: Double
    let localWriteTimeRatio: Double
    let applyRateRatio: Double
    let wireBytesPerRecord: Double
    let eraseMillisecondsMedian: Double
}

func personFields(_ index: Int) -> [FieldWrite] {
    let families = ["Đorđević", "Hoxha", "Petrović", "Nikolovski", "Kovačević", "Çela", "Ђурић", "Popović"]
    return [
        FieldWrite("family_name", "\(families[index % families.count]) \(index)"),
        FieldWrite("given_name", "Given\(index % 977)"),
        FieldWrite("birth_date", "19\(50 + index % 50)-0\(1 + index % 9)-1\(index % 10)"),
        FieldWrite("nationality", ["MK", "RS", "ME", "AL"][index % 4]),
        FieldWrite("alert", ["wanted", "missing", "suspect", "none"][index % 4]),
        FieldWrite("reason", "case \(index * 7919 % 100_000)"),
    ]
}

/// Prints a line at once, unbuffered, so progress shows while the next row is measured.
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func plainInsert(records: Int, perTransaction: Int, at path: String) throws -> Double {
    var config = Configuration()
    config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
    let pool = try DatabasePool(path: path, configuration: config)
    let columns = ["id", "sharing_group", "origin", "created_at"] + personFields(0).map(\.field)
    try pool.write { db in
        try db.execute(sql: "CREATE TABLE person (\(columns.map { "\"\($0)\" TEXT" }.joined(separator: ", ")), PRIMARY KEY (id)) WITHOUT ROWID")
    }
    let sql = "INSERT INTO person VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))"
    let clock = ContinuousClock()
    let elapsed = try clock.measure {
        var index = 0
        while index < records {
            let end = min(index + perTransaction, records)
            try pool.write { db in
                let statement = try db.cachedStatement(sql: sql)
                for row in index..<end {
                    let id = RecordID.make(milliseconds: 1_800_000_000_000 + UInt64(row))
                    var arguments: StatementArguments = [id.description, "region", "bench-a", Timestamps.iso8601(milliseconds: 1_800_000_000_000)]
                    for field in personFields(row) { arguments += [field.value] }
                    try statement.execute(arguments: arguments)
                }
            }
            index = end
        }
    }
    return seconds(elapsed)
}

func run(_ options: BenchOptions) async throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pccc-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let keys = ["bench-a": BatchSigningKey(), "bench-b": BatchSigningKey()]
    let roster = Roster(network: "bench", signingKeys: keys.mapValues(\.publicKey), groups: ["region": ["bench-a", "bench-b"]])
    var rows: [Row] = []
    emit("mode                 records  per-tx  plain ins/s  local wr/s  apply ch/s  local time ×plain  apply rate ×plain  wire B/record  erase ms")
    for perTransaction in options.perTransaction {
        let records = perTransaction == 1 ? min(options.records, options.singleRecordCap) : options.records
        let run = folder.appendingPathComponent("run-\(perTransaction)")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        let plainSeconds = try plainInsert(records: records, perTransaction: perTransaction, at: run.appendingPathComponent("plain.sqlite").path)

        let writer = try Replica(
            path: run.appendingPathComponent("a.sqlite").path,
            configuration: ReplicaConfiguration(nodeID: "bench-a", signingKey: keys["bench-a"]!, roster: roster))
        let clock = ContinuousClock()
        var sampleIDs: [RecordID] = []
        let localSeconds = seconds(
            try clock.measure {
                var index = 0
                while index < records {
                    let end = min(index + perTransaction, records)
                    try writer.transact(in: "region") { transaction in
                        for row in index..<end {
                            let id = transaction.create(.person, personFields(row))
                            if sampleIDs.count < 21 { sampleIDs.append(id) }
                        }
                    }
                    index = end
                }
            }
        )
        let envelopes = try writer.batches(origin: "bench-a", group: "region", after: 0, limit: .max).map(\.envelope)
        let wireBytes = envelopes.reduce(0) { $0 + $1.count }
        let receiver = try Replica(
            path: run.appendingPathComponent("b.sqlite").path,
            configuration: ReplicaConfiguration(nodeID: "bench-b", signingKey: keys["bench-b"]!, roster: roster))
        var applied = 0
        let applySeconds = seconds(
            try clock.measure {
                for envelope in envelopes {
                    guard case .applied(let changes) = try receiver.apply(envelope: envelope) else { throw BenchError("a batch did not apply") }
                    applied += changes
                }
            }
        )
        guard applied == records, try receiver.digest() == writer.digest() else { throw BenchError("the receiver did not converge") }
        // An erasure redacts stored batches and compacts the name index: its cost grows with the replica.
        let eraseTimes = try sampleIDs.map { id in seconds(try clock.measure { try writer.erase(id, reason: "bench") }) * 1000 }.sorted()
        let row = Row(
            mode: perTransaction == 1 ? "one record per tx" : "import",
            records: records,
            perTransaction: perTransaction,
            plainInsertPerSecond: Double(records) / plainSeconds,
            localWritesPerSecond: Double(records) / localSeconds,
            applyChangesPerSecond: Double(applied) / applySeconds,
            localWriteTimeRatio: localSeconds / plainSeconds,
            applyRateRatio: (Double(applied) / applySeconds) / (Double(records) / plainSeconds),
            wireBytesPerRecord: Double(wireBytes) / Double(records),
            eraseMillisecondsMedian: eraseTimes[eraseTimes.count / 2]
        )
        rows.append(row)
        emit(
            row.mode.padding(toLength: 19, withPad: " ", startingAt: 0) + " "
                + String(
                    format: "%8d  %6d  %11.0f  %10.0f  %10.0f  %17.2f  %17.2f  %13.1f  %8.1f", row.records, row.perTransaction,
                    row.plainInsertPerSecond, row.localWritesPerSecond, row.applyChangesPerSecond, row.localWriteTimeRatio, row.applyRateRatio,
                    row.wireBytesPerRecord, row.eraseMillisecondsMedian)
        )
    }
    emit("")
    emit("catch-up over loopback mTLS   changes  per-tx   seconds   changes/s  wire B/change")
    let catchUp = try await catchUpBenchmark(
        changes: options.catchUpChanges, perTransaction: options.catchUpPerTransaction, folder: folder.appendingPathComponent("catch-up")
    )
    emit(
        "two nodes, one link        "
            + String(
                format: "%8d  %6d  %8.2f  %10.0f  %13.1f", catchUp.changes, catchUp.perTransaction, catchUp.seconds, catchUp.changesPerSecond,
                catchUp.wireBytesPerChange)
    )
    if let jsonPath = options.jsonPath {
        struct Report: Encodable {
            let writes: [Row]
            let catchUp: CatchUpResult
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(Report(writes: rows, catchUp: catchUp)).write(to: URL(fileURLWithPath: jsonPath))
    }
}

do {
    try await run(try BenchOptions(Array(CommandLine.arguments.dropFirst())))
} catch {
    FileHandle.standardError.write(Data("pccc-bench: \(error)\n".utf8))
    exit(1)
}
