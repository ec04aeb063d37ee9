import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Replica
import SyncCore
import WireProtocol

/// One session with a peer: a reader that feeds received messages to the ``PeerSession``
/// state machine and applies batches, and a writer that drains the ``Outbox``. The two run
/// apart so a long catch-up in one direction never blocks the other. It knows nothing of
/// sockets: ``SyncEngine/runSession(_:over:)`` runs it over any ``FrameLink``.
public final class PeerConnection: Sendable {
    /// The peer's node id.
    public let peer: NodeID
    private let engine: SyncEngine
    private let session: NIOLockedValueBox<PeerSession>
    private let outbox = Outbox()
    private let closeReason = NIOLockedValueBox<String?>(nil)
    private let contact = NIOLockedValueBox<UInt64?>(nil)
    private let batchTimes = NIOLockedValueBox<(received: UInt64?, sent: UInt64?)>((nil, nil))
    private let progress = NIOLockedValueBox<[StreamID: UInt64]>([:])
    /// The audit head this session last sent. An echo is answered only by the session's first
    /// head or a newly diverged one, so a peer that does not take a head (a rewind it pins, a
    /// key it does not know yet) and echoes what it holds cannot start an endless exchange; and
    /// no head goes out after one with a higher seq.
    private let lastAuditHeadSent = NIOLockedValueBox<AuditHead?>(nil)
    /// Whether the periodic look at the audit head is running; a tick finding it so skips it.
    private let auditDueRunning = NIOLockedValueBox(false)
    /// Batches read from the replica per writer step.
    private static let batchesPerStep = 64

    init(peer: NodeID, configuration: PeerSession.Configuration, engine: SyncEngine) {
        self.peer = peer
        self.engine = engine
        session = NIOLockedValueBox(PeerSession(configuration: configuration, now: engine.clock.monotonicMilliseconds))
    }

    private var logger: Logger { engine.logger }
    private var clock: any NodeClock { engine.clock }

    /// When anything last arrived, Unix milliseconds.
    var lastContact: UInt64? { contact.withLockedValue { $0 } }

    /// When a batch last arrived from the peer and was last sent to it, Unix milliseconds.
    var lastBatches: (received: UInt64?, sent: UInt64?) { batchTimes.withLockedValue { $0 } }

    /// Whether the peer's HELLO was accepted and the session has not closed.
    public var isEstablished: Bool { session.withLockedValue { $0.isEstablished } }

    /// Runs the session until either side closes it; returns why it ended, when known.
    func run(over link: some FrameLink, localHeads: HeldHeads, unconfirmed: [StreamID: UInt64]) async -> String? {
        do {
            try await link.open { inbound, outbound in
                perform(
                    session.withLockedValue {
                        $0.start(
                            localHeads: localHeads.seqs, headHashes: localHeads.hashes, unconfirmed: unconfirmed, now: clock.monotonicMilliseconds,
                            wallMilliseconds: clock.wallMilliseconds)
                    }
                )
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await self.read(inbound) }
                    await self.write(outbound)
                    // The writer is done (it sent ERROR if there was one): closing the link
                    // ends the reader.
                    await link.close()
                    group.cancelAll()
                }
            }
        } catch {
            closeReason.withLockedValue { $0 = $0 ?? "\(error)" }
        }
        return closeReason.withLockedValue { $0 }
    }

    /// The positions the peer acknowledged since the last call.
    func takeProgress() -> [StreamPosition] {
        progress.withLockedValue { progress in
            defer { progress = [:] }
            return progress.map { StreamPosition($0.key, seq: $0.value) }
        }
    }

    /// Puts back acknowledgements a failed heartbeat did not record; newer ones win.
    func returnProgress(_ positions: [StreamPosition]) {
        progress.withLockedValue { progress in
            for position in positions { progress[position.stream] = max(progress[position.stream] ?? 0, position.seq) }
        }
    }

    func localHeadsChanged(_ heads: HeldHeads) {
        perform(session.withLockedValue { $0.localHeadsChanged(heads.seqs, headHashes: heads.hashes) })
    }

    /// The replica cut `stream` back to `seq`; see ``PeerSession/streamCutBack(_:to:)``.
    func streamCutBack(_ stream: StreamID, to seq: UInt64) {
        session.withLockedValue { $0.streamCutBack(stream, to: seq) }
    }

    /// Asks the peer again for a stream from `seq` on.
    func refetch(_ stream: StreamID, from seq: UInt64) {
        perform(session.withLockedValue { $0.refetch(stream, from: seq, now: clock.monotonicMilliseconds) })
    }

    func tick() {
        perform(session.withLockedValue { $0.tick(now: clock.monotonicMilliseconds) })
    }

    /// Ends the session, sending ERROR first when `error` is given.
    public func close(_ error: ProtocolError?) {
        perform(session.withLockedValue { $0.close(error) })
    }

    private func read<Inbound: AsyncSequence>(_ inbound: Inbound) async where Inbound.Element == Frame {
        do {
            for try await frame in inbound {
                contact.withLockedValue { $0 = clock.wallMilliseconds }
                let message: PeerMessage
                do {
                    message = try PeerMessage(frame: frame)
                } catch {
                    close(error)
                    return
                }
                if case .error(let code, let text) = message {
                    logger.warning("peer \(peer) closed the session: \(code): \(text)")
                    closeReason.withLockedValue { $0 = "peer sent \(code): \(text)" }
                }
                let actions = session.withLockedValue { $0.receive(message, now: clock.monotonicMilliseconds) }
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
            switch action {
            case .sendAuditEcho, .auditEchoReceived, .auditHeadReceived:
                // Awaited, as a batch is: a peer sending these faster than they are stored
                // waits for the reader rather than queueing work without bound.
                await performAudit(action)
                continue
            default:
                break
            }
            guard case .apply(let envelope, let stream, let seq) = action else {
                perform([action])
                continue
            }
            batchTimes.withLockedValue { $0.received = clock.wallMilliseconds }
            let result: PeerSession.BatchResult
            do {
                // How long SQLite took, for the histogram: real elapsed time, not the node's
                // clock, which a test may hold still.
                let started = NIODeadline.now()
                let outcome = try await engine.storage.apply(envelope: envelope, relayedBy: peer)
                NodeMetrics.batchReceived(outcome, applyNanoseconds: (NIODeadline.now() - started).nanoseconds)
                result = Self.result(of: outcome)
            } catch let error where error is CancellationError || error is NIOThreadPoolError.ThreadPoolInactive {
                // The session is ending (replaced by a newer connection, or the node stops):
                // nothing failed, and the batch comes again in the next session.
                close(ProtocolError(.goingAway, "the session ended while a batch was being stored"))
                return
            } catch {
                // The session cannot go on without it: the peer would take the batch as held.
                reportStorageFailure("store a batch of \(stream) from \(peer)", error, logger: logger)
                close(ProtocolError(.internalError, "the receiving node could not store the batch"))
                return
            }
            if case .restoreDetected(let truncated) = result {
                logger.warning(
                    "\(peer) holds batches of this node's own stream \(stream) that it does not: this node was restored from an older copy; it began a new epoch and takes its old batches back from its peers"
                )
                // This session asks its peer itself (batchApplied); every other peer is asked too.
                engine.refetch(truncated.map { StreamPosition($0.key, seq: $0.value + 1) }, except: self)
            }
            if case .gaveWay(let truncated, _) = result {
                logger.info(
                    "the held tail of \(truncated.keys.sorted().map(\.description).joined(separator: ", ")) was re-issued by its origin in a later epoch and gives way to the region's branch, asked for again"
                )
                engine.streamsCutBack(truncated, except: self)
            }
            let next = session.withLockedValue { $0.batchApplied(stream, seq: seq, result: result, now: clock.monotonicMilliseconds) }
            if case .rejected(let rejection) = result {
                // The session refuses it and closes, unless it is out of order in a stream this
                // node just asked for again (sent before the peer had the question): dropped,
                // the answer brings it. Only a refusal is worth a warning.
                let closes = next.contains { if case .close = $0 { true } else { false } }
                if closes || rejection.code != .outOfOrder {
                    logger.warning("refused batch \(seq) of \(stream) from \(peer): \(rejection)")
                } else {
                    logger.debug("dropped batch \(seq) of \(stream) from \(peer), sent before this node asked for the stream again: \(rejection)")
                }
            }
            await performReceiving(next)
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
                logger.error("a batch of \(stream) reached the wrong path and was dropped")
            case .recordPeerProgress(let positions):
                // Kept in memory and written with the next heartbeat: an ACK costs no write.
                progress.withLockedValue { progress in
                    progress.merge(positions) { max($0, $1) }
                }
            case .peerIdentified(let hello, let matches):
                peerIdentified(hello, topologyMatches: matches)
            case .caughtUp(let heads):
                caughtUp(heads)
            case .sendAuditEcho, .auditEchoReceived, .auditHeadReceived:
                // Only the reader receives these; see performReceiving.
                logger.error("an audit step for \(peer) reached the wrong path and was dropped")
            case .auditHeadDue:
                guard
                    auditDueRunning.withLockedValue({ running in
                        defer { running = true }; return !running
                    })
                else { break }
                Task {
                    await performAudit(.auditHeadDue)
                    auditDueRunning.withLockedValue { $0 = false }
                }
            case .close(let error):
                if let error {
                    logger.warning("closing the session with \(peer): \(error)")
                    closeReason.withLockedValue { $0 = $0 ?? "\(error)" }
                }
                outbox.close(error)
            }
        }
    }

    /// One step of the audit-head exchange (docs/PROTOCOL.md §4, step 7), and what it sends. A
    /// storage failure is logged and counted, and the session goes on.
    private func performAudit(_ action: PeerSession.Action) async {
        let storage = engine.storage
        let peer = self.peer
        let logger = self.logger
        let message = await storing("exchange audit heads with \(peer)", logger: logger) { () async throws -> PeerMessage? in
            switch action {
            case .sendAuditEcho:
                return .auditEcho(try await storage.heldAuditHead(of: peer))
            case .auditEchoReceived(let echo):
                switch try await storage.noteAuditEcho(echo, from: peer) {
                case .held:
                    break
                case .notHeld:
                    logger.warning(
                        "\(peer) holds \((echo?.position ?? .none)) of this node's audit log, which the log no longer holds: it was cut, rewritten or put back from an older copy"
                    )
                case .unsigned:
                    logger.warning("\(peer) echoes an audit head this node never signed; ignored")
                    return nil
                }
                // In answer to an echo, only this session's first head, or one that now says the
                // log diverged; a head that merely moved waits for the periodic look, so logs
                // that move all the time cost one head per interval, not one per round trip.
                guard let head = try await storage.auditHead(for: peer), isFirstOrNewlyDiverged(head) else { return nil }
                return .auditHead(head)
            case .auditHeadReceived(let head):
                let (outcome, held) = try await storage.receiveAuditHead(head, from: peer)
                switch outcome {
                case .rewound(let reason): logger.warning("audit head of \(peer) refused: \(reason)")
                case .refused(let reason): logger.warning("audit head of \(peer) ignored: \(reason)")
                case .kept, .unchanged, .pinned: break
                }
                return .auditEcho(held)
            case .auditHeadDue:
                return try await storage.auditHead(for: peer).map(PeerMessage.auditHead)
            default:
                return nil
            }
        }
        guard let message = message ?? nil else { return }
        guard case .auditHead(let head) = message else {
            outbox.send(message.frame)
            return
        }
        // The periodic look runs beside the reader: a head read before a later one went out
        // is dropped, never sent after it (the peer would take the lower seq for a rewind).
        lastAuditHeadSent.withLockedValue { last in
            if let last, head.position.seq < last.position.seq { return }
            last = head
            outbox.send(message.frame)
        }
    }

    /// Whether no head went out in this session yet, or `head` says the log diverged where the
    /// last one sent did not.
    private func isFirstOrNewlyDiverged(_ head: AuditHead) -> Bool {
        lastAuditHeadSent.withLockedValue { last in last.map { head.diverged && !$0.diverged } ?? true }
    }

    private func peerIdentified(_ hello: Hello, topologyMatches matches: Bool) {
        if !matches {
            logger.warning("peer \(peer) runs another topology (digest differs); sync goes on, check status")
        }
        let storage = engine.storage
        let logger = self.logger
        let peer = self.peer
        let now = clock.wallMilliseconds
        // Clamped: a HELLO's time is the peer's to choose, and a difference past Int64 would trap.
        let skew = Int64(clamping: Int128(hello.sentAtMilliseconds) - Int128(now))
        let maxSkew = Int64(storage.maxClockSkewMilliseconds)
        if skew > maxSkew {
            logger.warning("the clock of \(peer) is \(skew / 1000) s ahead of this node's; its new batches will be held back here")
        } else if -skew > maxSkew {
            logger.warning("the clock of \(peer) is \(-skew / 1000) s behind this node's; this node's new batches will be held back there")
        }
        let version = session.withLockedValue { $0.agreedVersion } ?? hello.protocolVersion
        if version < 2 {
            // An older release: streams of later epochs cannot be named to it (§3).
            let later = engine.heldStreams.filter { $0.epoch != 0 }
            let shared = session.withLockedValue { $0.configuration.sharedStreams }
            let withheld = later.filter { SharedStreams(groups: shared.groups).contains($0) }
            if !withheld.isEmpty {
                logger.warning(
                    "\(peer) speaks protocol version 1, which names no epoch: \(withheld.count) streams of later epochs (\(withheld.sorted().prefix(3).map(\.description).joined(separator: ", "))) reach it only through peers on version 2, or once it upgrades"
                )
            }
        }
        let software = "\(hello.softwareVersion), protocol \(version)"
        Task {
            await storing("record the session with \(peer)", logger: logger) {
                try await storage.recordPeerConnected(peer: peer, at: now, topologyMatches: matches, software: software, clockSkew: skew)
            }
            await storing("note the protocol version of \(peer)", logger: logger) { try await storage.noteAuditVersion(version, of: peer) }
        }
        logger.info("session with \(peer) established, protocol version \(version)")
    }

    /// Once caught up with what the peer held at the start, judges the redactions it sent.
    private func caughtUp(_ heads: [StreamID: UInt64]) {
        let storage = engine.storage
        let engine = self.engine
        let peer = self.peer
        let positions = heads.map { StreamPosition($0.key, seq: $0.value) }
        Task {
            guard
                let check = await storing(
                    "check the redactions \(peer) sent", logger: engine.logger,
                    {
                        try await storage.checkRedactions(caughtUpWith: peer, through: positions)
                    })
            else { return }
            for batch in check.suspect {
                engine.logger.warning(
                    "batch \(batch.seq) of \(batch.origin)/\(batch.group) from \(peer) has a redacted change no erasure explains; asking every peer for it"
                )
            }
            // The sender too: it may hold the full batch by now.
            engine.refetch(check.suspect)
            for batch in check.outstanding { self.refetch(batch.stream, from: batch.seq) }
        }
    }

    private func write(_ outbound: some FrameWriter) async {
        do {
            while true {
                switch await outbox.next() {
                case .frames(let frames):
                    try await outbound.send(frames)
                case .batches(let stream, let after, let through, let generation):
                    let count = Int(min(through - after, UInt64(Self.batchesPerStep)))
                    let batches: [SignedBatch]
                    do {
                        batches = try await engine.storage.batches(of: stream, after: after, limit: count)
                    } catch {
                        reportStorageFailure("read batches of \(stream) to send to \(peer)", error, logger: engine.logger)
                        closeReason.withLockedValue { $0 = $0 ?? "this node could not read batches of \(stream)" }
                        try? await outbound.send([PeerMessage.error(ProtocolError(.internalError, "the sending node could not read its batches")).frame])
                        outbound.finish()
                        return
                    }
                    guard let last = batches.last else {
                        outbox.sent(stream, through: through, generation: generation)
                        continue
                    }
                    try await outbound.send(batches.map { PeerMessage.batch($0.envelope).frame })
                    NodeMetrics.batchesSent(batches.count)
                    batchTimes.withLockedValue { $0.sent = clock.wallMilliseconds }
                    outbox.sent(stream, through: last.header.seq, generation: generation)
                case .close(let error):
                    if let error {
                        closeReason.withLockedValue { $0 = $0 ?? "\(error)" }
                        try? await outbound.send([PeerMessage.error(error).frame])
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
        case .appliedGivingWay(_, let truncated): .gaveWay(truncated, applied: true)
        case .gaveWay(let truncated): .gaveWay(truncated, applied: false)
        case .superseded: .superseded
        case .duplicate: .duplicate
        case .heldBack: .heldBack
        case .forked: .forked
        case .restoreDetected(let truncated): .restoreDetected(truncated)
        case .revoked: .revoked
        case .partedEarlier: .partedEarlier
        case .rejected(let rejection): .rejected(rejection)
        }
    }
}
