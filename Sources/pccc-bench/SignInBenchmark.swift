import Foundation
import Replica

/// `pccc-bench sign-in`: what one password check costs with the parameters new passwords are
/// hashed with (``PasswordHash/current``): the time to hash a password and to check a right
/// and a wrong one, median of N each. That time is what a sign-in costs the node, and what
/// each guess costs anyone holding a stolen file.
struct SignInBenchOptions {
    var runs = 20

    static let usage = "usage: pccc-bench sign-in [--runs N]"

    init(_ arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard flag == "--runs" else { throw BenchError("unknown option \(flag); \(Self.usage)") }
            guard let value = iterator.next() else { throw BenchError("\(flag) needs a value; \(Self.usage)") }
            runs = try BenchOptions.positive(value, flag)
        }
    }
}

func signInBenchmark(_ options: SignInBenchOptions) throws {
    func median(_ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for _ in 0..<options.runs {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return times.sorted()[times.count / 2]
    }
    let password = "a password of twenty-four"
    let hash = try PasswordHash(hashing: password)
    let hashing = try median { _ = try PasswordHash(hashing: password) }
    let right = median { precondition(hash.matches(password)) }
    let wrong = median { precondition(!hash.matches(password + "!")) }
    let (rounds, blockSize, parallelism) = PasswordHash.current
    print(
        "password check, scrypt N=\(rounds) r=\(blockSize) p=\(parallelism) (\(128 * rounds * blockSize / 1_048_576) MiB), median of \(options.runs): "
            + String(format: "hash %.1f ms, right password %.1f ms, wrong password %.1f ms", hashing, right, wrong))
}
