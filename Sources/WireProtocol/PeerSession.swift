import Crypto
import SyncCore

/// The sync protocol of one connection as a pure state machine (DESIGN §5): it is fed what
/// arrived and what happened locally, and answers with actions for the connection to carry
/// out. It does no I/O, so every rule here is tested without sockets.
///
/// Sending side: after the peer's WANT, the session asks for every batch the peer lacks of
/// each shared stream, oldest first, and then for each new batch as local heads advance.
/// Receiving side: HELLO is checked first; each BATCH is checked against the shared streams
/// before the replica sees it; applied batches are acknowledged in groups.
public struct PeerSession: Sendable {
    /// What the session needs to know about the two ends of the link.
    public struct Configuration: Sendable {
        /// Our HELLO.
        public var localHello: Hello
        /// The node id proven by the peer's certificate.
        public var peerNodeID: NodeID
        /// The streams both ends may hold: every member of every group both are members of,
        /// in any epoch.
        public var sharedStreams: SharedStreams
        /// Acknowledge after this many applied batches, or at the next tick.
        public var ackEvery = 64
        /// Send PING when nothing was sent for this long.
        public var pingIntervalMilliseconds: UInt64 = 10_000
        /// Close when nothing was received for this long.
        public var peerTimeoutMilliseconds: UInt64 = 45_000
        /// After a held-back batch, ask for its stream again after this long.
        public var rewantDelayMilliseconds: UInt64 = 5_000
        /// How often a session asks again for a stream whose batch forked.
        public var forkRetries = 12
        /// In protocol version 3, how often the session looks whether this node's audit head
        /// moved since the peer last echoed it, and sends it if so.
        public var auditIntervalMilliseconds: UInt64 = 60_000

        /// Creates a configuration with default timings.
        public init(localHello: Hello, peerNodeID: NodeID, sharedStreams: SharedStreams) {
            self.localHello = localHello
            self.peerNodeID = peerNodeID
            self.sharedStreams = sharedStreams
        }
    }

    /// What the connection must do.
    public enum Action: Equatable, Sendable {
        /// Send this message.
        case send(PeerMessage)
        /// Send the stored batches of `stream` with `after < seq <= through`, oldest first.
        case sendBatches(StreamID, after: UInt64, through: UInt64)
        /// Verify and apply this envelope, then report with `batchApplied`.
        case apply(envelope: [UInt8], stream: StreamID, seq: UInt64)
        /// The peer acknowledged these positions.
        case recordPeerProgress([StreamID: UInt64])
        /// Send `AUDIT_ECHO` with the head of the peer's audit log this node holds.
        case sendAuditEcho
        /// The peer echoed the head of this node's audit log it holds: note it, and send this
        /// node's own head if the peer does not hold it.
        case auditEchoReceived(AuditHead?)
        /// The peer sent the signed head of its audit log: judge and keep it, and echo what is
        /// held.
        case auditHeadReceived(AuditHead)
        /// Send this node's audit head if the peer's last echo is not it.
        case auditHeadDue
        /// The peer's HELLO was accepted.
        case peerIdentified(Hello, topologyMatches: Bool)
        /// Close the connection, after sending ERROR when an error is given.
        case close(ProtocolError?)
        /// This node now holds everything the peer held of the shared streams when the session
        /// began (`heads`, learnt from the peer's WANT): the catch-up-complete signal. Sent once
        /// per session.
        case caughtUp(heads: [StreamID: UInt64])
    }

    /// What the replica made of a batch; mirrors the replica's apply outcome.
    public enum BatchResult: Equatable, Sendable {
        /// Applied and stored.
        case applied
        /// Already held.
        case duplicate
        /// Too far ahead of the local clock; not applied.
        case heldBack
        /// Quarantined as a fork.
        case forked
        /// A batch of this node's own current epoch that it does not hold: it was restored.
        /// It began a new epoch; each listed old stream is to be asked for again after the
        /// given seq.
        case restoreDetected([StreamID: UInt64])
        /// Signed by a key revoked before this seq; not applied.
        case revoked
        /// A batch of an older epoch of this node's own that parts from the branch it holds
        /// before this seq (docs/PROTOCOL.md §5.9): not applied; the stream is asked for again
        /// from its first batch, once a session.
        case partedEarlier
        /// The held tail of a stream gave way to the region's branch, its origin having
        /// re-issued it in a later epoch (docs/PROTOCOL.md §5.9); each listed stream is to be
        /// asked for again after the given seq. `applied` says whether this batch was applied
        /// (it was the re-issued copy) or not (it is of the region's branch, which comes again).
        case gaveWay([StreamID: UInt64], applied: Bool)
        /// Re-issued by its origin in a later epoch held here; not stored.
        case superseded
        /// Refused; nothing stored.
        case rejected(BatchRejection)
    }

    private enum State: Equatable {
        case awaitingHello
        case established
        case closed
    }

    /// The configuration; a session in protocol version 1 narrows its shared streams.
    public private(set) var configuration: Configuration
    /// The protocol version both sides speak, once the peer's HELLO is accepted.
    public private(set) var agreedVersion: UInt16?
    private var state = State.awaitingHello
    private var localHeads: [StreamID: UInt64] = [:]
    /// The header hash of the batch at each local head, where known: the WANT digest covers
    /// them, so two sides whose digests match hold the very same batches.
    private var headHashes: [StreamID: [UInt8]] = [:]
    /// This node's own unconfirmed streams, asked for again unless the peer's WANT digest
    /// shows it holds exactly this node's heads (`start`).
    private var unconfirmedAtStart: [StreamID: UInt64] = [:]
    private var peerWantReceived = false
    /// Whether the peer's first WANT of every shared stream (or its digest) has come.
    private var peerHeadsKnown = false
    /// The epoch-0 streams the peer's first WANT listed: the `(origin, group)` pairs it
    /// carries, whose later epochs it did not list are sent to it from seq 1.
    private var peerCarries: Set<StreamID> = []
    /// Per stream, the highest seq the peer holds or has been sent.
    private var sent: [StreamID: UInt64] = [:]
    private var pendingAcks: [StreamID: UInt64] = [:]
    private var unackedBatches = 0
    /// Held-back streams: their later batches are out of order until the WANT we send at the
    /// given time is answered, so those are ignored rather than treated as a gap.
    private var resyncing: [StreamID: UInt64] = [:]
    /// Where to ask a resyncing stream again from, when not from the local head.
    private var rewantFrom: [StreamID: UInt64] = [:]
    /// How often each forked stream was asked for again.
    private var forkRetries: [StreamID: Int] = [:]
    /// This node's own streams of older epochs asked for again from their first batch in this
    /// session, to find where a restored copy's branch parted: once each, so a peer whose
    /// branch never meets the held one cannot make the node ask for it over and over.
    private var askedFromTheStart: Set<StreamID> = []
    /// The peer's stream heads as its first WANT (or WANT digest) told them, until this node
    /// has caught up with them; then nil.
    private var peerHeadsAtStart: [StreamID: UInt64]?
    private var caughtUpSignalled = false
    private var lastReceived: UInt64
    private var lastSent: UInt64
    private var nextPingNonce: UInt64 = 1
    /// In protocol version 3, when the audit head is next looked at; nil until the peer's first
    /// echo, since this node's head goes out only once it knows what the peer holds.
    private var nextAuditCheck: UInt64?

    /// Creates a session; `now` is in milliseconds of any monotonic clock.
    public init(configuration: Configuration, now: UInt64) {
        self.configuration = configuration
        lastReceived = now
        lastSent = now
    }

    /// Whether the peer's HELLO has been accepted and the session is not closed.
    public var isEstablished: Bool { state == .established }

    /// Whether the session has closed.
    public var isClosed: Bool { state == .closed }

    /// Opens the session with HELLO (stamped with the wall clock `wallMilliseconds`). Once the
    /// peer's HELLO agrees a protocol version, the session sends the digest of the WANT for
    /// every shared stream from the local heads. A peer holding the same heads takes the digest
    /// for that WANT; any other asks for the WANT itself.
    ///
    /// `headHashes` gives the header hash of the batch at each local head, for the digest.
    /// `unconfirmed` lists this node's own streams of its current epoch that no peer has
    /// acknowledged up to their head, each with the highest seq a peer has acknowledged: unless
    /// the peer's WANT digest matches this node's, they are asked for again from their head,
    /// since a peer holding another batch there shows that this node was restored (§5.9).
    public mutating func start(
        localHeads heads: [StreamID: UInt64], headHashes hashes: [StreamID: [UInt8]] = [:], unconfirmed: [StreamID: UInt64] = [:],
        now: UInt64, wallMilliseconds: UInt64 = 0
    ) -> [Action] {
        localHeads = heads.filter { configuration.sharedStreams.contains($0.key) }
        headHashes = hashes.filter { localHeads[$0.key] != nil }
        lastSent = now
        var hello = configuration.localHello
        hello.sentAtMilliseconds = wallMilliseconds
        unconfirmedAtStart = unconfirmed.filter { configuration.sharedStreams.contains($0.key) && $0.value < (localHeads[$0.key] ?? 0) }
        return [.send(.hello(hello))]
    }

    /// The WANT of this node's own unconfirmed streams, each from its head, once: a partial
    /// WANT, so never taken as the first.
    private mutating func askAgainForUnconfirmed() -> [Action] {
        var want: [StreamID: UInt64] = [:]
        for stream in unconfirmedAtStart.keys { if let head = localHeads[stream], head > 0 { want[stream] = head } }
        unconfirmedAtStart = [:]
        return want.isEmpty ? [] : [.send(.want(want))]
    }

    /// SHA-256 of the body of `.want(want)` followed, in protocol version 2, for each of its
    /// streams in the same order with a wanted seq over 1, by the 32-byte header hash of the
    /// batch held at wanted − 1 (`headHashes`; 32 zero bytes where it is not known): what a
    /// WANT digest carries.
    public static func wantDigest(
        _ want: [StreamID: UInt64], headHashes: [StreamID: [UInt8]] = [:], version: UInt16 = Hello.currentProtocolVersion
    ) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: PeerMessage.want(want).frame.body)
        for stream in want.keys.sorted() where version >= 2 && want[stream]! > 1 {
            let hash = headHashes[stream] ?? []
            hasher.update(data: hash.count == 32 ? hash : BatchHeader.zeroHash)
        }
        return Array(hasher.finalize())
    }

    /// The next seq this node wants of every shared stream: every member's epoch-0 stream,
    /// and every stream of a later epoch it holds.
    private var localWant: [StreamID: UInt64] {
        var want: [StreamID: UInt64] = [:]
        for stream in configuration.sharedStreams.firstEpochStreams { want[stream] = 1 }
        for (stream, head) in localHeads where head > 0 || stream.epoch == 0 { want[stream] = head + 1 }
        return want
    }

    /// Handles one received message.
    public mutating func receive(_ message: PeerMessage, now: UInt64) -> [Action] {
        lastReceived = now
        switch state {
        case .closed:
            return []
        case .awaitingHello:
            guard case .hello(let hello) = message else {
                return close(ProtocolError(.unexpectedMessage, "the first message must be HELLO, not \(message.kind)"))
            }
            return accept(hello)
        case .established:
            return receiveEstablished(message, now: now)
        }
    }

    private mutating func accept(_ hello: Hello) -> [Action] {
        let local = configuration.localHello
        guard let agreed = Hello.agreedVersion(local, hello) else {
            return close(
                ProtocolError(
                    .protocolVersion,
                    "peer offers protocol versions \(Self.describe(hello.protocolVersions)); this node speaks \(Self.describe(local.protocolVersions))"
                ))
        }
        guard hello.network == local.network else {
            return close(ProtocolError(.wrongNetwork, "peer is in network \(hello.network); this node is in \(local.network)"))
        }
        guard hello.nodeID == configuration.peerNodeID else {
            return close(ProtocolError(.wrongNode, "HELLO names node \(hello.nodeID) but the certificate is of \(configuration.peerNodeID)"))
        }
        state = .established
        agreedVersion = agreed
        if agreed < 2 {
            // Version 1 names no epoch: the link carries epoch-0 streams only, and the peer has
            // no start-up question for a restored node (docs/PROTOCOL.md §3).
            configuration.sharedStreams = configuration.sharedStreams.restrictedToFirstEpoch
            localHeads = localHeads.filter { configuration.sharedStreams.contains($0.key) }
            headHashes = [:]
            unconfirmedAtStart = [:]
        }
        return [
            .peerIdentified(hello, topologyMatches: hello.topologyDigest == local.topologyDigest),
            .send(.wantDigest(Self.wantDigest(localWant, headHashes: headHashes, version: agreed))),
        ] + (agreed >= 3 ? [.sendAuditEcho] : [])
    }

    /// `1` or `1-2`.
    private static func describe(_ versions: ClosedRange<UInt16>) -> String {
        versions.count == 1 ? "\(versions.lowerBound)" : "\(versions.lowerBound)-\(versions.upperBound)"
    }

    private mutating func receiveEstablished(_ message: PeerMessage, now: UInt64) -> [Action] {
        switch message {
        case .hello:
            return close(ProtocolError(.unexpectedMessage, "HELLO was sent twice"))
        case .want(let positions):
            return receiveWant(positions) + askAgainForUnconfirmed()
        case .wantDigest(let digest):
            // The peer holds our very heads exactly when its digest is ours: then it holds this
            // node's own unconfirmed batches as they are here, and they need no asking again.
            let ours = localWant
            guard Self.wantDigest(ours, headHashes: headHashes, version: agreedVersion ?? Hello.currentProtocolVersion) == digest else {
                lastSent = now
                return [.send(.wantRequest)] + askAgainForUnconfirmed()
            }
            unconfirmedAtStart = [:]
            return receiveWant(ours)
        case .wantRequest:
            lastSent = now
            return [.send(.want(localWant))]
        case .batch(let envelope):
            return receiveBatch(envelope)
        case .ack(let positions):
            // A peer cannot have applied what this node does not hold: its acknowledgement is
            // taken up to the local head only (a restored node trusts it to keep batches).
            var shared: [StreamID: UInt64] = [:]
            for (stream, seq) in positions where configuration.sharedStreams.contains(stream) {
                if let head = localHeads[stream] { shared[stream] = min(seq, head) }
            }
            for (stream, seq) in shared { sent[stream] = max(sent[stream] ?? 0, seq) }
            return shared.isEmpty ? [] : [.recordPeerProgress(shared)]
        case .ping(let nonce):
            lastSent = now
            return [.send(.pong(nonce))]
        case .pong:
            return []
        case .error:
            state = .closed
            return [.close(nil)]
        case .auditEcho(let echo):
            guard let agreedVersion, agreedVersion >= 3 else { return close(Self.tooNew(message, version: agreedVersion)) }
            if nextAuditCheck == nil { nextAuditCheck = now + configuration.auditIntervalMilliseconds }
            return [.auditEchoReceived(echo)]
        case .auditHead(let head):
            guard let agreedVersion, agreedVersion >= 3 else { return close(Self.tooNew(message, version: agreedVersion)) }
            return [.auditHeadReceived(head)]
        }
    }

    /// A message of a later protocol version than the one agreed.
    private static func tooNew(_ message: PeerMessage, version: UInt16?) -> ProtocolError {
        ProtocolError(.unexpectedMessage, "\(message.kind) is not part of protocol version \(version ?? 0), which this session speaks")
    }

    private mutating func receiveWant(_ positions: [StreamID: UInt64]) -> [Action] {
        if let zero = positions.first(where: { $0.value == 0 }) {
            return close(ProtocolError(.malformedFrame, "WANT asks for seq 0 of \(zero.key); seqs start at 1"))
        }
        var listed = positions.filter { configuration.sharedStreams.contains($0.key) }
        // A WANT of the peer's own streams only is one it sends at its start to ask for its
        // unconfirmed batches again: it only restarts those. The first other WANT is the one
        // that names what the peer holds of every shared stream.
        let onlyItsOwn = !listed.isEmpty && listed.keys.allSatisfy { $0.origin == configuration.peerNodeID }
        if !peerHeadsKnown, !onlyItsOwn {
            peerHeadsKnown = true
            // The first WANT names one past what the peer holds of every shared stream; a
            // stream of a later epoch it does not list, of an (origin, group) it carries, it
            // holds nothing of.
            peerHeadsAtStart = listed.mapValues { $0 - 1 }
            peerCarries = Set(listed.keys.filter { $0.epoch == 0 })
            for stream in localHeads.keys where stream.epoch != 0 && listed[stream] == nil && carries(stream) {
                listed[stream] = 1
            }
        }
        peerWantReceived = true
        var actions: [Action] = caughtUpIfDone()
        for (stream, next) in listed.sorted(by: { $0.key < $1.key }) {
            sent[stream] = next - 1
            if let head = localHeads[stream], head >= next {
                actions.append(.sendBatches(stream, after: next - 1, through: head))
                sent[stream] = head
            }
        }
        return actions
    }

    /// Whether the peer's first WANT showed that it carries `stream`'s origin and group.
    private func carries(_ stream: StreamID) -> Bool {
        peerCarries.contains(StreamID(origin: stream.origin, group: stream.group))
    }

    private mutating func receiveBatch(_ envelope: [UInt8]) -> [Action] {
        var reader = ByteReader(envelope)
        let header: BatchHeader
        do throws(WireFormatError) {
            header = try BatchHeader.decode(from: &reader)
        } catch {
            return close(ProtocolError(refused: BatchRejection(.malformed, "batch header: \(error.reason)")))
        }
        let stream = header.stream
        guard configuration.sharedStreams.contains(stream) else {
            return close(
                ProtocolError(.notMember, "batch of stream \(stream) is not shared on this link: its group does not hold both nodes and its origin")
            )
        }
        // The peer holds everything up to this seq, so it is never sent back to it.
        sent[stream] = max(sent[stream] ?? 0, header.seq)
        return [.apply(envelope: envelope, stream: stream, seq: header.seq)]
    }

    /// Reports what the replica made of a batch this session asked to apply.
    public mutating func batchApplied(_ stream: StreamID, seq: UInt64, result: BatchResult, now: UInt64) -> [Action] {
        guard state == .established else { return [] }
        switch result {
        case .applied, .duplicate:
            resyncing[stream] = nil
            rewantFrom[stream] = nil
            pendingAcks[stream] = max(pendingAcks[stream] ?? 0, seq)
            // The replica now holds this seq; the head watch will say so too, but the session
            // may end before it does.
            if seq > localHeads[stream] ?? 0 {
                localHeads[stream] = seq
                headHashes[stream] = nil
            }
            unackedBatches += 1
            let caughtUp = caughtUpIfDone()
            return caughtUp + (unackedBatches >= configuration.ackEvery ? flushAcks(now: now) : [])
        case .heldBack:
            if (resyncing[stream] ?? 0) == 0 { resyncing[stream] = now + configuration.rewantDelayMilliseconds }
            return []
        case .forked:
            // The origin may have written this stream from an older copy of itself and be
            // re-issuing that branch in a later epoch (docs/PROTOCOL.md §5.9): once the copies
            // arrive the held branch gives way, so the stream is asked for again from here,
            // a few times; its tail in flight meanwhile is out of order, not a fault.
            // A batch of the peer's own stream that forks here: the peer is a restored copy
            // that does not know it yet. It is sent the batch held there, which shows it.
            var answer: [Action] = []
            if stream.origin == configuration.peerNodeID, let held = localHeads[stream], held > 0 {
                let shown = min(seq, held)
                answer.append(.sendBatches(stream, after: shown - 1, through: shown))
            }
            let tries = forkRetries[stream, default: 0]
            if tries < configuration.forkRetries {
                forkRetries[stream] = tries + 1
                rewantFrom[stream] = seq
                if (resyncing[stream] ?? 0) == 0 { resyncing[stream] = now + configuration.rewantDelayMilliseconds }
            } else if resyncing[stream] == nil {
                resyncing[stream] = 0
            }
            return answer
        case .partedEarlier:
            guard askedFromTheStart.insert(stream).inserted else {
                if resyncing[stream] == nil { resyncing[stream] = 0 }
                return []
            }
            return refetch(stream, from: 1, now: now)
        case .restoreDetected(let askAgain):
            // The replica began a new epoch, re-issued there its batches the region does not
            // hold and asks for its old streams again after the given seqs; the batches already
            // on their way are out of order until the answer comes.
            var actions: [Action] = []
            for (oldStream, seq) in askAgain.sorted(by: { $0.key < $1.key }) {
                actions += refetch(oldStream, from: seq + 1, now: now)
            }
            return actions
        case .gaveWay(let truncated, let applied):
            var actions = applied ? batchApplied(stream, seq: seq, result: .applied, now: now) : []
            for (cutStream, cut) in truncated.sorted(by: { $0.key < $1.key }) {
                actions += refetch(cutStream, from: cut + 1, now: now)
            }
            return actions
        case .superseded:
            // The peer holds a branch its origin re-issued in a later epoch: its later batches
            // of the stream are of that branch too, and the peer gives way to the region's once
            // it holds the copies. They are ignored for this session.
            if resyncing[stream] == nil { resyncing[stream] = 0 }
            return []
        case .revoked:
            // Signed by a key revoked before this seq: not applied, as everywhere. The peer's
            // later batches of the stream cannot chain; they are ignored for this session, and
            // the stream is not asked for again (the peer would send the same batch).
            if resyncing[stream] == nil { resyncing[stream] = 0 }
            return []
        case .rejected(let rejection):
            if rejection.code == .outOfOrder, resyncing[stream] != nil { return [] }
            return close(ProtocolError(refused: rejection))
        }
    }

    /// Local stream heads moved (a local write or a batch applied from any peer): asks for the
    /// new batches of every shared stream the peer wants.
    public mutating func localHeadsChanged(_ heads: [StreamID: UInt64], headHashes hashes: [StreamID: [UInt8]] = [:]) -> [Action] {
        localHeads = heads.filter { configuration.sharedStreams.contains($0.key) }
        headHashes = hashes.filter { localHeads[$0.key] != nil }
        guard state == .established, peerWantReceived else { return [] }
        var actions = caughtUpIfDone()
        for (stream, head) in localHeads.sorted(by: { $0.key < $1.key }) {
            // A stream of a later epoch new since the peer's first WANT: it holds nothing of it.
            if sent[stream] == nil, stream.epoch != 0, carries(stream) { sent[stream] = 0 }
            guard let position = sent[stream], head > position else { continue }
            actions.append(.sendBatches(stream, after: position, through: head))
            sent[stream] = head
        }
        return actions
    }

    /// The catch-up-complete signal, once every shared stream's local head has reached the
    /// peer's head at the session's start.
    private mutating func caughtUpIfDone() -> [Action] {
        guard !caughtUpSignalled, let heads = peerHeadsAtStart else { return [] }
        guard heads.allSatisfy({ (localHeads[$0.key] ?? 0) >= $0.value }) else { return [] }
        caughtUpSignalled = true
        peerHeadsAtStart = nil
        return [.caughtUp(heads: heads.filter { $0.value > 0 })]
    }

    /// Asks the peer again for the batches of `stream` from `seq` on: a copy held here lacks
    /// changes another relay redacted. Nothing when the link does not share the stream.
    public mutating func refetch(_ stream: StreamID, from seq: UInt64, now: UInt64) -> [Action] {
        guard state == .established, configuration.sharedStreams.contains(stream), seq > 0 else { return [] }
        lastSent = now
        // Batches already on their way from a later seq are out of order until the answer.
        if resyncing[stream] == nil { resyncing[stream] = 0 }
        return [.send(.want([stream: seq]))]
    }

    /// The replica cut `stream` back to `seq`: its held tail gave way to the region's branch
    /// (docs/PROTOCOL.md §5.9). What this session sent of it beyond the cut was of the other
    /// branch, so the batches held there from now on are sent to the peer as they come.
    public mutating func streamCutBack(_ stream: StreamID, to seq: UInt64) {
        if let position = sent[stream], position > seq { sent[stream] = seq }
        if let head = localHeads[stream], head > seq {
            localHeads[stream] = seq
            headHashes[stream] = nil
        }
    }

    /// Periodic work: flush acknowledgements, re-ask for held-back streams, keep the link alive
    /// and notice a silent peer.
    public mutating func tick(now: UInt64) -> [Action] {
        guard state != .closed else { return [] }
        if now > lastReceived + configuration.peerTimeoutMilliseconds {
            return close(ProtocolError(.timeout, "peer sent nothing for \((now - lastReceived) / 1000) s"))
        }
        guard state == .established else { return [] }
        var actions = flushAcks(now: now)
        var rewant: [StreamID: UInt64] = [:]
        for (stream, due) in resyncing where due != 0 && now >= due {
            rewant[stream] = rewantFrom.removeValue(forKey: stream) ?? (localHeads[stream] ?? 0) + 1
            resyncing[stream] = 0
        }
        if !rewant.isEmpty {
            actions.append(.send(.want(rewant)))
            lastSent = now
        }
        if let due = nextAuditCheck, now >= due {
            actions.append(.auditHeadDue)
            nextAuditCheck = now + configuration.auditIntervalMilliseconds
        }
        if now >= lastSent + configuration.pingIntervalMilliseconds {
            actions.append(.send(.ping(nextPingNonce)))
            nextPingNonce += 1
            lastSent = now
        }
        return actions
    }

    /// Ends the session for a reason found outside it (a framing error, shutdown, a removed link).
    public mutating func close(_ error: ProtocolError?) -> [Action] {
        guard state != .closed else { return [] }
        state = .closed
        return [.close(error)]
    }

    private mutating func flushAcks(now: UInt64) -> [Action] {
        guard !pendingAcks.isEmpty else { return [] }
        let acks = pendingAcks
        pendingAcks = [:]
        unackedBatches = 0
        lastSent = now
        return [.send(.ack(acks))]
    }
}

/// What a node holds of each stream: the last seq, and the header hash of the batch there.
public struct HeldHeads: Sendable, Equatable {
    /// The last seq held of each stream.
    public var seqs: [StreamID: UInt64]
    /// The header hash of the batch at each stream's last seq.
    public var hashes: [StreamID: [UInt8]]

    /// Creates the value.
    public init(seqs: [StreamID: UInt64], hashes: [StreamID: [UInt8]]) {
        self.seqs = seqs
        self.hashes = hashes
    }
}
