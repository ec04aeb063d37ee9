import SyncCore
import Testing
import WireProtocol

/// The protocol state machine, driven message by message without sockets.
@Suite struct PeerSessionTests {
    static let digest = Array(repeating: UInt8(1), count: 32)
    static let regionA = StreamID(origin: "a", group: "region")
    static let regionB = StreamID(origin: "b", group: "region")
    static let regionC = StreamID(origin: "c", group: "region")
    static let key = BatchSigningKey()

    static func session(ackEvery: Int = 64) -> PeerSession {
        var configuration = PeerSession.Configuration(
            localHello: Hello(network: "net", nodeID: "a", topologyDigest: digest, softwareVersion: "test"),
            peerNodeID: "b",
            sharedStreams: [regionA, regionB, regionC]
        )
        configuration.ackEvery = ackEvery
        return PeerSession(configuration: configuration, now: 0)
    }

    static func peerHello(
        network: String = "net", node: NodeID = "b", versions: ClosedRange<UInt16> = Hello.supportedProtocolVersions, digest: [UInt8] = digest
    )
        -> PeerMessage
    {
        .hello(Hello(protocolVersions: versions, network: network, nodeID: node, topologyDigest: digest, softwareVersion: "peer"))
    }

    static func established(heads: [StreamID: UInt64] = [:], ackEvery: Int = 64) -> PeerSession {
        var session = session(ackEvery: ackEvery)
        _ = session.start(localHeads: heads, now: 0)
        _ = session.receive(peerHello(), now: 0)
        return session
    }

    static func envelope(_ stream: StreamID, seq: UInt64) throws -> [UInt8] {
        let change = Change(
            kind: "person", recordID: RecordID.make(milliseconds: 1), hlc: HybridTimestamp(milliseconds: 1, counter: 0),
            operation: .create([FieldWrite("family_name", "X")])
        )
        return try SignedBatch.make(
            network: "net", origin: stream.origin, epoch: stream.epoch, group: stream.group, seq: seq, prevHash: BatchHeader.zeroHash,
            leaves: [.full(change)],
            signingKey: key
        ).envelope
    }

    @Test func startSendsHelloAndThePeersHelloTheDigestOfTheWantForEverySharedStream() {
        var session = Self.session()
        let actions = session.start(localHeads: [Self.regionA: 5, StreamID(origin: "a", group: "private"): 9], now: 0)
        let want: [StreamID: UInt64] = [Self.regionA: 6, Self.regionB: 1, Self.regionC: 1]
        #expect(actions == [.send(.hello(Hello(network: "net", nodeID: "a", topologyDigest: Self.digest, softwareVersion: "test")))])
        let hello = Hello(network: "net", nodeID: "b", topologyDigest: Self.digest, softwareVersion: "peer")
        #expect(
            session.receive(.hello(hello), now: 0) == [
                .peerIdentified(hello, topologyMatches: true), .send(.wantDigest(PeerSession.wantDigest(want))), .sendAuditEcho,
            ])
        #expect(session.agreedVersion == Hello.currentProtocolVersion)
        #expect(PeerSession.wantDigest(want) != PeerSession.wantDigest([Self.regionA: 5, Self.regionB: 1, Self.regionC: 1]))
    }

    @Test func aPeerInStepTakesTheDigestForItsWantAndNewBatchesFlow() {
        let heads: [StreamID: UInt64] = [Self.regionA: 7, Self.regionB: 3]
        var session = Self.established(heads: heads)
        // The peer holds the same heads, so its WANT is the one this side would send.
        let peersWant: [StreamID: UInt64] = [Self.regionA: 8, Self.regionB: 4, Self.regionC: 1]
        // Same heads: nothing to send, and this side holds all the peer holds at once.
        #expect(session.receive(.wantDigest(PeerSession.wantDigest(peersWant)), now: 0) == [.caughtUp(heads: [Self.regionA: 7, Self.regionB: 3])])
        #expect(session.localHeadsChanged([Self.regionA: 9, Self.regionB: 3]) == [.sendBatches(Self.regionA, after: 7, through: 9)])
    }

    @Test func aPeerOutOfStepIsAskedForItsWholeWant() {
        var session = Self.established(heads: [Self.regionA: 7, Self.regionB: 3])
        let peersWant: [StreamID: UInt64] = [Self.regionA: 2, Self.regionB: 4, Self.regionC: 1]
        #expect(session.receive(.wantDigest(PeerSession.wantDigest(peersWant)), now: 0) == [.send(.wantRequest)])
        #expect(session.localHeadsChanged([Self.regionA: 8, Self.regionB: 3]).isEmpty, "nothing is pushed before the peer's WANT")
        #expect(
            session.receive(.want(peersWant), now: 0) == [
                .caughtUp(heads: [Self.regionA: 1, Self.regionB: 3]), .sendBatches(Self.regionA, after: 1, through: 8),
            ]
        )
    }

    @Test func aWantRequestIsAnsweredWithTheWantOfTheCurrentHeads() {
        var session = Self.established(heads: [Self.regionA: 7])
        _ = session.localHeadsChanged([Self.regionA: 7, Self.regionC: 2])
        #expect(session.receive(.wantRequest, now: 0) == [.send(.want([Self.regionA: 8, Self.regionB: 1, Self.regionC: 3]))])
    }

    @Test func helloIsCheckedBeforeAnythingElse() {
        let cases: [(PeerMessage, ProtocolError.Code)] = [
            (.want([:]), .unexpectedMessage),
            (Self.peerHello(network: "other"), .wrongNetwork),
            (Self.peerHello(node: "c"), .wrongNode),
            (Self.peerHello(versions: 9...9), .protocolVersion),
            (Self.peerHello(versions: 4...5), .protocolVersion),
        ]
        for (message, code) in cases {
            var session = Self.session()
            _ = session.start(localHeads: [:], now: 0)
            let actions = session.receive(message, now: 0)
            guard case .close(let error)? = actions.first else {
                Issue.record("\(message) was not refused")
                continue
            }
            #expect(error?.code == code)
            #expect(session.isClosed)
            #expect(session.receive(Self.peerHello(), now: 0).isEmpty, "a closed session ignores everything")
        }
    }

    @Test func aTopologyDigestMismatchIsReportedButNotFatal() {
        var session = Self.session()
        _ = session.start(localHeads: [:], now: 0)
        let other = Array(repeating: UInt8(2), count: 32)
        #expect(
            session.receive(Self.peerHello(digest: other), now: 0).first
                == .peerIdentified(Hello(network: "net", nodeID: "b", topologyDigest: other, softwareVersion: "peer"), topologyMatches: false))
        #expect(session.isEstablished)
        guard case .close(let error)? = session.receive(Self.peerHello(), now: 0).first else {
            Issue.record("a second HELLO was accepted")
            return
        }
        #expect(error?.code == .unexpectedMessage)
    }

    @Test func wantAsksForWhatThePeerLacksOfSharedStreamsOnly() {
        var session = Self.established(heads: [Self.regionA: 10, Self.regionB: 3])
        let unshared = StreamID(origin: "a", group: "private")
        let actions = session.receive(.want([Self.regionA: 4, Self.regionB: 4, unshared: 1]), now: 0)
        #expect(actions == [.caughtUp(heads: [Self.regionA: 3, Self.regionB: 3]), .sendBatches(Self.regionA, after: 3, through: 10)])
    }

    @Test func catchUpIsSignalledOnceWhenEveryStreamReachesWhatThePeerHeldAtTheStart() {
        var session = Self.established(heads: [Self.regionA: 2])
        // The peer holds a up to 5 and b up to 1; this side has a up to 2 and no b.
        #expect(session.receive(.want([Self.regionA: 6, Self.regionB: 2, Self.regionC: 1]), now: 0).isEmpty)
        #expect(session.localHeadsChanged([Self.regionA: 5]).isEmpty, "b is still behind")
        #expect(session.localHeadsChanged([Self.regionA: 5, Self.regionB: 1]) == [.caughtUp(heads: [Self.regionA: 5, Self.regionB: 1])])
        #expect(session.localHeadsChanged([Self.regionA: 6, Self.regionB: 1]) == [.sendBatches(Self.regionA, after: 5, through: 6)])
        // A later WANT (a re-ask) neither resets the start nor signals again.
        #expect(session.receive(.want([Self.regionA: 3]), now: 0) == [.sendBatches(Self.regionA, after: 2, through: 6)])
        #expect(session.refetch(Self.regionB, from: 1, now: 0) == [.send(.want([Self.regionB: 1]))])
        #expect(session.refetch(StreamID(origin: "a", group: "private"), from: 1, now: 0).isEmpty, "not shared on the link")
    }

    @Test func newLocalBatchesArePushedOnceAndNeverEchoedToTheirSender() throws {
        var session = Self.established(heads: [Self.regionA: 2])
        #expect(session.localHeadsChanged([Self.regionA: 3]).isEmpty, "nothing is pushed before the peer's WANT")
        _ = session.receive(.want([Self.regionA: 4, Self.regionB: 1]), now: 0)
        #expect(session.localHeadsChanged([Self.regionA: 5]) == [.sendBatches(Self.regionA, after: 3, through: 5)])
        #expect(session.localHeadsChanged([Self.regionA: 5]).isEmpty)
        // The peer sends b's batch 1; once applied here the head moves, but it is not sent back.
        let envelope = try Self.envelope(Self.regionB, seq: 1)
        #expect(session.receive(.batch(envelope), now: 0) == [.apply(envelope: envelope, stream: Self.regionB, seq: 1)])
        #expect(session.localHeadsChanged([Self.regionA: 5, Self.regionB: 1]).isEmpty)
    }

    @Test func aBatchOfAStreamTheLinkDoesNotShareClosesTheSessionUnapplied() throws {
        var session = Self.established()
        let actions = session.receive(.batch(try Self.envelope(StreamID(origin: "a", group: "private"), seq: 1)), now: 0)
        guard case .close(let error)? = actions.first, actions.count == 1 else {
            Issue.record("expected a close, got \(actions)")
            return
        }
        #expect(error?.code == .notMember)
    }

    @Test func aBatchWithAnUnreadableHeaderClosesTheSession() {
        var session = Self.established()
        guard case .close(let error)? = session.receive(.batch([1, 2, 3]), now: 0).first else {
            Issue.record("garbage batch accepted")
            return
        }
        #expect(error?.code == .batchRefused)
    }

    @Test func appliedBatchesAreAcknowledgedInGroupsAndAtTheTick() {
        var session = Self.established(ackEvery: 3)
        #expect(session.batchApplied(Self.regionB, seq: 1, result: .applied, now: 0).isEmpty)
        #expect(session.batchApplied(Self.regionB, seq: 2, result: .duplicate, now: 0).isEmpty)
        #expect(session.batchApplied(Self.regionC, seq: 1, result: .applied, now: 0) == [.send(.ack([Self.regionB: 2, Self.regionC: 1]))])
        #expect(session.batchApplied(Self.regionC, seq: 2, result: .applied, now: 0).isEmpty)
        #expect(session.tick(now: 1) == [.send(.ack([Self.regionC: 2]))])
        #expect(session.tick(now: 2).isEmpty)
    }

    @Test func aHeldBackStreamIsAskedForAgainAndItsOutOfOrderTailIgnored() {
        var session = Self.established(ackEvery: 1)
        let outOfOrder = BatchRejection(.outOfOrder, "batch 7 arrived before batch 6")
        #expect(session.batchApplied(Self.regionB, seq: 6, result: .heldBack, now: 1_000).isEmpty)
        #expect(session.batchApplied(Self.regionB, seq: 7, result: .rejected(outOfOrder), now: 1_001).isEmpty)
        #expect(!session.isClosed)
        #expect(session.tick(now: 2_000).isEmpty)
        #expect(session.tick(now: 6_000) == [.send(.want([Self.regionB: 1]))])
        #expect(session.batchApplied(Self.regionB, seq: 6, result: .applied, now: 6_100) == [.send(.ack([Self.regionB: 6]))])
        // In step again: a gap is now a protocol violation.
        guard case .close(let error)? = session.batchApplied(Self.regionB, seq: 8, result: .rejected(outOfOrder), now: 6_200).first else {
            Issue.record("a gap after resync was ignored")
            return
        }
        #expect(error?.code == .batchRefused)
    }

    @Test func aRefusedBatchClosesTheSessionWithItsCode() {
        var session = Self.established()
        let actions = session.batchApplied(Self.regionB, seq: 1, result: .rejected(BatchRejection(.badSignature, "bad")), now: 0)
        #expect(actions == [.close(ProtocolError(.batchRefused, "bad_signature: bad"))])
        #expect(session.isClosed)
    }

    @Test func aForkKeepsTheSessionUp() {
        var session = Self.established()
        #expect(session.batchApplied(Self.regionB, seq: 1, result: .forked, now: 0).isEmpty)
        #expect(session.isEstablished)
    }

    @Test func pingsKeepTheLinkAliveAndASilentPeerTimesOut() {
        var session = Self.established()
        #expect(session.receive(.ping(5), now: 100) == [.send(.pong(5))])
        #expect(session.tick(now: 10_099).isEmpty)
        #expect(session.tick(now: 10_100) == [.send(.ping(1))])
        #expect(session.tick(now: 45_100) == [.send(.ping(2))])
        guard case .close(let error)? = session.tick(now: 45_101).first else {
            Issue.record("a silent peer was not closed")
            return
        }
        #expect(error?.code == .timeout)
    }

    @Test func anErrorFromThePeerClosesWithoutAnswering() {
        var session = Self.established()
        #expect(session.receive(.error(code: "going_away", message: "bye"), now: 0) == [.close(nil)])
        #expect(session.isClosed)
    }

    // MARK: Epochs (docs/PROTOCOL.md §5.9)

    static let regionALater = StreamID(origin: "a", epoch: 1_900_000_000_000, group: "region")
    static let regionBLater = StreamID(origin: "b", epoch: 1_900_000_000_000, group: "region")

    @Test func aLaterEpochThePeerDoesNotListIsSentFromItsFirstBatchAndOnceNew() {
        var session = Self.established(heads: [Self.regionA: 2, Self.regionALater: 3])
        let peersWant: [StreamID: UInt64] = [Self.regionA: 3, Self.regionB: 1, Self.regionC: 1]
        #expect(session.receive(.want(peersWant), now: 0).contains(.sendBatches(Self.regionALater, after: 0, through: 3)))
        // An epoch that appears during the session is pushed from its first batch too.
        #expect(
            session.localHeadsChanged([Self.regionA: 2, Self.regionALater: 3, Self.regionBLater: 2]) == [
                .sendBatches(Self.regionBLater, after: 0, through: 2)
            ])
    }

    @Test func aWantOfThePeersOwnStreamsOnlyRestartsThemAndIsNotItsFirstWant() {
        var session = Self.established(heads: [Self.regionA: 4, Self.regionBLater: 6])
        // b asks again for its own unconfirmed batches before its full WANT arrives.
        #expect(session.receive(.want([Self.regionBLater: 3]), now: 0) == [.sendBatches(Self.regionBLater, after: 2, through: 6)])
        // The full WANT that follows is the one that says what b holds of every stream.
        let actions = session.receive(.want([Self.regionA: 1, Self.regionB: 1, Self.regionC: 1, Self.regionBLater: 7]), now: 0)
        #expect(actions.contains(.caughtUp(heads: [Self.regionBLater: 6])))
        #expect(actions.contains(.sendBatches(Self.regionA, after: 0, through: 4)))
    }

    @Test func itsOwnBatchesNoPeerAcknowledgedAreAskedAgainFromTheHeadUnlessThePeersDigestIsItsOwn() {
        let heads: [StreamID: UInt64] = [Self.regionALater: 5, Self.regionB: 2]
        let hashes: [StreamID: [UInt8]] = [Self.regionALater: Array(repeating: 7, count: 32), Self.regionB: Array(repeating: 9, count: 32)]
        let want: [StreamID: UInt64] = [Self.regionA: 1, Self.regionALater: 6, Self.regionB: 3, Self.regionC: 1]
        func started() -> PeerSession {
            var session = Self.session()
            #expect(session.start(localHeads: heads, headHashes: hashes, unconfirmed: [Self.regionALater: 3], now: 0).count == 1)
            #expect(session.receive(Self.peerHello(), now: 0).contains(.send(.wantDigest(PeerSession.wantDigest(want, headHashes: hashes)))))
            return session
        }
        // The peer holds the same heads with the same batches there: nothing to ask.
        var inStep = started()
        #expect(inStep.receive(.wantDigest(PeerSession.wantDigest(want, headHashes: hashes)), now: 0) == [.caughtUp(heads: heads)])
        // The same seqs with another batch at a's head: the digest differs, and a asks again
        // from its head; a peer holding another batch there shows the restore.
        var otherBatch = started()
        var theirs = hashes
        theirs[Self.regionALater] = Array(repeating: 8, count: 32)
        #expect(
            otherBatch.receive(.wantDigest(PeerSession.wantDigest(want, headHashes: theirs)), now: 0) == [
                .send(.wantRequest), .send(.want([Self.regionALater: 5])),
            ])
        #expect(PeerSession.wantDigest(want, headHashes: theirs) != PeerSession.wantDigest(want, headHashes: hashes))
        var confirmed = Self.session()
        _ = confirmed.start(localHeads: heads, headHashes: hashes, unconfirmed: [:], now: 0)
        _ = confirmed.receive(Self.peerHello(), now: 0)
        #expect(confirmed.receive(.wantDigest(PeerSession.wantDigest(want, headHashes: theirs)), now: 0) == [.send(.wantRequest)])
    }

    @Test func aDetectedRestoreAsksForTheStreamAgainAndIgnoresItsTailInFlight() throws {
        var session = Self.established(heads: [Self.regionA: 9])
        _ = session.receive(.want([Self.regionA: 10, Self.regionB: 1, Self.regionC: 1]), now: 0)
        #expect(session.receive(.batch(try Self.envelope(Self.regionA, seq: 4)), now: 0).count == 1)
        #expect(
            session.batchApplied(Self.regionA, seq: 4, result: .restoreDetected([Self.regionA: 2]), now: 0) == [.send(.want([Self.regionA: 3]))])
        #expect(session.receive(.batch(try Self.envelope(Self.regionA, seq: 5)), now: 0).count == 1)
        let gap = BatchRejection(.outOfOrder, "batch 5 arrived before batch 3")
        #expect(session.batchApplied(Self.regionA, seq: 5, result: .rejected(gap), now: 0).isEmpty, "the tail in flight is not a fault")
        #expect(session.batchApplied(Self.regionA, seq: 3, result: .applied, now: 0).isEmpty)
        #expect(session.batchApplied(Self.regionA, seq: 7, result: .rejected(gap), now: 0) == [.close(ProtocolError(refused: gap))])
    }

    /// Protocol version 3: each side echoes the head of the other's audit log it holds when the
    /// session opens; a node's own head goes out only once the peer's echo has come, then is
    /// looked at every interval. A version-2 session has none of it.
    @Test func inVersion3TheAuditEchoOpensTheSessionAndTheHeadFollowsTheEcho() throws {
        var session = Self.session()
        _ = session.start(localHeads: [:], now: 0)
        #expect(session.receive(Self.peerHello(), now: 0).last == .sendAuditEcho)
        #expect(!session.tick(now: 30_000).contains(.auditHeadDue), "nothing before the peer's echo says what it holds")
        let echo = AuditHead(position: AuditPosition(seq: 3, hash: Array(repeating: 1, count: 32)), at: 1, diverged: false, signature: [])
        #expect(session.receive(.auditEcho(echo), now: 30_000) == [.auditEchoReceived(echo)])
        #expect(!session.tick(now: 60_000).contains(.auditHeadDue), "30 s after the echo")
        _ = session.receive(.ping(1), now: 80_000)
        #expect(session.tick(now: 90_000).contains(.auditHeadDue), "an interval after the echo")
        #expect(!session.tick(now: 100_000).contains(.auditHeadDue))
        let head = AuditHead(position: echo.position, at: 1, diverged: false, signature: Array(repeating: 2, count: 64))
        #expect(session.receive(.auditHead(head), now: 100_000) == [.auditHeadReceived(head)])

        var older = Self.session()
        _ = older.start(localHeads: [:], now: 0)
        #expect(!older.receive(Self.peerHello(versions: 1...2), now: 0).contains(.sendAuditEcho))
        guard case .close(let error?) = older.receive(.auditEcho(echo), now: 0).last else {
            Issue.record("an AUDIT_ECHO in a version-2 session was taken")
            return
        }
        #expect(error.code == .unexpectedMessage)
    }

    @Test func aBranchOfItsOwnThatPartedEarlierIsAskedForFromItsStartOnceASession() throws {
        var session = Self.established(heads: [Self.regionA: 9])
        _ = session.receive(.want([Self.regionA: 10, Self.regionB: 1, Self.regionC: 1]), now: 0)
        _ = session.receive(.batch(try Self.envelope(Self.regionA, seq: 10)), now: 0)
        #expect(session.batchApplied(Self.regionA, seq: 10, result: .partedEarlier, now: 0) == [.send(.want([Self.regionA: 1]))])
        let gap = BatchRejection(.outOfOrder, "batch 11 arrived before batch 10")
        #expect(session.batchApplied(Self.regionA, seq: 11, result: .rejected(gap), now: 0).isEmpty, "the tail in flight is not a fault")
        #expect(session.batchApplied(Self.regionA, seq: 1, result: .duplicate, now: 0).isEmpty)
        // The peer's branch never meets the held one: asked for once, then its tail is ignored.
        #expect(session.batchApplied(Self.regionA, seq: 10, result: .partedEarlier, now: 0).isEmpty, "asked for from the start once a session")
        #expect(session.batchApplied(Self.regionA, seq: 12, result: .rejected(gap), now: 0).isEmpty)
        #expect(session.tick(now: 20_000) == [.send(.ack([Self.regionA: 1]))], "nor asked for again later, past the re-ask delay")
    }

    @Test func aSupersededBatchIgnoresTheStreamsTailAndACutBackStreamIsSentAgainFromTheCut() throws {
        var session = Self.established(heads: [Self.regionA: 9])
        _ = session.receive(.want([Self.regionA: 10, Self.regionB: 1, Self.regionC: 1]), now: 0)
        // The peer relays a branch its origin re-issued: stale, and so is the rest of it.
        _ = session.receive(.batch(try Self.envelope(Self.regionB, seq: 1)), now: 0)
        #expect(session.batchApplied(Self.regionB, seq: 1, result: .superseded, now: 0).isEmpty)
        let gap = BatchRejection(.outOfOrder, "batch 3 arrived before batch 2")
        #expect(session.batchApplied(Self.regionB, seq: 3, result: .rejected(gap), now: 0).isEmpty, "the stale tail is not a fault")
        // A re-issued copy made the held tail of a's stream give way, back to seq 4: the peer is
        // asked for it again, and what is held there from now on is sent to it, though this
        // session had sent it through seq 9.
        _ = session.receive(.batch(try Self.envelope(Self.regionC, seq: 1)), now: 0)
        #expect(
            session.batchApplied(Self.regionC, seq: 1, result: .gaveWay([Self.regionA: 4], applied: true), now: 0) == [
                .send(.want([Self.regionA: 5]))
            ])
        session.streamCutBack(Self.regionA, to: 4)
        #expect(session.localHeadsChanged([Self.regionA: 7, Self.regionC: 1]) == [.sendBatches(Self.regionA, after: 4, through: 7)])
    }

    @Test func bothSidesSpeakTheHighestVersionBothOfferAndVersionOneCarriesEpochZeroOnly() throws {
        // A node of the release before epochs offers exactly 1: the version field it requires.
        var session = Self.session()
        let epochStream = StreamID(origin: "a", epoch: 1_900_000_000_000, group: "region")
        let started = session.start(localHeads: [Self.regionA: 5, epochStream: 3], unconfirmed: [epochStream: 0], now: 0)
        guard case .send(.hello(let offered))? = started.first else {
            Issue.record("no HELLO: \(started)")
            return
        }
        #expect(offered.protocolVersion == 1, "a version-1 node accepts only a HELLO whose version field is 1")
        let old = Hello(protocolVersions: 1...1, network: "net", nodeID: "b", topologyDigest: Self.digest, softwareVersion: "0.2.0")
        let want: [StreamID: UInt64] = [Self.regionA: 6, Self.regionB: 1, Self.regionC: 1]
        #expect(
            session.receive(.hello(old), now: 0) == [
                .peerIdentified(old, topologyMatches: true), .send(.wantDigest(PeerSession.wantDigest(want, version: 1))),
            ], "no epoch stream in the WANT, no head hashes in the digest")
        #expect(session.agreedVersion == 1)
        // Its digest is of a version-1 WANT; the epoch stream is neither listed nor sent.
        #expect(
            session.receive(.wantDigest(PeerSession.wantDigest([Self.regionA: 3, Self.regionB: 1, Self.regionC: 1], version: 1)), now: 0) == [
                .send(.wantRequest)
            ])
        #expect(
            session.receive(.want([Self.regionA: 1, Self.regionB: 1, Self.regionC: 1]), now: 0) == [
                .caughtUp(heads: [:]), .sendBatches(Self.regionA, after: 0, through: 5),
            ])
        #expect(session.localHeadsChanged([Self.regionA: 5, epochStream: 4]).isEmpty)
        let batch = try Self.envelope(epochStream, seq: 1)
        guard case .close(let error)? = session.receive(.batch(batch), now: 0).first else {
            Issue.record("a batch of a later epoch was taken on a version-1 link")
            return
        }
        #expect(error?.code == .notMember)

        // Two nodes of this release agree on 3; the offer survives the wire.
        var newer = Self.session()
        _ = newer.start(localHeads: [:], now: 0)
        let decoded = try PeerMessage(frame: Self.peerHello().frame)
        #expect(decoded == Self.peerHello())
        _ = newer.receive(decoded, now: 0)
        #expect(newer.agreedVersion == 3)
    }

    @Test func aHelloOfferingNoCommonVersionIsRefusedInOneSentence() {
        var session = Self.session()
        _ = session.start(localHeads: [:], now: 0)
        let actions = session.receive(Self.peerHello(versions: 4...5), now: 0)
        #expect(
            actions == [
                .close(ProtocolError(.protocolVersion, "peer offers protocol versions 4-5; this node speaks 1-3"))
            ])
    }
}
