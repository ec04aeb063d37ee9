import Foundation
import TestSupport

/// How hard a chaos run pushes: the region's size and how many writes, partitions and kills.
/// `PCCC_CHAOS_PROFILE` (short or long) and `PCCC_CHAOS_SEED` pick them; scripts/chaos.sh
/// sets both.
struct ChaosProfile: Sendable {
    let name: String
    let nodes: Int
    /// Each phase applies one partition, so this is also the number of partitions.
    let phases: Int
    /// Acknowledged writes over the whole run, spread evenly over phases and nodes.
    let writes: Int
    /// SIGKILLs of a `pccc serve` process, each followed by a restart.
    let kills: Int
    /// Restores of a node from an older copy of its folder: the copy is taken in one phase
    /// and put back, the node stopped by SIGKILL, in a later one.
    let restores: Int
    /// Seconds a peer may stay silent before a node drops it (`serve --peer-timeout`): short, so
    /// a one-way link is noticed within a phase.
    let peerTimeout = 6
    /// The longest wait for equal digests after the final heal.
    let convergenceSeconds = 60.0

    /// What CI runs.
    static let short = ChaosProfile(name: "short", nodes: 5, phases: 12, writes: 2_000, kills: 4, restores: 2)
    static let long = ChaosProfile(name: "long", nodes: 5, phases: 60, writes: 20_000, kills: 24, restores: 8)

    /// The profile and seed the environment asks for: the short profile and a fresh seed unless
    /// told otherwise. An unknown profile name is a test failure, not a silent default.
    static func fromEnvironment() throws -> (ChaosProfile, UInt64) {
        let environment = ProcessInfo.processInfo.environment
        let profile: ChaosProfile
        switch environment["PCCC_CHAOS_PROFILE"] ?? "short" {
        case "short": profile = .short
        case "long": profile = .long
        case let other: throw TestFailure("PCCC_CHAOS_PROFILE must be short or long, not \(other)")
        }
        guard let text = environment["PCCC_CHAOS_SEED"] else { return (profile, UInt64.random(in: 1...999_999)) }
        guard let seed = UInt64(text) else { throw TestFailure("PCCC_CHAOS_SEED must be a whole number, not \(text)") }
        return (profile, seed)
    }
}
