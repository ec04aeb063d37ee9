import Foundation
import Records
import Replica
import SyncCore

/// `pccc-bench duplicates`: the duplicate check at save over a replica of N persons, and
/// `record import` of M persons from a CSV file against the plain insert of the same rows.
struct DuplicateBenchOptions {
    var persons = 1_000_000
    var checks = 200
    var imported = 100_000

    static let usage = "usage: pccc-bench duplicates [--persons N] [--checks N] [--import N]"

    init(_ arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard ["--persons", "--checks", "--import"].contains(flag) else { throw BenchError("unknown option \(flag); \(Self.usage)") }
            guard let value = iterator.next() else { throw BenchError("\(flag) needs a value; \(Self.usage)") }
            switch flag {
            case "--persons": persons = try BenchOptions.positive(value, flag)
            case "--checks": checks = try BenchOptions.positive(value, flag)
            default: imported = try BenchOptions.positive(value, flag)
            }
        }
    }
}

/// Person `index` with, for every third, a national identification number: what the check
/// matches by identifier.
func identifiedPerson(_ index: Int) -> (fields: [FieldWrite], sets: [SetEdit]) {
    guard index % 3 == 0 else { return (personFields(index), []) }
    return (personFields(index), [SetEdit("national_ids", add: ["AL:P\(100_000_000 + index)"])])
}

func duplicateBenchmark(_ options: DuplicateBenchOptions) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pccc-bench-duplicates-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let key = BatchSigningKey()
    let roster = Roster(network: "bench", signingKeys: ["bench-a": key.publicKey], groups: ["region": ["bench-a"]])
    func open(_ name: String) throws -> Replica {
        try Replica(path: folder.appendingPathComponent(name).path, configuration: ReplicaConfiguration(nodeID: "bench-a", signingKey: key, roster: roster))
    }
    let actor = AuditActor(user: "bench", purpose: "benchmark")

    // The check at save over N persons.
    let replica = try open("checks.sqlite")
    var ids: [RecordID] = []
    ids.reserveCapacity(options.persons)
    let loading = try measureSeconds {
        for start in stride(from: 0, to: options.persons, by: 1_000) {
            try replica.transact(in: "region") { transaction in
                for index in start..<min(options.persons, start + 1_000) {
                    let person = identifiedPerson(index)
                    ids.append(transaction.create(.person, person.fields, sets: person.sets))
                }
            }
        }
    }
    emit(String(format: "duplicates: %d persons loaded in %.1f s", options.persons, loading))
    var random = SystemRandomNumberGenerator()
    var milliseconds: [Double] = []
    var found = 0
    for check in 0..<options.checks {
        // Half are persons already held (found by identifier, or by name and date of birth), half new.
        let source = Int.random(in: 0..<options.persons, using: &random)
        let person = check % 2 == 0 ? identifiedPerson(source) : identifiedPerson(options.persons + check)
        let id = try replica.create(.person, in: "region", person.fields, sets: person.sets)
        var matches: [PossibleMatch] = []
        milliseconds.append(try measureSeconds { matches = try replica.checkDuplicates(of: id, savedBy: actor) } * 1000)
        if check % 2 == 0, matches.contains(where: { $0.id == ids[source] }) { found += 1 }
    }
    milliseconds.sort()
    emit(
        String(
            format: "duplicate check at save over %d persons, %d checks: median %.2f ms, p99 %.2f ms; %d of %d held persons found",
            options.persons, options.checks, milliseconds[milliseconds.count / 2], milliseconds[min(milliseconds.count - 1, milliseconds.count * 99 / 100)],
            found, (options.checks + 1) / 2))

    // record import of M persons from CSV, against the plain insert of the same rows.
    var csv = personFields(0).map(\.field).joined(separator: ",") + "\n"
    for index in 0..<options.imported {
        csv +=
            personFields(index).map { field -> String in
                let value = field.value ?? ""
                return value.contains(",") || value.contains("\"") ? "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : value
            }.joined(separator: ",") + "\n"
    }
    let plain = try PlainInsert(path: folder.appendingPathComponent("plain.sqlite").path).insert(0..<options.imported, perTransaction: 1_000)
    let target = try open("import.sqlite")
    var report = ImportReport()
    let importing = try measureSeconds {
        report = try target.importRecords(Data(csv.utf8), format: .csv, kind: .person, group: "region", createDuplicates: false, auditedAs: actor)
    }
    guard report.created == options.imported else {
        throw BenchError("the import created \(report.created) of \(options.imported) rows: \(report.skipped.prefix(3)) \(report.refused.prefix(3))")
    }
    // The same file with --create-duplicates: what the duplicate check costs.
    let unchecked = try open("import-unchecked.sqlite")
    let importingUnchecked = try measureSeconds {
        _ = try unchecked.importRecords(Data(csv.utf8), format: .csv, kind: .person, group: "region", createDuplicates: true, auditedAs: actor)
    }
    emit(
        String(
            format: "record import of %d persons from CSV: %.2f s (%.0f rows/s), %.2f× the plain insert's %.2f s; without the duplicate check %.2f s (%.2f×)",
            options.imported, importing, Double(options.imported) / importing, importing / plain, plain, importingUnchecked, importingUnchecked / plain))
}
