import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import TestSupport
import WireProtocol

/// A test-side TLS client that writes raw bytes and collects every frame the node sends back
/// until it closes the connection: what a hostile or misconfigured peer sees.
enum RawTLSClient {
    /// What came back.
    struct Reply {
        /// Frames the node sent, decoded as far as they go.
        var messages: [PeerMessage] = []
        /// Whether the node closed the connection (rather than the wait running out).
        var closedByNode = false
        /// An error the connection ended with, if any.
        var error: String?
    }

    /// Connects with the given identity (or none) and TLS ceiling, sends `bytes`, and reads
    /// until the node closes or `seconds` pass.
    static func exchange(
        port: Int,
        certificatePEM: String?,
        keyPEM: String?,
        maximumTLSVersion: TLSVersion = .tlsv13,
        send bytes: [UInt8],
        seconds: Double = 5
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
            let timedOut = NIOLockedValueBox(false)
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Cancelled once the node has closed; only a wait that ran out closes here.
                    guard (try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))) != nil else { return }
                    timedOut.withLockedValue { $0 = true }
                    try? await channel.channel.close()
                }
                do {
                    for try await var chunk in inbound {
                        received.writeBuffer(&chunk)
                    }
                } catch {
                    reply.error = "\(error)"
                }
                group.cancelAll()
            }
            reply.closedByNode = !timedOut.withLockedValue { $0 }
            while let frame = try? Frame.next(from: &received, maxLength: Frame.defaultMaxLength) {
                guard let message = try? PeerMessage(frame: frame) else { break }
                reply.messages.append(message)
            }
            return reply
        }
    }

    /// A HELLO from `node` followed by an empty WANT: a well-behaved opening.
    static func opening(node: String, network: String = "test-region", sentAt: UInt64 = 0) -> [UInt8] {
        let hello = Hello(network: network, nodeID: node, topologyDigest: Array(repeating: 0, count: 32), softwareVersion: "test", sentAtMilliseconds: sentAt)
        return PeerMessage.hello(hello).frame.bytes + PeerMessage.want([:]).frame.bytes
    }
}
