import Foundation
import SyncCore

/// What the yearly report counts of one request: no personal data, only centres, urgency,
/// times, outcome and grounds. Kept apart from the request when it is erased, so a report
/// never changes because a request was (Art. 18 of Directive (EU) 2023/977).
public struct RequestFact: Sendable, Equatable {
    /// The requesting centre.
    public let from: NodeID
    /// The requested centre.
    public let to: NodeID
    /// `urgent_direct`, `urgent_indirect`, `standard`, or `urgent` while unclassified.
    public let urgency: String
    /// When it was sent (Unix milliseconds).
    public let createdAt: UInt64
    /// When the requested centre received it.
    public let receivedAt: UInt64?
    /// When it was due, clarifications' pauses added.
    public let dueAt: UInt64?
    /// When the first answer or whole refusal came.
    public let respondedAt: UInt64?
    /// How it was responded to: `answered`, `refused` (as a whole), or nil while neither.
    public let outcome: RequestState?
    /// The grounds of its refusals, whole or partial.
    public let grounds: [RefusalGround]
    /// When a delay for judicial authorisation was first announced.
    public let delayedAt: UInt64?
    /// How long clarifications paused its clock (milliseconds).
    public let pausedFor: UInt64

    /// Creates a fact.
    public init(
        from: NodeID, to: NodeID, urgency: String, createdAt: UInt64, receivedAt: UInt64?, dueAt: UInt64?, respondedAt: UInt64?,
        outcome: RequestState?, grounds: [RefusalGround], delayedAt: UInt64?, pausedFor: UInt64
    ) {
        self.from = from
        self.to = to
        self.urgency = urgency
        self.createdAt = createdAt
        self.receivedAt = receivedAt
        self.dueAt = dueAt
        self.respondedAt = respondedAt
        self.outcome = outcome
        self.grounds = grounds
        self.delayedAt = delayedAt
        self.pausedFor = pausedFor
    }

    /// The urgency the report counts it under: an unclassified urgent request has 8 hours.
    public var reportedUrgency: String { urgency == "urgent" ? "urgent_direct" : urgency }
}

/// One centre's yearly report of Art. 18 of Directive (EU) 2023/977, from its requests'
/// facts. A request counts in the year it was sent (``sent``) or received (every other table),
/// in the centre's time zone, so each request's whole life is in one year's report.
public struct RequestReport: Sendable, Equatable, Codable {
    /// One cell of a table: a country (or a node without one in the topology), a category
    /// (an urgency or a refusal ground) and how many.
    public struct Count: Sendable, Equatable, Codable {
        /// The other centre's country.
        public let country: String
        /// The urgency, the ground, or `judicial_authorisation`.
        public let category: String
        /// How many requests.
        public let count: Int
    }

    /// How quickly requests of one urgency were answered.
    public struct Timeliness: Sendable, Equatable, Codable {
        /// `received` (this centre's answers) or `sent` (the answers it got).
        public let direction: String
        /// The urgency.
        public let urgency: String
        /// Requests with an answer or a whole refusal.
        public let responded: Int
        /// Of those, how many came by the due time.
        public let onTime: Int
        /// The median time from receipt to response, pauses left out, in minutes.
        public let medianMinutes: Double?

        enum CodingKeys: String, CodingKey {
            case direction, urgency, responded
            case onTime = "on_time"
            case medianMinutes = "median_minutes"
        }
    }

    /// The year.
    public let year: Int
    /// The reporting centre.
    public let node: NodeID
    /// Requests it sent, by requested country and urgency.
    public let sent: [Count]
    /// Requests it received, by requesting country and urgency.
    public let received: [Count]
    /// Of those, the ones answered, by requesting country and urgency.
    public let answered: [Count]
    /// Refusals, whole or partial, by requesting country and ground (a request refused on two
    /// grounds counts under each).
    public let refused: [Count]
    /// Answers delayed for judicial authorisation, by requesting country.
    public let delayed: [Count]
    /// On-time rate and median response time, by direction and urgency.
    public let timeliness: [Timeliness]

    enum CodingKeys: String, CodingKey {
        case year, node, sent, received, answered, refused, delayed, timeliness
    }

    /// The urgencies the report counts, in order.
    public static let urgencies = ["urgent_direct", "urgent_indirect", "standard"]

    /// The report of `node` for `year` (in `timeZone`) from `facts`; `country` says what
    /// each other centre counts under.
    public init(year: Int, node: NodeID, facts: [RequestFact], timeZone: TimeZone, country: (NodeID) -> String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        func inYear(_ milliseconds: UInt64?) -> Bool {
            guard let milliseconds else { return false }
            return calendar.component(.year, from: Date(timeIntervalSince1970: Double(milliseconds) / 1000)) == year
        }
        var sent: [Key: Int] = [:]
        var received: [Key: Int] = [:]
        var answered: [Key: Int] = [:]
        var refused: [Key: Int] = [:]
        var delayed: [Key: Int] = [:]
        var responses: [Key: (onTime: Int, minutes: [Double])] = [:]
        func noteResponse(_ fact: RequestFact, direction: String) {
            guard let respondedAt = fact.respondedAt, let receivedAt = fact.receivedAt else { return }
            let key = Key(row: direction, category: fact.reportedUrgency)
            let elapsed = respondedAt > receivedAt ? respondedAt - receivedAt : 0
            let working = elapsed > fact.pausedFor ? elapsed - fact.pausedFor : 0
            var entry = responses[key] ?? (0, [])
            if let dueAt = fact.dueAt, respondedAt <= dueAt { entry.onTime += 1 }
            entry.minutes.append(Double(working) / 60_000)
            responses[key] = entry
        }
        for fact in facts {
            if fact.from == node, inYear(fact.createdAt) {
                sent[Key(row: country(fact.to), category: fact.reportedUrgency), default: 0] += 1
                noteResponse(fact, direction: "sent")
            }
            if fact.to == node, inYear(fact.receivedAt ?? fact.createdAt) {
                let from = country(fact.from)
                received[Key(row: from, category: fact.reportedUrgency), default: 0] += 1
                if fact.outcome == .answered {
                    answered[Key(row: from, category: fact.reportedUrgency), default: 0] += 1
                }
                for ground in fact.grounds { refused[Key(row: from, category: ground.rawValue), default: 0] += 1 }
                if fact.delayedAt != nil { delayed[Key(row: from, category: "judicial_authorisation"), default: 0] += 1 }
                noteResponse(fact, direction: "received")
            }
        }
        func table(_ counts: [Key: Int]) -> [Count] {
            counts.sorted { $0.key < $1.key }.map { Count(country: $0.key.row, category: $0.key.category, count: $0.value) }
        }
        self.year = year
        self.node = node
        self.sent = table(sent)
        self.received = table(received)
        self.answered = table(answered)
        self.refused = table(refused)
        self.delayed = table(delayed)
        timeliness = responses.sorted { $0.key < $1.key }.map { key, value in
            let sorted = value.minutes.sorted()
            let middle = sorted.count / 2
            let median = sorted.isEmpty ? nil : sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
            return Timeliness(direction: key.row, urgency: key.category, responded: sorted.count, onTime: value.onTime, medianMinutes: median)
        }
    }

    /// A cell's row (a country, or a direction for timeliness) and column (a category).
    private struct Key: Hashable, Comparable {
        let row: String
        let category: String
        static func < (lhs: Key, rhs: Key) -> Bool { (lhs.row, lhs.category) < (rhs.row, rhs.category) }
    }

    /// The report as CSV: one row per cell, `table,country,category,count`, then the
    /// timeliness rows `timeliness,direction,urgency,responded,on_time,median_minutes`.
    public var csv: String {
        var lines = ["table,country,category,count"]
        for (name, counts) in [("sent", sent), ("received", received), ("answered", answered), ("refused", refused), ("delayed", delayed)] {
            for count in counts { lines.append("\(name),\(Self.csvField(count.country)),\(count.category),\(count.count)") }
        }
        lines.append("timeliness,direction,urgency,responded,on_time,median_minutes")
        for row in timeliness {
            lines.append(
                "timeliness,\(row.direction),\(row.urgency),\(row.responded),\(row.onTime),\(row.medianMinutes.map { String(format: "%.1f", $0) } ?? "")")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
