import Foundation
import Node

/// `pccc-bench`: the node against the physical limits, in one run (BENCHMARKS.md). Run in
/// release: `swift run -c release pccc-bench [--sizes 10000,100000,1000000] [--json FILE]`; the
/// backup and schema-growth benchmarks run on their own: `pccc-bench backup [--records N]`,
/// `pccc-bench schema [--changes N]`, `pccc-bench report [--requests N]`,
/// `pccc-bench sign-in [--runs N]`, `pccc-bench duplicates [--persons N] [--checks N] [--import N]`.
struct BenchReport: Encodable {
    struct Machine: Encodable {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let memoryBytes = ProcessInfo.processInfo.physicalMemory
        let system = ProcessInfo.processInfo.operatingSystemVersionString
    }
    let machine = Machine()
    let sizes: [SizeResult]
    let idleRound: IdleRoundResult
    let search: SearchResult
}

func run(_ options: BenchOptions) async throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pccc-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    emit(
        "records   import rec/s  ×plain time  1/tx rec/s  ×plain time  apply ch/s  ×plain rate  wire B/ch  raw B/ch  catch-up s  catch-up ch/s  receiver peak MB  erase ms"
    )
    var sizes: [SizeResult] = []
    for records in options.sizes {
        let result = try await sizeBenchmark(
            records: records, singleRecordWrites: options.singleRecordWrites, folder: folder.appendingPathComponent("size-\(records)")
        )
        sizes.append(result)
        emit(
            String(
                format: "%7d  %12.0f  %11.2f  %10.0f  %11.2f  %10.0f  %11.2f  %9.1f  %8.1f  %10.2f  %13.0f  %16.1f  %8.1f", result.records,
                result.importPerSecond, result.importTimeRatio, result.singleRecordPerSecond, result.singleRecordTimeRatio,
                result.applyChangesPerSecond, result.applyRateRatio, result.wireBytesPerChange, result.rawFieldBytesPerChange,
                result.catchUp.seconds, result.catchUp.changesPerSecond, Double(result.catchUp.receiverPeakResidentBytes) / 1_048_576,
                result.eraseMillisecondsMedian)
        )
    }
    let idle = try await idleRoundBenchmark(streams: options.idleStreams, folder: folder.appendingPathComponent("idle"))
    emit("")
    emit("idle round (TLS + HELLO + WANT digest, both ways), \(idle.streams) streams: \(idle.bytes) bytes (full WANTs would add \(idle.fullWantBytes))")
    let largest = options.sizes.last!
    let search = try searchBenchmark(
        replica: try BenchRegion.reopen(folder: folder.appendingPathComponent("size-\(largest)"), node: "bench-a").replica, persons: largest,
        queries: options.searches
    )
    emit(
        String(
            format: "name search over %d persons, %d queries: given + family name median %.2f ms (p90 %.2f), family name alone median %.2f ms",
            search.persons, search.queries, search.nameMedianMilliseconds, search.nameP90Milliseconds, search.familyOnlyMedianMilliseconds)
    )
    emit("")
    emit(verdicts(sizes: sizes, idle: idle, search: search).joined(separator: "\n"))
    if let jsonPath = options.jsonPath {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(BenchReport(sizes: sizes, idleRound: idle, search: search)).write(to: URL(fileURLWithPath: jsonPath))
    }
}

/// Each target of issue 8 against the figure it is judged by.
func verdicts(sizes: [SizeResult], idle: IdleRoundResult, search: SearchResult) -> [String] {
    func line(_ name: String, _ figure: String, _ target: String, _ met: Bool) -> String {
        "\(met ? "meets " : "MISSES") \(name): \(figure) (target \(target))"
    }
    var lines: [String] = []
    let worstImport = sizes.map(\.importTimeRatio).max()!
    let worstSingle = sizes.map(\.singleRecordTimeRatio).max()!
    let worstApply = sizes.map(\.applyRateRatio).min()!
    lines.append(line("local writes, imports", String(format: "%.2f× the plain time at worst", worstImport), "≤ 1.5×", worstImport <= 1.5))
    lines.append(line("local writes, one per transaction", String(format: "%.2f× the plain time at worst", worstSingle), "≤ 1.5×", worstSingle <= 1.5))
    lines.append(line("apply", String(format: "%.2f× the plain insert rate at worst", worstApply), "≥ 0.5×", worstApply >= 0.5))
    if let catchUp = sizes.first(where: { $0.records == 100_000 })?.catchUp {
        lines.append(line("catch-up of 100,000 changes", String(format: "%.2f s", catchUp.seconds), "≤ 5 s", catchUp.seconds <= 5))
    }
    lines.append(line("idle round, \(idle.streams) streams", "\(idle.bytes) bytes", "≤ 4,096", idle.bytes <= 4096))
    if let largest = sizes.last, largest.records >= 1_000_000 {
        let megabytes = Double(largest.catchUp.receiverPeakResidentBytes) / 1_048_576
        lines.append(
            line("receiver peak RSS at \(largest.records) changes", String(format: "%.1f MB", megabytes), "≤ 200 MB", megabytes <= 200))
    }
    if search.persons >= 1_000_000 {
        lines.append(
            line(
                "name search over \(search.persons) persons", String(format: "median %.2f ms", search.nameMedianMilliseconds), "≤ 20 ms",
                search.nameMedianMilliseconds <= 20))
    }
    return lines
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    if arguments.first == BenchNodeProcess.flag {
        // Read before the replica opens, so a benchmark killed meanwhile is still noticed.
        _ = ParentProcessWatch.parentAtStart
        guard arguments.count == 3 else { throw BenchError("\(BenchNodeProcess.flag) takes a folder and a node id") }
        try await BenchNodeProcess.runNode(folder: arguments[1], node: arguments[2])
    }
    if arguments.first == "backup" {
        try backupBenchmark(try BackupBenchOptions(Array(arguments.dropFirst())))
    } else if arguments.first == "schema" {
        try schemaBenchmark(try SchemaBenchOptions(Array(arguments.dropFirst())))
    } else if arguments.first == "report" {
        try reportBenchmark(try ReportBenchOptions(Array(arguments.dropFirst())))
    } else if arguments.first == "duplicates" {
        try duplicateBenchmark(try DuplicateBenchOptions(Array(arguments.dropFirst())))
    } else if arguments.first == "sign-in" {
        try signInBenchmark(try SignInBenchOptions(Array(arguments.dropFirst())))
    } else {
        try await run(try BenchOptions(arguments))
    }
} catch {
    FileHandle.standardError.write(Data("pccc-bench: \(error)\n".utf8))
    exit(1)
}
