import Foundation
import Records
import Replica
import SyncCore
import TestSupport
import Testing

/// The yearly report of Art. 18 from a seeded region, against counts the test keeps itself as it
/// writes; erasing requests afterwards changes no report.
@Suite(.ownThread) struct RequestReportTests {
    let staff = AuditActor(user: "ana")
    static let minute: UInt64 = 60_000
    static let countries: [NodeID: String] = ["a": "MK", "b": "RS", "c": "ME"]

    /// What the test knows of one request it wrote.
    struct Written {
        let id: RecordID
        let from: NodeID
        let to: NodeID
        let year: Int
        let urgency: String
        let answered: Bool
        let grounds: [RefusalGround]
        let delayed: Bool
        let response: (minutes: Double, onTime: Bool)?
    }

    /// Expected cells, as `country|category` → count, for one table.
    typealias Table = [String: Int]

    static func cells(_ counts: [RequestReport.Count]) -> Table {
        Dictionary(uniqueKeysWithValues: counts.map { ("\($0.country)|\($0.category)", $0.count) })
    }

    @Test(arguments: [3, 11]) func theReportCountsWhatTheRegionDidAndErasureChangesNothing(_ seed: Int) throws {
        var random = SplitMix64(seed: UInt64(seed))
        let region = try TestRegion(nodes: ["a", "b", "c"], timeZone: TimeZone(identifier: "Europe/Belgrade")!) { configuration in
            let roster = configuration.roster
            configuration.roster = Roster(network: roster.network, keyHistories: roster.signingKeys, groups: roster.groups, countries: Self.countries)
        }
        func setClocks(_ time: UInt64) { for clock in region.clocks.values { clock.set(time) } }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Europe/Belgrade")!
        // Two days apart from October 2025 to late January 2026: both years get requests.
        var time = Timestamps.milliseconds(fromISO8601: "2025-10-01T09:00:00+02:00")!
        var written: [Written] = []
        for _ in 0..<60 {
            time += 2 * 24 * 60 * Self.minute
            setClocks(time)
            let from: NodeID = ["a", "b", "c"].randomElement(using: &random)!
            let to: NodeID = ["a", "b", "c"].filter { $0 != from }.randomElement(using: &random)!
            let urgent = Bool.random(using: &random)
            let id = try region[from].sendRequest(to: to, form: .filled("Owner?", urgency: urgent ? "urgent" : "standard"), auditedAs: staff)
            try region.syncAll()
            try region[to].acknowledgeReceivedRequests()
            var urgency = urgent ? "urgent_direct" : "standard"
            if urgent, Bool.random(using: &random) {
                let direct = Bool.random(using: &random)
                try region[to].act(on: id, .classify(direct: direct), auditedAs: staff)
                urgency = direct ? "urgent_direct" : "urgent_indirect"
            }
            let limit: Double = urgency == "urgent_direct" ? 8 * 60 : urgency == "urgent_indirect" ? 3 * 24 * 60 : 7 * 24 * 60
            var delayed = false
            var grounds: [RefusalGround] = []
            var answered = false
            var response: (Double, Bool)?
            let minutes = UInt64.random(in: 2..<(10 * 60), using: &random)
            func respond() {
                region.clocks[to]!.set(time + minutes * Self.minute)
                if response == nil { response = (Double(minutes), Double(minutes) <= limit) }
            }
            switch Int.random(in: 0..<6, using: &random) {
            case 0:
                respond()
                try region[to].act(on: id, .answer("Yes"), auditedAs: staff)
                answered = true
            case 1:
                grounds = Array(RefusalGround.allCases.shuffled(using: &random).prefix(Int.random(in: 1...3, using: &random))).sorted()
                respond()
                try region[to].act(on: id, .refuse(whole: true, grounds: grounds, reasons: "No"), auditedAs: staff)
            case 2:
                grounds = [RefusalGround.allCases.randomElement(using: &random)!]
                region.clocks[to]!.set(time + Self.minute)
                try region[to].act(on: id, .refuse(whole: false, grounds: grounds, reasons: "Not all"), auditedAs: staff)
                respond()
                try region[to].act(on: id, .answer("The rest"), auditedAs: staff)
                answered = true
            case 3:
                region.clocks[to]!.set(time + Self.minute)
                try region[to].act(on: id, .announceDelay(reason: "court", until: time + 5 * 24 * 60 * Self.minute), auditedAs: staff)
                delayed = true
                respond()
                try region[to].act(on: id, .answer("Authorised"), auditedAs: staff)
                answered = true
            case 4:
                try region[from].act(on: id, .close, auditedAs: staff)
            default:
                break
            }
            // Every clock catches up with the responder's: a batch from far ahead is held back.
            setClocks(time + 10 * 60 * Self.minute)
            try region.syncAll()
            let year = calendar.component(.year, from: Date(timeIntervalSince1970: Double(time) / 1000))
            written.append(
                Written(
                    id: id, from: from, to: to, year: year, urgency: urgency, answered: answered, grounds: grounds, delayed: delayed,
                    response: response.map { (minutes: $0.0, onTime: $0.1) }))
            time += 10 * 60 * Self.minute
        }
        #expect(Set(written.map(\.year)) == [2025, 2026])

        var reports: [String: RequestReport] = [:]
        for node in region.nodeIDs {
            for year in [2025, 2026] {
                let report = try region[node].requestReport(year: year, auditedAs: staff)
                reports["\(node) \(year)"] = report
                let mine = written.filter { $0.year == year }
                var sent: Table = [:]
                var received: Table = [:]
                var answered: Table = [:]
                var refused: Table = [:]
                var delayed: Table = [:]
                var responses: [String: [(minutes: Double, onTime: Bool)]] = [:]
                for request in mine where request.from == node {
                    sent["\(Self.countries[request.to]!)|\(request.urgency)", default: 0] += 1
                    if let response = request.response { responses["sent|\(request.urgency)", default: []].append(response) }
                }
                for request in mine where request.to == node {
                    let country = Self.countries[request.from]!
                    received["\(country)|\(request.urgency)", default: 0] += 1
                    if request.answered { answered["\(country)|\(request.urgency)", default: 0] += 1 }
                    for ground in request.grounds { refused["\(country)|\(ground.rawValue)", default: 0] += 1 }
                    if request.delayed { delayed["\(country)|judicial_authorisation", default: 0] += 1 }
                    if let response = request.response { responses["received|\(request.urgency)", default: []].append(response) }
                }
                let context = "seed \(seed), \(node), \(year)"
                #expect(Self.cells(report.sent) == sent, "\(context): sent")
                #expect(Self.cells(report.received) == received, "\(context): received")
                #expect(Self.cells(report.answered) == answered, "\(context): answered")
                #expect(Self.cells(report.refused) == refused, "\(context): refused")
                #expect(Self.cells(report.delayed) == delayed, "\(context): delayed")
                #expect(report.timeliness.count == responses.count, "\(context): timeliness rows")
                for row in report.timeliness {
                    let expected = responses["\(row.direction)|\(row.urgency)"] ?? []
                    let sorted = expected.map(\.minutes).sorted()
                    let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
                    #expect(row.responded == expected.count && row.onTime == expected.filter(\.onTime).count, "\(context): \(row)")
                    #expect(row.medianMinutes == median, "\(context): median of \(row.direction) \(row.urgency)")
                }
            }
        }

        // Each requester erases some of its requests; no report moves, and no personal data stays.
        for request in written where Bool.random(using: &random) {
            try region[request.from].erase(request.id, reason: "retention_expired")
        }
        try region.syncAll()
        for node in region.nodeIDs {
            for year in [2025, 2026] {
                #expect(try region[node].requestReport(year: year, auditedAs: staff) == reports["\(node) \(year)"], "seed \(seed): \(node) \(year)")
            }
        }
    }
}
