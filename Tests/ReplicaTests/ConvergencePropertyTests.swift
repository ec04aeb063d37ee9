import Foundation
import PropertyBased
import TestSupport
import Testing

/// Random histories on 3–5 replicas, delivered in random orders with duplicates, converge to
/// identical digests in every group. A failure prints the seed; replay it with
/// `PCCC_SCENARIO_SEED=<seed> swift test --filter replaysOneSeed`.
@Suite(.ownThread) struct ConvergencePropertyTests {
    static let cases = Int(ProcessInfo.processInfo.environment["PCCC_PROPERTY_CASES"] ?? "") ?? 1000

    @Test func randomHistoriesConvergeInEveryDeliveryOrder() async {
        await propertyCheck(count: Self.cases, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var scenario = ConvergenceScenario(seed: seed)
            do {
                let digests = try scenario.run()
                for (group, set) in digests {
                    #expect(set.count == 1, "seed \(seed): group \(group) diverged after \(scenario.log.joined(separator: "; "))")
                }
            } catch {
                Issue.record("seed \(seed): \(error) after \(scenario.log.joined(separator: "; "))")
            }
        }
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["PCCC_SCENARIO_SEED"] != nil, "set PCCC_SCENARIO_SEED to replay"))
    func replaysOneSeed() throws {
        let seed = try #require(UInt64(ProcessInfo.processInfo.environment["PCCC_SCENARIO_SEED"] ?? ""))
        var scenario = ConvergenceScenario(seed: seed)
        let digests = try scenario.run()
        print(scenario.log.joined(separator: "\n"))
        for (group, set) in digests {
            #expect(set.count == 1, "group \(group) diverged")
        }
    }
}
