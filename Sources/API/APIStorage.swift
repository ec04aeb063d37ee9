import NIOPosix
import Replica

/// Runs blocking replica calls on a thread pool, off Swift's cooperative threads, and turns
/// the replica's refusals into HTTP errors.
struct APIStorage: Sendable {
    let replica: Replica

    func run<T: Sendable>(_ body: @escaping @Sendable (Replica) throws -> T) async throws -> T {
        do {
            return try await NIOThreadPool.singleton.runIfActive { [replica] in try body(replica) }
        } catch let error as ReplicaError {
            throw APIError(error)
        }
    }
}
