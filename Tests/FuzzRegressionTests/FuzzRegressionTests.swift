import Foundation
import FuzzTargets
import Testing

/// The fuzz targets in the normal test run: every input a fuzzer crashed on (kept in
/// Fuzz/regressions/TARGET/) and, as a small deterministic fuzz, every truncation and every
/// single-byte flip of each valid seed. A crash or a trap fails the run.
@Suite struct FuzzRegressionTests {
    static let regressions = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Fuzz/regressions").standardizedFileURL

    @Test(arguments: ["frames", "batch", "topology"])
    func recordedCrashInputsAndMutatedSeedsDoNotCrashTheDecoder(target: String) throws {
        let run = try #require(FuzzTargets.named(target))
        let folder = Self.regressions.appendingPathComponent(target)
        let files = (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []
        for file in files { _ = run(Array(try Data(contentsOf: file))) }

        let seeds = try #require(try FuzzTargets.seeds()[target])
        #expect(!seeds.isEmpty)
        for seed in seeds {
            #expect(run(seed), "a valid \(target) seed must be accepted, or the fuzzer starts from nothing")
            // A cut frame or signed batch is never taken whole. A cut topology may still parse,
            // and a raw leaf list cut between two leaves is a shorter valid list.
            let cutsAreRefused = target == "frames" || (target == "batch" && seed.first == 0)
            for length in 0..<seed.count {
                let accepted = run(Array(seed.prefix(length)))
                if cutsAreRefused { #expect(!accepted, "\(target) cut to \(length) of \(seed.count) bytes was accepted") }
            }
            for index in seed.indices {
                var flipped = seed
                flipped[index] ^= 0xFF
                _ = run(flipped)
            }
        }
    }
}
