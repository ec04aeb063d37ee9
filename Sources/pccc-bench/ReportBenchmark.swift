import Foundation
import Records
import Replica
import SyncCore

/// `pccc-bench report`: the yearly request report (Art. 18 of Directive (EU) 2023/977) over a
/// replica holding N requests with their threads. A requesting node sends N requests; the
/// requested node receives, acknowledges and takes one or two thread steps on each (answers,
/// refusals on grounds, delays, clarification rounds); its report is then timed.
struct ReportBenchOptions {
    var requests = 100_000

    static let usage = "usage: pccc-bench report [--requests N]"

    init(_ arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard flag == "--requests" else { throw BenchError("unknown option \(flag); \(Self.usage)") }
            guard let value = iterator.next() else { throw BenchError("\(flag) needs a value; \(Self.usage)") }
            requests = try BenchOptions.positive(value, flag)
        }
    }
}

func reportBenchmark(_ options: ReportBenchOptions) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pccc-bench-report-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let keys: [NodeID: BatchSigningKey] = ["bench-mk": BatchSigningKey(), "bench-rs": BatchSigningKey()]
    let roster = Roster(
        network: "bench", keyHistories: keys.mapValues { SigningKeyHistory($0.publicKey) }, groups: ["region": Set(keys.keys)],
        countries: ["bench-mk": "MK", "bench-rs": "RS"])
    func open(_ node: NodeID) throws -> Replica {
        let configuration = ReplicaConfiguration(nodeID: node, signingKey: keys[node]!, roster: roster)
        return try Replica(path: folder.appendingPathComponent("\(node).sqlite").path, configuration: configuration)
    }
    let requester = try open("bench-mk")
    let requested = try open("bench-rs")
    let perTransaction = 1_000
    var ids: [RecordID] = []
    ids.reserveCapacity(options.requests)
    for start in stride(from: 0, to: options.requests, by: perTransaction) {
        try requester.transact(in: "region") { transaction in
            for index in start..<min(options.requests, start + perTransaction) {
                let form = RequestForm(
                    question: "Owner of plate \(index)?", urgency: index % 3 == 0 ? "urgent" : "standard", purpose: "Investigation \(index)",
                    offence: "vehicle theft", availabilityReasons: "registered there", urgentGround: index % 3 == 0 ? "loss_of_relevance" : nil,
                    urgentReasons: index % 3 == 0 ? "leaving the region" : nil, language: "en", requestingAuthority: "Border police",
                    caseNumber: "MK-\(index)", spocCopy: "sent", europolCopy: "not_needed", europolReason: "bilateral")
                ids.append(transaction.create(.request, form.writes(from: "bench-mk", to: "bench-rs")))
            }
        }
    }
    let pulled = try requested.pull(from: requester)
    guard pulled.refused.isEmpty else { throw BenchError("the requested node refused batches: \(pulled.refused)") }
    try requested.acknowledgeReceivedRequests()
    let now = Timestamps.iso8601(milliseconds: UInt64(Date().timeIntervalSince1970 * 1000) + 86_400_000)
    for start in stride(from: 0, to: ids.count, by: perTransaction) {
        try requested.transact(in: "region") { transaction in
            for index in start..<min(ids.count, start + perTransaction) {
                func entry(_ type: String, _ fields: [FieldWrite]) {
                    _ = transaction.append(.requestEntry, [FieldWrite("record_id", ids[index].description), FieldWrite("type", type)] + fields)
                }
                switch index % 5 {
                case 0: entry("answer", [FieldWrite("text", "Known")])
                case 1: entry("refusal", [FieldWrite("extent", "whole"), FieldWrite("grounds", "a,f"), FieldWrite("text", "Not held")])
                case 2:
                    entry("delay", [FieldWrite("text", "court"), FieldWrite("until", now)])
                    entry("answer", [FieldWrite("text", "Authorised")])
                case 3:
                    entry("clarification_asked", [FieldWrite("text", "Which one?")])
                    entry("partial_answer", [FieldWrite("text", "Part")])
                default: break
                }
            }
        }
    }
    let year = Calendar(identifier: .gregorian).component(.year, from: Date())
    let staff = AuditActor(user: "bench")
    let clock = ContinuousClock()
    let start = clock.now
    let report = try requested.requestReport(year: year, auditedAs: staff)
    let reportSeconds = seconds(clock.now - start)
    let received = report.received.reduce(0) { $0 + $1.count }
    guard received == options.requests else { throw BenchError("the report counts \(received) requests received, not \(options.requests)") }
    let csvStart = clock.now
    let csv = try requested.requestReport(year: year, auditedAs: staff).csv
    let csvSeconds = seconds(clock.now - csvStart)
    emit("request report, \(options.requests) requests received with their threads (\(report.received.count) cells received):")
    emit(
        String(
            format: "  pccc report --year %d: %.2f s (%.0f requests/s); as CSV, %d bytes: %.2f s", year, reportSeconds,
            Double(options.requests) / reportSeconds, csv.utf8.count, csvSeconds))
}
