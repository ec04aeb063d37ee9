import Logging
import NIOConcurrencyHelpers
import NIOCore
import Replica
import SyncCore
import Transport
import WireProtocol

/// One session with a peer: a reader that feeds received messages to the ``PeerSession``
/// state machine and applies batches, and a writer that drains the ``Outbox``. The two run
/// apart so a long catch-up in one direction never blocks the other.
final class PeerConnection: Sendable {
    let peer: String
    private let channel: PeerChannel
    private let node: SyncNode
    private let session: NIOLockedValueBox<PeerSession>
    private let outbox = Outbox()
    private let closeReason = NIOLockedValueBox<String?>(nil)
    private let contact = NIOLockedValueBox<UInt64?>(nil)
    private let batchTimes = NIOLockedValueBox<(received: UInt64?, sent: UInt64?)>((nil, nil))
    private let progress = NIOLockedValueBox<[StreamID: UInt64]>([:])
    /// Batches read from the replica per writer step.
    private static let batchesPerStep = 64

    init(peer: String, channel: PeerChannel, node: SyncNode) {
        self.peer = peer
        self.channel = channel
        self.node = node
        let configuration = node.configuration
        let topology = node.currentTopology
        var sessionConfiguration = PeerSession.Configuration(
            localHello: Hello(
                network: topology.network, nodeID: configuration.nodeID, topologyDigest: topology.digest,
                softwareVersion: configuration.softwareVersion
            ),
            peerNodeID: peer,
            sharedStreams: topology.sharedStreams(configuration.nodeID, peer)
        )
        sessionConfiguration.pingIntervalMilliseconds = configuration.pingIntervalMilliseconds
        sessionConfiguration.peerTimeoutMilliseconds = configuration.peerTimeoutMilliseconds
        session = NIOLockedValueBox(PeerSession(configuration: sessionConfiguration, now: Self.monotonicNow()))
    }

    /// The serial of the certificate the peer connected with.
    var peerCertificateSerial: [UInt8] { channel.peerCertificateSerial }

    /// When anything last arrived, Unix milliseconds.
    var lastContact: UInt64? { contact.withLockedValue { $0 } }

    /// When a batch last arrived from the peer and was last sent to it, Unix milliseconds.
    var lastBatches: (received: UInt64?, sent: UInt64?) { batchTimes.withLockedValue { $0 } }

    /// Runs the session until either side closes it; returns why it ended, when known.
    func run(localHeads: [StreamID: UInt64]) async -> String? {
        do {
            try await channel.channel.executeThenClose { inbound, outbound in
                perform(
                    session.withLockedValue {
                        $0.start(localHeads: localHeads, now: Self.monotonicNow(), wallMilliseconds: ReplicaConfiguration.systemMilliseconds())
                    }
                )
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await self.read(inbound) }
                    await self.write(outbound)
                    // The writer is done (it sent ERROR if there was one): closing the channel
                    // ends the reader.
                    try? await self.channel.channel.channel.close()
                    group.cancelAll()
                }
            }
        } catch {
            closeReason.withLockedValue { $0 = $0 ?? "\(error)" }
        }
        return closeReason.withLockedValue { $0 }
    }

    /// The positions the peer acknowledged since the last call.
    func takeProgress() -> [(origin: String, group: String, seq: UInt64)] {
        progress.withLockedValue { progress in
            defer { progress = [:] }
            return progress.map { (origin: $0.key.origin, group: $0.key.group, seq: $0.value) }
        }
    }

    func localHeadsChanged(_ heads: [StreamID: UInt64]) {
        perform(session.withLockedValue { $0.localHeadsChanged(heads) })
    }

    /// Asks the peer again for a stream from `seq` on.
    func refetch(_ stream: StreamID, from seq: UInt64) {
        perform(session.withLockedValue { $0.refetch(stream, from: seq, now: Self.monotonicNow()) })
    }

    func tick() {
        perform(session.withLockedValue { $0.tick(now: Self.monotonicNow()) })
    }

    func close(_ error: ProtocolError?) {
        perform(session.withLockedValue { $0.close(error) })
    }

    private func read(_ inbound: NIOAsyncChannelInboundStream<Frame>) async {
        do {
            for try await frame in inbound {
                contact.withLockedValue { $0 = ReplicaConfiguration.systemMilliseconds() }
                let message: PeerMessage
                do {
                    message = try PeerMessage(frame: frame)
                } catch {
                    close(error)
                    return
                }
                if case .error(let code, let text) = message {
                    node.logger.warning("peer \(peer) closed the session: \(code): \(text)")
                    closeReason.withLockedValue { $0 = "peer sent \(code): \(text)" }
                }
                let actions = session.withLockedValue { $0.receive(message, now: Self.monotonicNow()) }
                await performReceiving(actions)
                if session.withLockedValue({ $0.isClosed }) { return }
            }
            close(nil)
        } catch let error as ProtocolError {
            close(error)
        } catch {
            closeReason.withLockedValue { $0 = $0 ?? "\(error)" }
            close(nil)
        }
    }

    /// Carries out actions from the reader, where batches are applied in arrival order.
    private func performReceiving(_ actions: [PeerSession.Action]) async {
        for action in actions {
            guard case .apply(let envelope, let stream, let seq) = action else {
                perform([action])
                continue
            }
            batchTimes.withLockedValue { $0.received = ReplicaConfiguration.systemMilliseconds() }
            let result: PeerSession.BatchResult
            do {
                let replica = node.replica
                let started = NIODeadline.now()
                let outcome = try await node.onStorage { [peer] in try replica.apply(envelope: envelope, relayedBy: peer) }
                NodeMetrics.batchReceived(outcome, applyNanoseconds: (NIODeadline.now() - started).nanoseconds)
                result = Self.result(of: outcome)
            } catch {
                node.logger.error("storage: cannot store a batch of \(stream) from \(peer): \(error)")
                NodeMetrics.storageFailed()
                close(ProtocolError(.internalError, "the receiving node could not store the batch"))
                return
            }
            if case .rejected(let rejection) = result {
                node.logger.warning("refused batch \(seq) of \(stream) from \(peer): \(rejection)")
            }
            await performReceiving(session.withLockedValue { $0.batchApplied(stream, seq: seq, result: result, now: Self.monotonicNow()) })
        }
    }

    private func perform(_ actions: [PeerSession.Action]) {
        for action in actions {
            switch action {
            case .send(let message):
                outbox.send(message.frame)
            case .sendBatches(let stream, let after, let through):
                outbox.sendBatches(stream, after: after, through: through)
            case .apply(_, let stream, _):
                // Only the reader receives batches; see performReceiving.
                node.logger.error("a batch of \(stream) reached the wrong path and was dropped")
            case .recordPeerProgress(let positions):
                // Kept in memory and written with the next heartbeat: an ACK costs no write.
                progress.withLockedValue { progress in
                    progress.merge(positions) { max($0, $1) }
                }
            case .peerIdentified(let hello, let matches):
                if !matches {
                    node.logger.warning("peer \(peer) runs another topology (digest differs); sync goes on, check status")
                }
                let replica = node.replica
                let peer = self.peer
                let now = ReplicaConfiguration.systemMilliseconds()
                let skew = Int64(bitPattern: hello.sentAtMilliseconds) - Int64(now)
                if skew > Int64(replica.configuration.maxClockSkewMilliseconds) {
                    node.logger.warning("the clock of \(peer) is \(skew / 1000) s ahead of this node's; its new batches will be held back here")
                } else if -skew > Int64(replica.configuration.maxClockSkewMilliseconds) {
                    node.logger.warning("the clock of \(peer) is \(-skew / 1000) s behind this node's; this node's new batches will be held back there")
                }
                Task {
                    await node.storing("record the session with \(peer)") {
                        try replica.recordPeerConnected(
                            peer: peer, at: now, topologyMatches: matches, software: hello.softwareVersion, clockSkew: skew
                        )
                    }
                }
                node.logger.info("session with \(peer) established")
            case .caughtUp(let heads):
                let replica = node.replica
                let peer = self.peer
                let node = self.node
                let positions = heads.map { StreamPosition(origin: $0.key.origin, group: $0.key.group, seq: $0.value) }
                Task {
                    guard
                        let check = await node.storing(
                            "check the redactions \(peer) sent",
                            {
                                try replica.checkRedactions(caughtUpWith: peer, through: positions)
                            })
                    else { return }
                    for batch in check.suspect {
                        node.logger.warning(
                            "batch \(batch.seq) of \(batch.origin)/\(batch.group) from \(peer) has a redacted change no erasure explains; asking every peer for it"
                        )
                    }
                    // The sender too: it may hold the full batch by now.
                    node.refetch(check.suspect)
                    for batch in check.outstanding { self.refetch(StreamID(origin: batch.origin, group: batch.group), from: batch.seq) }
                }
            case .close(let error):
                if let error {
                    node.logger.warning("closing the session with \(peer): \(error)")
                    closeReason.withLockedValue { $0 = $0 ?? "\(error)" }
                }
                outbox.close(error)
            }
        }
    }

    private func write(_ outbound: NIOAsyncChannelOutboundWriter<Frame>) async {
        do {
            while true {
                switch await outbox.next() {
                case .frames(let frames):
                    try await outbound.write(contentsOf: frames)
                case .batches(let stream, let after, let through, let generation):
                    let replica = node.replica
                    let count = Int(min(through - after, UInt64(Self.batchesPerStep)))
                    let batches = try await node.onStorage {
                        try replica.batches(origin: stream.origin, group: stream.group, after: after, limit: count)
                    }
                    guard let last = batches.last else {
                        outbox.sent(stream, through: through, generation: generation)
                        continue
                    }
                    try await outbound.write(contentsOf: batches.map { PeerMessage.batch($0.envelope).frame })
                    NodeMetrics.batchesSent(batches.count)
                    batchTimes.withLockedValue { $0.sent = ReplicaConfiguration.systemMilliseconds() }
                    outbox.sent(stream, through: last.header.seq, generation: generation)
                case .close(let error):
                    if let error {
                        closeReason.withLockedValue { $0 = $0 ?? "\(error)" }
                        try? await outbound.write(PeerMessage.error(error).frame)
                    }
                    outbound.finish()
                    return
                }
            }
        } catch {
            closeReason.withLockedValue { $0 = $0 ?? "cannot write to \(peer): \(error)" }
        }
    }

    private static func result(of outcome: ApplyOutcome) -> PeerSession.BatchResult {
        switch outcome {
        case .applied: .applied
        case .duplicate: .duplicate
        case .heldBack: .heldBack
        case .forked: .forked
        case .rejected(let rejection): .rejected(rejection)
        }
    }

    static func monotonicNow() -> UInt64 {
        NIODeadline.now().uptimeNanoseconds / 1_000_000
    }
}
