/// The command line of `pccc-bench`.
struct BenchOptions {
    /// Records per measured replica: each size gets its own plain file, writer, receiver and
    /// catch-up.
    var sizes = [10_000, 100_000, 1_000_000]
    /// One-record transactions written on top of each size's import, at most.
    var singleRecordWrites = 10_000
    /// Name searches timed over the largest replica.
    var searches = 200
    /// Streams both nodes of the idle round hold.
    var idleStreams = 1_000
    var jsonPath: String?

    static let usage =
        "usage: pccc-bench [--sizes N,N,...] [--single-record-writes N] [--searches N] [--idle-streams N] [--json FILE]"

    init(_ arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard ["--sizes", "--single-record-writes", "--searches", "--idle-streams", "--json"].contains(flag) else {
                throw BenchError("unknown option \(flag); \(Self.usage)")
            }
            guard let value = iterator.next() else { throw BenchError("\(flag) needs a value; \(Self.usage)") }
            switch flag {
            case "--sizes": sizes = try value.split(separator: ",", omittingEmptySubsequences: false).map { try Self.positive(String($0), flag) }
            case "--single-record-writes": singleRecordWrites = try Self.positive(value, flag)
            case "--searches": searches = try Self.positive(value, flag)
            case "--idle-streams": idleStreams = try Self.positive(value, flag)
            default: jsonPath = value
            }
        }
        // Smallest first, so the figures arrive early and the largest replica is the one searched.
        sizes.sort()
    }

    static func positive(_ text: String, _ flag: String) throws -> Int {
        guard let number = Int(text), number > 0 else { throw BenchError("\(flag) takes positive whole numbers, not \(text.isEmpty ? "nothing" : text)") }
        return number
    }
}

/// A benchmark that cannot go on; printed as one sentence.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
