import Foundation
import Replica

/// Name searches over a replica of persons made by ``personFields(_:)``.
struct SearchResult: Encodable {
    let persons: Int
    let queries: Int
    /// A given name and a family name, as staff type them (about 1 in 7,800 persons match).
    let nameMedianMilliseconds: Double
    let nameP90Milliseconds: Double
    /// A family name alone: one person in eight matches, all ranked before the first 50 return.
    let familyOnlyMedianMilliseconds: Double
}

func searchBenchmark(replica: Replica, persons: Int, queries: Int) throws -> SearchResult {
    var random = SystemRandomNumberGenerator()
    func timed(_ text: String) throws -> Double {
        var hits = 0
        let milliseconds = try measureSeconds { hits = try replica.search(text, kind: .person).count } * 1000
        guard hits > 0 else { throw BenchError("the search \"\(text)\" found nothing") }
        return milliseconds
    }
    var names: [Double] = []
    var families: [Double] = []
    for _ in 0..<queries {
        let fields = personFields(Int.random(in: 0..<persons, using: &random))
        let family = fields[0].value!.split(separator: " ")[0]
        names.append(try timed("\(fields[1].value!) \(family)"))
        if families.count < max(queries / 10, 5) { families.append(try timed(String(family))) }
    }
    names.sort()
    families.sort()
    return SearchResult(
        persons: persons, queries: names.count + families.count, nameMedianMilliseconds: names[names.count / 2],
        nameP90Milliseconds: names[names.count * 9 / 10], familyOnlyMedianMilliseconds: families[families.count / 2]
    )
}
