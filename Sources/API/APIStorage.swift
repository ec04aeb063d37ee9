import NIOPosix
import Replica

/// Runs blocking replica calls on a thread pool, off Swift's cooperative threads; the replica's
/// refusals reach `APIErrorMiddleware`, which gives each its answer.
struct APIStorage: Sendable {
    let replica: Replica

    func run<T: Sendable>(_ body: @escaping @Sendable (Replica) throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive { [replica] in try body(replica) }
    }
}
