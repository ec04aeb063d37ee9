import Foundation
import FuzzTargets

// One libFuzzer binary for every target; PCCC_FUZZ_TARGET (frames, batch or topology) picks
// one when the fuzzer starts. scripts/fuzz.sh builds and runs it. Without -DFUZZING it builds
// as a plain program that replays input files, so the normal build stays whole.

#if FUZZING
    nonisolated(unsafe) private var target: ([UInt8]) -> Bool = { _ in false }

    /// libFuzzer's start hook: picks the target and writes its seeds into the corpus.
    @_cdecl("LLVMFuzzerInitialize")
    public func fuzzerInitialize(
        _ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
    ) -> CInt {
        let name = ProcessInfo.processInfo.environment["PCCC_FUZZ_TARGET"] ?? ""
        guard let chosen = FuzzTargets.named(name) else {
            FileHandle.standardError.write(Data("set PCCC_FUZZ_TARGET to frames, batch or topology, not '\(name)'\n".utf8))
            exit(2)
        }
        target = chosen
        if let folder = ProcessInfo.processInfo.environment["PCCC_FUZZ_SEED_DIR"] {
            do {
                try FuzzTargets.writeSeeds(for: name, into: folder)
            } catch {
                FileHandle.standardError.write(Data("cannot write seeds to \(folder): \(error)\n".utf8))
                exit(2)
            }
        }
        return 0
    }

    /// libFuzzer's entry: one generated input through the chosen target.
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        _ = target(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
        return 0
    }
#else
    @main enum Replay {
        /// `pccc-fuzz TARGET FILE…`: runs each file through the target, as a crash report's
        /// input is checked once fixed.
        static func main() throws {
            let arguments = CommandLine.arguments.dropFirst()
            guard let name = arguments.first, let chosen = FuzzTargets.named(name) else {
                FileHandle.standardError.write(Data("usage: pccc-fuzz frames|batch|topology FILE…\n".utf8))
                exit(2)
            }
            for path in arguments.dropFirst() {
                let accepted = chosen(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
                print("\(path): \(accepted ? "accepted" : "refused")")
            }
            print("replayed \(arguments.count - 1) inputs through \(name)")
        }
    }
#endif
