import Foundation
import Records
import Replica
import SyncCore
import WireProtocol

// Writes one set of golden vectors (docs/PROTOCOL.md §8) into the folder given: the batch
// envelopes a receiving node applied, in order; one frame of every message type; the receiver's
// replica as `pccc backup` writes it; and a manifest naming the network, the public keys, the
// groups, the digest and the record count. Run once per release that changes the wire format,
// the batch format or the schema (scripts/golden-vectors.sh); the vectors of every release stay
// committed, and GoldenVectorTests checks them all. The signing keys are made here and dropped:
// only their public halves are written.

guard CommandLine.arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: pccc-golden-vectors FOLDER (a new folder under Tests/ReplicaTests/Fixtures/golden)\n".utf8))
    exit(2)
}
let folder = URL(fileURLWithPath: CommandLine.arguments[1])
guard !FileManager.default.fileExists(atPath: folder.path) else {
    FileHandle.standardError.write(Data("error: \(folder.path) exists; golden vectors are never rewritten, only added\n".utf8))
    exit(1)
}

/// A wall clock that moves one second per reading: every write gets its own, known time.
final class SteppingClock: @unchecked Sendable {
    private let lock = NSLock()
    // November 2025: before any clock a later release runs on, so no batch is ahead of it.
    private var milliseconds: UInt64 = 1_764_000_000_000
    func next() -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        milliseconds += 1_000
        return milliseconds
    }
}

do {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("golden-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }

    let network = "golden-net"
    // gv-a writes in epoch 0, as nodes made before epochs do; gv-b in an epoch of its own.
    let nodes: [NodeID] = ["gv-a", "gv-b", "gv-r"]
    let groups: [GroupID: Set<NodeID>] = ["region": Set(nodes), "a-r": ["gv-a", "gv-r"]]
    var keys: [NodeID: BatchSigningKey] = [:]
    for node in nodes { keys[node] = BatchSigningKey() }
    let roster = Roster(network: network, signingKeys: keys.mapValues(\.publicKey), groups: groups)
    let clock = SteppingClock()
    func replica(_ node: NodeID) throws -> Replica {
        var configuration = ReplicaConfiguration(nodeID: node, signingKey: keys[node]!, roster: roster)
        configuration.wallClock = { clock.next() }
        return try Replica(path: work.appendingPathComponent("\(node).sqlite").path, configuration: configuration)
    }
    let a = try replica("gv-a")
    let b = try replica("gv-b")
    let receiver = try replica("gv-r")
    try b.beginStreamEpoch(reason: .initialised)
    let clerk = AuditActor(user: "golden", purpose: "golden vectors")

    // Every record kind, both merge paths (a later update, an erasure with its redacted
    // leaves), names that need folding, a request and its answer across two nodes.
    let person = try a.create(
        .person, in: "region",
        [
            FieldWrite("category", "suspect"), FieldWrite("family_name", "Đorđević"), FieldWrite("given_name", "Ljubiša"),
            FieldWrite("birth_date", "1979-03-14"),
            FieldWrite("nationality", "RS"), FieldWrite("sex", "M"), FieldWrite("alert", "wanted"), FieldWrite("handling_code", "H1"),
        ])
    _ = try a.create(.vehicle, in: "a-r", [FieldWrite("plate", "SK 123-AB"), FieldWrite("vin", "WVWZZZ1JZXW000001"), FieldWrite("alert", "stolen")])
    try a.update(person, [FieldWrite("aliases", "Ljuba"), FieldWrite("source_reliability", "B")])
    _ = try a.create(.document, in: "region", [FieldWrite("doc_type", "passport"), FieldWrite("number", "P1234567"), FieldWrite("status", "stolen")])
    _ = try a.create(.firearm, in: "region", [FieldWrite("serial", "CZ-75-0042"), FieldWrite("make", "CZ"), FieldWrite("calibre", "9mm")])
    _ = try b.pull(from: a)
    let own = try b.create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Ωμέγα"), FieldWrite("given_name", "Nikos")])
    _ = try b.logHit(on: person, place: "Tabanovce", outcome: "stopped", checkedAt: nil, auditedAs: clerk)
    _ = try b.addNote(to: person, text: "seen with a grey van", auditedAs: clerk)
    let form = RequestForm(
        question: "Is the alert current?", urgency: "standard", purpose: "Check at the border", offence: "wanted person",
        availabilityReasons: "the alert was issued there", subjects: [person.description], subjectRelation: "the person checked",
        language: "en", requestingAuthority: "Border police", caseNumber: "GV-1", spocCopy: "sent", europolCopy: "not_needed",
        europolReason: "a bilateral case")
    let request = try b.sendRequest(to: "gv-a", form: form, auditedAs: clerk)
    try b.erase(own, reason: "entered_in_error", auditedAs: clerk)
    _ = try a.pull(from: b)
    try a.act(on: request, .answer("Yes, since 2030-01-02."), auditedAs: clerk)

    // The receiver applies every batch of a, then every batch of b, as each holds them now.
    var envelopes: [[UInt8]] = []
    for origin in [a, b] {
        for position in try origin.streamPositions() where position.stream.origin == origin.configuration.nodeID {
            envelopes += try origin.batches(of: position.stream, after: 0, limit: 1_000).map(\.envelope)
        }
    }
    for (index, envelope) in envelopes.enumerated() {
        let outcome = try receiver.apply(envelope: envelope)
        guard case .applied = outcome else { throw ReplicaError(.invalid, "batch \(index + 1) was not applied: \(outcome)") }
    }
    let digest = try receiver.digest()
    _ = try receiver.backup(to: folder.appendingPathComponent("replica.sqlite").path)
    let summary = try Replica.inspect(file: folder.appendingPathComponent("replica.sqlite").path)
    guard summary.digest == digest else { throw ReplicaError(.invalid, "the backup's digest differs from the replica's") }

    func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
    let batchLines = ["# The batch envelopes gv-r applied, hex, one a line, in order."] + envelopes.map(hex)
    try (batchLines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("batches.hex"), atomically: true, encoding: .utf8)

    let bEpoch = try b.writeEpoch().epoch
    let streamOfB = StreamID(origin: "gv-b", epoch: bEpoch, group: "region")
    let streamOfA = StreamID(origin: "gv-a", group: "region")
    let topologyDigest = [UInt8](repeating: 0xA5, count: 32)
    let messages: [(String, PeerMessage)] = [
        (
            "hello",
            .hello(
                Hello(
                    network: network, nodeID: "gv-a", topologyDigest: topologyDigest, softwareVersion: "golden",
                    sentAtMilliseconds: 1_764_000_000_000))
        ),
        ("want", .want([streamOfA: 6, streamOfB: 1])),
        ("want_digest", .wantDigest(PeerSession.wantDigest([streamOfA: 6, streamOfB: 1]))),
        ("want_request", .wantRequest),
        ("batch", .batch(envelopes[0])),
        ("ack", .ack([streamOfA: 5, streamOfB: 3])),
        ("ping", .ping(42)),
        ("pong", .pong(42)),
        ("error", .error(code: "going_away", message: "shutdown")),
    ]
    let frameLines = ["# One frame of every message type, `name hex`, as PeerMessage encodes it."] + messages.map { "\($0.0) \(hex($0.1.frame.bytes))" }
    try (frameLines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("frames.hex"), atomically: true, encoding: .utf8)

    let manifest: [String: Any] = [
        "made_by": "pccc-sync, protocol \(Hello.currentProtocolVersion), batch header \(BatchHeader.currentVersion), schema \(summary.schemaVersion)",
        "network": network,
        "receiver": "gv-r",
        "keys": Dictionary(uniqueKeysWithValues: keys.map { ($0.key.rawValue, $0.value.publicKey.topologyForm) }),
        "groups": Dictionary(uniqueKeysWithValues: groups.map { ($0.key.rawValue, $0.value.map(\.rawValue).sorted()) }),
        "batches": envelopes.count,
        "applied_by": clock.next(),
        "digest": digest,
        "records": summary.records,
    ]
    let json = try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    try (String(decoding: json, as: UTF8.self) + "\n").write(to: folder.appendingPathComponent("manifest.json"), atomically: true, encoding: .utf8)
    print("wrote \(envelopes.count) batches, \(messages.count) frames and a replica of \(summary.records) records (digest \(digest)) to \(folder.path)")
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
