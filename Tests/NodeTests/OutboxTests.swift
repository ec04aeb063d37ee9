import SyncCore
import TestSupport
import Testing
import WireProtocol

@testable import Node

@Suite(.ownThread) struct OutboxTests {
    static let stream = StreamID(origin: "a", group: "g")

    @Test func controlFramesGoBeforeBatchesAndRangesMerge() async {
        let outbox = Outbox()
        outbox.sendBatches(Self.stream, after: 10, through: 20)
        outbox.sendBatches(Self.stream, after: 20, through: 30)
        outbox.send(PeerMessage.ping(1).frame)
        guard case .frames(let frames) = await outbox.next() else {
            Issue.record("control frames must come first")
            return
        }
        #expect(frames == [PeerMessage.ping(1).frame])
        guard case .batches(let stream, let after, let through, let generation) = await outbox.next() else {
            Issue.record("expected the merged range")
            return
        }
        #expect(stream == Self.stream && after == 10 && through == 30)
        outbox.sent(Self.stream, through: 25, generation: generation)
        guard case .batches(_, let rest, _, _) = await outbox.next() else {
            Issue.record("the rest of the range must stay queued")
            return
        }
        #expect(rest == 25)
    }

    @Test func aRestartFromAnEarlierSeqIsNotLostToAnOlderSentMark() async {
        let outbox = Outbox()
        outbox.sendBatches(Self.stream, after: 100, through: 200)
        guard case .batches(_, _, _, let old) = await outbox.next() else { return }
        outbox.sendBatches(Self.stream, after: 50, through: 200)
        outbox.sent(Self.stream, through: 164, generation: old)
        guard case .batches(_, let after, _, _) = await outbox.next() else {
            Issue.record("the restarted range vanished")
            return
        }
        #expect(after == 50)
    }

    @Test func aPeerThatSendsWithoutReadingIsClosedNotBuffered() async {
        let outbox = Outbox()
        for nonce in 0...UInt64(Outbox.maxQueuedFrames) { outbox.send(PeerMessage.pong(nonce).frame) }
        guard case .close(let error) = await outbox.next() else {
            Issue.record("an unread flood must close the session")
            return
        }
        #expect(error?.code == .timeout)
    }
}
