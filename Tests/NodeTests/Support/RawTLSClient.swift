import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import SyncCore
import TestSupport
import WireProtocol

/// A test-side TLS client that writes raw bytes and reads every frame the node sends back:
/// what a hostile or misconfigured peer sees.
enum RawTLSClient {
    /// What came back.
    struct Reply {
        /// The frames the node sent, every one decoded.
        var messages: [PeerMessage] = []
        /// Whether the node closed the connection (rather than this client, once `until` held).
        var closedByNode = false
        /// An error the connection ended with, if any.
        var error: String?
    }

    /// Connects with the given identity (or none) and TLS ceiling, sends `bytes`, and reads
    /// until the node closes the connection or, with `until`, until the messages so far
    /// satisfy it (then this client closes). Neither within `seconds` throws: a wait that runs
    /// out is a failure, never an answer.
    static func exchange(
        port: Int,
        certificatePEM: String?,
        keyPEM: String?,
        maximumTLSVersion: TLSVersion = .tlsv13,
        send bytes: [UInt8],
        seconds: Double = 30,
        until done: (@Sendable ([PeerMessage]) -> Bool)? = nil
    ) async throws -> Reply {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        configuration.maximumTLSVersion = maximumTLSVersion
        if let certificatePEM, let keyPEM {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8)).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem))
        }
        let context = try NIOSSLContext(configuration: configuration)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var reply = Reply()
            try? await outbound.write(ByteBuffer(bytes: bytes))
            var received = ByteBuffer()
            var satisfied = false
            var unparsed: Error?
            let timedOut = NIOLockedValueBox(false)
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Cancelled once the reading below is over; only a wait that ran out closes here.
                    guard (try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))) != nil else { return }
                    timedOut.withLockedValue { $0 = true }
                    try? await channel.channel.close()
                }
                do {
                    reading: for try await var chunk in inbound {
                        received.writeBuffer(&chunk)
                        // Whatever the node sent must parse: a frame this client cannot read is a
                        // finding, not something to skip.
                        do {
                            while let frame = try Frame.next(from: &received, maxLength: Frame.defaultMaxLength) {
                                reply.messages.append(try PeerMessage(frame: frame))
                            }
                        } catch {
                            unparsed = error
                            break reading
                        }
                        if let done, done(reply.messages) {
                            satisfied = true
                            break reading
                        }
                    }
                } catch {
                    reply.error = "\(error)"
                }
                group.cancelAll()
            }
            if let unparsed { throw TestFailure("the node sent a frame that does not parse (\(unparsed)) after \(reply.messages)") }
            if timedOut.withLockedValue({ $0 }) {
                let awaited = done == nil ? "to close the connection" : "the expected messages"
                throw TestFailure("waited \(seconds) s for the node \(awaited); it sent \(reply.messages)")
            }
            reply.closedByNode = !satisfied
            if reply.closedByNode, received.readableBytes > 0 {
                throw TestFailure("the node closed the connection inside a frame (\(received.readableBytes) bytes) after \(reply.messages)")
            }
            return reply
        }
    }

    /// A HELLO from `node` followed by an empty WANT: a well-behaved opening.
    static func opening(node: NodeID, network: String = "test-region", sentAt: UInt64 = 0) -> [UInt8] {
        let hello = Hello(network: network, nodeID: node, topologyDigest: Array(repeating: 0, count: 32), softwareVersion: "test", sentAtMilliseconds: sentAt)
        return PeerMessage.hello(hello).frame.bytes + PeerMessage.want([:]).frame.bytes
    }
}
