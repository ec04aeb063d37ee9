import API
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Node
import Records
import Replica
import SyncCore
import TestSupport
import Testing
import Topology

/// Every route of the HTTP API, each test run twice as Hummingbird's own tests do: against the
/// router in memory and against a live server on 127.0.0.1.
@Suite(.ownThread) struct APITests {
    /// Node `a` of a two-node network, in memory, with an admin `ana` and a staff member `bob`.
    struct Fixture {
        let replica: Replica
        let topology: RegionTopology
        let ana: String
        let bob: String
        /// Node b's signing key, for batches of b the tests apply at a.
        let other: BatchSigningKey

        init(schema: RecordSchema = .builtIn) throws {
            let key = BatchSigningKey()
            let other = BatchSigningKey()
            self.other = other
            topology = try RegionTopology.parse(
                yaml: """
                    network: api-test
                    nodes:
                      - { id: a, address: "127.0.0.1:1", signing_key: "\(key.publicKey.topologyForm)" }
                      - { id: b, address: "127.0.0.1:2", signing_key: "\(other.publicKey.topologyForm)" }
                    links:
                      - [a, b]
                    groups:
                      region: [a, b]
                      ab: [a, b]
                    """,
                file: "topology.yaml"
            )
            let roster = Roster(network: "api-test", signingKeys: ["a": key.publicKey, "b": other.publicKey], groups: topology.groups.mapValues(Set.init))
            var configuration = ReplicaConfiguration(nodeID: "a", signingKey: key, roster: roster)
            configuration.schema = schema
            replica = try Replica.inMemory(configuration: configuration)
            try replica.addUser("ana", role: .admin, addedBy: nil)
            try replica.addUser("bob", role: .staff, addedBy: AuditActor(user: "ana"))
            ana = try replica.issueToken(for: "ana", by: AuditActor(user: "ana"))
            bob = try replica.issueToken(for: "bob", by: AuditActor(user: "bob"))
        }
    }

    /// A client bound to one token.
    struct Session {
        let client: any TestClientProtocol
        let token: String?
        /// Sent as `PCCC-Purpose` unless a call's own headers name one; the node's rule asks
        /// for one at every consultation.
        var purpose: String? = "api test"

        func call(_ method: HTTPRequest.Method, _ uri: String, _ body: Any? = nil, headers: HTTPFields = [:]) async throws -> (HTTPResponse.Status, Any?) {
            var fields = headers
            if let token { fields[.authorization] = "Bearer \(token)" }
            if let purpose, fields[Self.purposeHeader] == nil { fields[Self.purposeHeader] = purpose }
            var buffer: ByteBuffer?
            if let body {
                fields[.contentType] = "application/json"
                buffer = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body))
            }
            return try await client.execute(uri: uri, method: method, headers: fields, body: buffer) { response in
                let data = Data(response.body.readableBytesView)
                return (response.status, data.isEmpty ? nil : try? JSONSerialization.jsonObject(with: data))
            }
        }

        static let purposeHeader = HTTPField.Name("PCCC-Purpose")!

        func object(_ method: HTTPRequest.Method, _ uri: String, _ body: Any? = nil, expect status: HTTPResponse.Status = .ok) async throws -> [String: Any] {
            let (got, object) = try await call(method, uri, body)
            #expect(got == status, "\(method) \(uri): \(String(describing: object))")
            guard let object = object as? [String: Any] else { throw TestFailure("\(method) \(uri) answered no JSON object: \(String(describing: object))") }
            return object
        }

        /// The answer decoded as one of the shared JSON shapes, which fails on a missing or
        /// misspelt key.
        func decode<T: Decodable>(_ type: T.Type, _ uri: String, method: HTTPRequest.Method = .get, expect status: HTTPResponse.Status = .ok) async throws -> T
        {
            var fields: HTTPFields = [:]
            if let token { fields[.authorization] = "Bearer \(token)" }
            if let purpose { fields[Self.purposeHeader] = purpose }
            let (got, data) = try await client.execute(uri: uri, method: method, headers: fields, body: nil) { ($0.status, Data($0.body.readableBytesView)) }
            #expect(got == status, "\(method) \(uri): \(String(decoding: data, as: UTF8.self))")
            return try JSONDecoder().decode(T.self, from: data)
        }

        func list(_ uri: String) async throws -> [[String: Any]] {
            let (status, object) = try await call(.get, uri)
            #expect(status == .ok, "GET \(uri): \(String(describing: object))")
            guard let list = object as? [[String: Any]] else { throw TestFailure("GET \(uri) answered no JSON list: \(String(describing: object))") }
            return list
        }

        /// The code and field of an error answer, which must carry `status` and all three keys
        /// of docs/openapi.yaml's Error: a code, a non-empty message, and a field or null.
        func error(_ method: HTTPRequest.Method, _ uri: String, _ body: Any? = nil, _ status: HTTPResponse.Status) async throws -> Refusal {
            let (got, object) = try await call(method, uri, body)
            #expect(got == status, "\(method) \(uri): \(String(describing: object))")
            return try Refusal(answer: object, of: "\(method) \(uri)")
        }
    }

    /// What an error answer says to a program: its code and the field it names.
    struct Refusal: Equatable, CustomStringConvertible {
        let code: String
        let field: String?

        init(_ code: String, field: String? = nil) {
            self.code = code
            self.field = field
        }

        init(answer: Any?, of call: String) throws {
            guard let error = (answer as? [String: Any])?["error"] as? [String: Any], let code = error["code"] as? String,
                let message = error["message"] as? String, !message.isEmpty, let field = error["field"], field is String || field is NSNull
            else { throw TestFailure("\(call) answered no {code, message, field} error: \(String(describing: answer))") }
            self.init(code, field: field as? String)
        }

        var description: String { code + (field.map { " (\($0))" } ?? "") }
    }

    static func withAPI(
        schema: RecordSchema = .builtIn, _ test: @escaping @Sendable (Fixture, _ ana: Session, _ bob: Session, _ anonymous: Session) async throws -> Void
    ) async throws {
        for setup in [TestingSetup.router, .live] {
            let fixture = try Fixture(schema: schema)
            let topology = fixture.topology
            let router = APIRouter.make(replica: fixture.replica, topology: { topology }, metrics: { Array("pccc_test_metric 1\n".utf8) })
            let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            try await application.test(setup) { client in
                try await test(
                    fixture, Session(client: client, token: fixture.ana), Session(client: client, token: fixture.bob),
                    Session(client: client, token: nil)
                )
            }
        }
    }

    /// Every operation docs/openapi.yaml lists, as (method, path with each `{parameter}` filled).
    static func documentedOperations() throws -> [(HTTPRequest.Method, String)] {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/openapi.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        var operations: [(HTTPRequest.Method, String)] = []
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast()).replacingOccurrences(of: "{id}", with: "0123456789abcdef0123456789abcdef")
                    .replacingOccurrences(of: "{name}", with: "bob")
            } else if let current = path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":"),
                ["get", "post", "put", "patch", "delete"].contains(line.dropFirst(4).dropLast()),
                let method = HTTPRequest.Method(String(line.dropFirst(4).dropLast()).uppercased())
            {
                operations.append((method, current))
            } else if !line.hasPrefix(" "), !line.isEmpty {
                path = nil
            }
        }
        guard operations.count > 40 else { throw TestFailure("docs/openapi.yaml lists only \(operations.count) operations") }
        return operations
    }

    @Test func everyRouteRefusesAMissingOrUnknownCredential() async throws {
        let operations = try Self.documentedOperations()
        try await Self.withAPI { fixture, ana, _, anonymous in
            for (method, uri) in operations where uri.hasPrefix("/api/") && !(method == .post && uri == "/api/session") {
                #expect(try await anonymous.error(method, uri, nil, .unauthorized) == Refusal("unauthenticated"), "\(method) \(uri)")
            }
            for forged in ["pccc_forged", "pcccs_forged", "neither"] {
                #expect(try await Session(client: ana.client, token: forged).error(.get, "/api/me", nil, .unauthorized) == Refusal("unauthenticated"))
            }
            let (status, me) = try await ana.call(.get, "/api/me")
            #expect(status == .ok && (me as? [String: Any])?["role"] as? String == "admin")
            // A new token of the same name replaces the old one.
            _ = try fixture.replica.issueToken(for: "ana", by: AuditActor(user: "ana"))
            #expect(try await ana.error(.get, "/api/me", nil, .unauthorized) == Refusal("unauthenticated"))
        }
    }

    @Test func signInsBeyondTheChecksRunAtOnceAreAnswered429AtOnce() async throws {
        let fixture = try Fixture()
        try fixture.replica.setPassword("bob's long password", for: "bob", by: AuditActor(user: "ana"))
        let topology = fixture.topology
        // No check may run: every sign-in is turned away before its password is looked at.
        let router = APIRouter.make(replica: fixture.replica, topology: { topology }, concurrentSignIns: 0)
        try await Application(router: router).test(.router) { client in
            let body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: ["name": "bob", "password": "bob's long password"]))
            let (status, retry, answer) = try await client.execute(
                uri: "/api/session", method: .post, headers: [.contentType: "application/json"], body: body
            ) { ($0.status, $0.headers[.retryAfter], try? JSONSerialization.jsonObject(with: Data($0.body.readableBytesView))) }
            #expect(status == .tooManyRequests && retry == "1")
            #expect(try Refusal(answer: answer, of: "POST /api/session") == Refusal("busy"))
        }
        #expect(try fixture.replica.auditEntries(limit: 100).allSatisfy { $0.event.action != "sign_in_refused" }, "no password was checked")
    }

    @Test func plainHTTPIsForLoopbackAddressesOnlyNotNamesThatLookLikeThem() throws {
        for host in ["127.0.0.1", "127.0.0.2", "::1", "localhost"] {
            #expect(try APIServerAddress("\(host == "::1" ? "[::1]" : host):8080", certificatePath: nil, keyPath: nil).scheme == "http", "\(host)")
        }
        for host in ["127.evil.example", "10.1.2.3", "0.0.0.0", "::", "128.0.0.1"] {
            #expect(throws: APIServerAddress.Refusal.self, "\(host)") {
                try APIServerAddress("\(host.contains(":") ? "[\(host)]" : host):8080", certificatePath: nil, keyPath: nil)
            }
        }
    }

    @Test func signInSessionsDisablingAndTokensGoThroughTheAPI() async throws {
        try await Self.withAPI { fixture, ana, bob, anonymous in
            try fixture.replica.setPassword("bob's long password", for: "bob", by: AuditActor(user: "ana"))
            #expect(
                try await anonymous.error(.post, "/api/session", ["name": "bob", "password": "not bob's password"], .unauthorized)
                    == Refusal("unauthenticated"))
            let signedIn = try await anonymous.object(.post, "/api/session", ["name": "bob", "password": "bob's long password"], expect: .created)
            let token = try #require(signedIn["token"] as? String)
            #expect(token.hasPrefix("pcccs_") && signedIn["idle_minutes"] as? Int == 30)
            let session = Session(client: anonymous.client, token: token)
            #expect(try await session.object(.get, "/api/me")["name"] as? String == "bob")

            // A page of another site can post a form, but no credential goes with it.
            let (crossSite, _) = try await anonymous.client.execute(
                uri: "/api/records", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .origin: "https://elsewhere.example"],
                body: ByteBuffer(string: "kind=person&group=region")
            ) { ($0.status, ()) }
            #expect(crossSite == .unauthorized)
            #expect(try await session.error(.post, "/api/users/ana/disable", nil, .forbidden) == Refusal("not_allowed"))

            // A token made with the session lasts no longer than the session.
            let made = try await session.object(.post, "/api/tokens", ["name": "from-session", "days": 365], expect: .created)
            #expect((made["description"] as? [String: Any])?["expires_at"] as? String == signedIn["ends_at"] as? String)
            #expect(try await session.call(.delete, "/api/session").0 == .noContent)
            #expect(try await session.error(.get, "/api/me", nil, .unauthorized) == Refusal("unauthenticated"))
            #expect(try await bob.error(.delete, "/api/session", nil, .forbidden) == Refusal("not_allowed"), "an API token is no session")
            #expect(try await bob.error(.get, "/api/tokens?all=yes", nil, .badRequest) == Refusal("bad_request", field: "all"))

            #expect(try await ana.call(.post, "/api/users/bob/disable").0 == .noContent)
            #expect(try await bob.error(.get, "/api/me", nil, .unauthorized) == Refusal("unauthenticated"))
            #expect(try await ana.call(.post, "/api/users/bob/enable").0 == .noContent)
            #expect(try await bob.object(.get, "/api/me")["name"] as? String == "bob")

            let issued = try await ana.object(.post, "/api/tokens", ["name": "ci", "days": 7], expect: .created)
            let ci = Session(client: ana.client, token: try #require(issued["token"] as? String))
            #expect((issued["description"] as? [String: Any])?["name"] as? String == "ci")
            #expect(try await ci.object(.get, "/api/me")["name"] as? String == "ana")
            #expect(try await ana.error(.post, "/api/tokens", ["name": "ci", "days": 400], .unprocessableContent) == Refusal("invalid", field: "days"))
            #expect(try await ana.call(.delete, "/api/tokens/ci").0 == .noContent)
            #expect(try await ci.error(.get, "/api/me", nil, .unauthorized) == Refusal("unauthenticated"))
            #expect(try await bob.error(.post, "/api/users/bob/password", ["password": "a password of bob"], .forbidden) == Refusal("not_allowed"))
            #expect(
                try await bob.error(.post, "/api/me/password", ["current": "wrong wrong wrong", "password": "a password of bob"], .unauthorized)
                    == Refusal("unauthenticated", field: "current"))
            #expect(try await bob.call(.post, "/api/me/password", ["current": "bob's long password", "password": "a password of bob"]).0 == .noContent)
        }
    }

    @Test func recordsAreCreatedReadChangedAnnotatedAndErased() async throws {
        try await Self.withAPI { _, _, bob, _ in
            let created = try await bob.object(
                .post, "/api/records", ["kind": "person", "group": "region", "fields": ["category": "suspect", "family_name": "Ђорђевић", "alert": "wanted"]],
                expect: .created
            )
            let id = try #require(created["id"] as? String)
            #expect(
                try await bob.error(
                    .post, "/api/records", ["kind": "person", "group": "region", "fields": ["category": "suspect", "birth_date": "07.03.1984"]],
                    .unprocessableContent
                ) == Refusal("invalid", field: "birth_date")
            )
            #expect(
                try await bob.error(
                    .post, "/api/records", ["kind": "person", "group": "nowhere", "fields": ["category": "suspect", "family_name": "X"]], .forbidden)
                    == Refusal("not_member")
            )
            #expect(try await bob.error(.post, "/api/records", ["kind": "hit", "group": "region"], .badRequest) == Refusal("bad_request", field: "kind"))
            #expect(try await bob.error(.post, "/api/records", ["kind": "person"], .badRequest) == Refusal("bad_request", field: "group"))
            #expect(try await bob.error(.post, "/api/records", ["kind": "person", "group": ""], .badRequest) == Refusal("bad_request", field: "group"))
            #expect(
                try await bob.error(
                    .post, "/api/records", ["kind": "person", "group": "region", "fields": ["category": "suspect", "family_name": 7]], .badRequest)
                    == Refusal("bad_request", field: "fields")
            )
            #expect(try await bob.error(.post, "/api/records", ["kind": 7, "group": "region"], .badRequest) == Refusal("bad_request", field: "kind"))

            let (patched, _) = try await bob.call(.patch, "/api/records/\(id)", ["set": ["given_name": "Марко"], "clear": ["alert"]])
            #expect(patched == .noContent)
            #expect(try await bob.error(.patch, "/api/records/\(id)", ["set": ["sex": "female"]], .unprocessableContent) == Refusal("invalid", field: "sex"))
            _ = try await bob.object(.post, "/api/records/\(id)/hits", ["place": "Tabanovce BCP", "outcome": "detained"], expect: .created)
            _ = try await bob.object(.post, "/api/records/\(id)/notes", ["text": "travels by night"], expect: .created)

            let record = try await bob.decode(RecordJSON.self, "/api/records/\(id)")
            #expect(record.fields["family_name"]?.value == "Ђорђевић" && record.fields["family_name"]?.by == "a")
            #expect(record.fields["given_name"]?.value == "Марко")
            let cleared = try #require(record.fields["alert"], "a cleared field keeps its provenance")
            #expect(cleared.value == nil && cleared.by == "a")
            #expect(record.hits?.count == 1 && record.hits?.first?.fields["place"]?.value == "Tabanovce BCP")
            #expect(record.notes?.first?.fields["author"]?.value == "bob")
            #expect(record.erasureRequests == [])

            let found = try await bob.decode([SearchHitJSON].self, "/api/search?q=djordjevic")
            #expect(found.map(\.id) == [id] && found.first?.label.hasPrefix("Ђорђевић") == true)
            #expect(try await bob.decode([RecordSummaryJSON].self, "/api/records?kind=person").map(\.id) == [id])
            #expect(try await bob.list("/api/records?alert=wanted").isEmpty)
            #expect(
                try await bob.error(.get, "/api/records?kind=document&alert=wanted", nil, .unprocessableContent)
                    == Refusal("invalid", field: "alert"))
            #expect(try await bob.error(.get, "/api/records?limit=10001", nil, .badRequest) == Refusal("bad_request", field: "limit"))
            #expect(try await bob.error(.get, "/api/requests?overdue=maybe", nil, .badRequest) == Refusal("bad_request", field: "overdue"))
            #expect(try await bob.list("/api/records?kind=firearm&status=seized").isEmpty, "a firearm's status is free text")
            #expect(try await bob.error(.get, "/api/records?changed_since=soon", nil, .badRequest) == Refusal("bad_request", field: "changed_since"))

            let (erased, _) = try await bob.call(.post, "/api/records/\(id)/erase", ["reason": "court_order"])
            #expect(erased == .noContent)
            let tombstone = try await bob.decode(TombstoneJSON.self, "/api/records/\(id)")
            #expect(tombstone.erased && tombstone.reason == "court_order" && tombstone.erasedBy == "a")
            #expect(try await bob.error(.patch, "/api/records/\(id)", ["set": ["given_name": "X"]], .gone) == Refusal("erased"))
            #expect(try await bob.error(.get, "/api/records/01a20321-1e70-7004-a55d-1ea1d7d3dbe9", nil, .notFound) == Refusal("not_found"))
            #expect(try await bob.error(.get, "/api/records/not-an-id", nil, .badRequest) == Refusal("bad_request", field: "id"))
            #expect(try await bob.list("/api/search?q=djordjevic").isEmpty)
        }
    }

    /// A complete `POST /api/requests` body to `to`, with `changes` on top.
    static func requestBody(to: String, _ changes: [String: Any] = [:]) -> [String: Any] {
        let form = RequestForm.filled("Owner?")
        var body: [String: Any] = [
            "to": to, "urgency": "standard", "question": form.question, "purpose": form.purpose, "offence": form.offence,
            "availability_reasons": form.availabilityReasons, "language": "en", "requesting_authority": form.requestingAuthority,
            "case_number": form.caseNumber, "spoc_copy": "sent", "europol_copy": "sent",
        ]
        body.merge(changes) { $1 }
        return body
    }

    @Test func requestsAreSentListedAndClosedByTheRightCentre() async throws {
        try await Self.withAPI { _, _, bob, _ in
            let subject = try await bob.object(.post, "/api/records", ["kind": "vehicle", "group": "ab", "fields": ["plate": "SK 123 AB"]], expect: .created)
            let sent = try await bob.object(
                .post, "/api/requests",
                Self.requestBody(
                    to: "b",
                    [
                        "urgency": "urgent", "subjects": [subject["id"]!], "subject_relation": "the stolen car", "urgent_ground": "loss_of_relevance",
                        "urgent_reasons": "the car is leaving the region",
                    ]), expect: .created
            )
            let id = try #require(sent["id"] as? String)
            let outgoing = try await bob.decode([RequestJSON].self, "/api/requests?direction=outgoing")
            #expect(outgoing.map(\.id) == [id])
            #expect(outgoing.first?.group == "ab" && outgoing.first?.status == "sent" && outgoing.first?.answer == nil)
            #expect(outgoing.first?.urgencyClass == "urgent" && outgoing.first?.form["urgent_ground"] == "loss_of_relevance")
            let subjectID = try #require(subject["id"] as? String)
            #expect(outgoing.first?.direction == "outgoing" && outgoing.first?.subjects == [subjectID])
            #expect(try await bob.list("/api/requests?direction=incoming").isEmpty)
            #expect(try await bob.list("/api/requests?overdue=true").isEmpty)
            #expect(try await bob.error(.get, "/api/requests?direction=sideways", nil, .badRequest) == Refusal("bad_request", field: "direction"))
            #expect(try await bob.error(.post, "/api/requests/\(id)/answer", ["text": "x"], .forbidden) == Refusal("not_allowed"))
            #expect(
                try await bob.error(.post, "/api/requests", Self.requestBody(to: "a"), .unprocessableContent)
                    == Refusal("invalid", field: "to")
            )
            #expect(
                try await bob.error(.post, "/api/requests", Self.requestBody(to: "b", ["urgency": "asap"]), .unprocessableContent)
                    == Refusal("invalid", field: "urgency")
            )
            let (closed, _) = try await bob.call(.post, "/api/requests/\(id)/close")
            #expect(closed == .noContent)
            #expect(try await bob.list("/api/requests").first?["status"] as? String == "closed")
        }
    }

    @Test func onlyTheOwnerErasesOthersAskItAndAWorkflowStepOfTheOtherCentreIsForbidden() async throws {
        try await Self.withAPI { fixture, _, bob, _ in
            // b's record and b's erasure request for one of a's, as they would arrive from b.
            let mine = try await bob.object(
                .post, "/api/records", ["kind": "person", "group": "region", "fields": ["category": "suspect", "family_name": "Ours"]], expect: .created)
            let mineID = try #require(mine["id"] as? String)
            let now = fixture.replica.configuration.wallClock()
            let theirs = RecordID.make(milliseconds: now, boundTo: RecordBinding(origin: "b", group: "region", kind: "person"))
            let asked = RecordID.make(milliseconds: now, boundTo: RecordBinding(origin: "b", group: "region", kind: "erasure_request"))
            let hlc = HybridTimestamp(milliseconds: now, counter: 0)
            let batch = try SignedBatch.make(
                network: "api-test", origin: "b", group: "region", seq: 1, prevHash: BatchHeader.zeroHash,
                leaves: [
                    .full(Change(kind: "person", recordID: theirs, hlc: hlc, operation: .create([FieldWrite("family_name", "Theirs")]))),
                    .full(
                        Change(
                            kind: "erasure_request", recordID: asked, hlc: HybridTimestamp(milliseconds: now, counter: 1),
                            operation: .append([FieldWrite("record_id", mineID), FieldWrite("reason", "court_order"), FieldWrite("text", "Judgment 4")])
                        )
                    ),
                ],
                signingKey: fixture.other
            )
            #expect(try fixture.replica.apply(envelope: batch.envelope) == .applied(changes: 2))

            #expect(
                try await bob.error(.post, "/api/records/\(theirs)/erase", ["reason": "court_order"], .forbidden)
                    == Refusal("not_allowed")
            )
            let filed = try await bob.object(.post, "/api/records/\(theirs)/erasure-requests", ["reason": "court_order", "text": "Case 9"], expect: .created)
            #expect(filed["id"] is String)
            #expect(
                try await bob.error(.post, "/api/records/\(mineID)/erasure-requests", ["reason": "court_order"], .unprocessableContent)
                    == Refusal("invalid")
            )
            let waiting = try await bob.list("/api/erasure-requests")
            #expect(waiting.count == 1 && waiting.first?["record_id"] as? String == mineID && waiting.first?["from"] as? String == "b")
            #expect(waiting.first?["reason"] as? String == "court_order" && waiting.first?["text"] as? String == "Judgment 4")
            let shown = try await bob.object(.get, "/api/records/\(mineID)")
            #expect((shown["erasure_requests"] as? [Any])?.count == 1)
            let (erased, _) = try await bob.call(.post, "/api/records/\(mineID)/erase", ["reason": "court_order"])
            #expect(erased == .noContent)
            #expect(try await bob.list("/api/erasure-requests").isEmpty, "acting on it removes it")

            // A request a sends to b: a may not answer or acknowledge it by any route.
            let sent = try await bob.object(.post, "/api/requests", Self.requestBody(to: "b"), expect: .created)
            let requestID = try #require(sent["id"] as? String)
            #expect(
                try await bob.error(.patch, "/api/records/\(requestID)", ["set": ["answer": "Self-answered"]], .forbidden)
                    == Refusal("not_allowed")
            )
            #expect(
                try await bob.error(.patch, "/api/records/\(requestID)", ["set": ["status": "acknowledged"]], .forbidden)
                    == Refusal("not_allowed")
            )
        }
    }

    @Test func everyConsultationNeedsThePurposeTheRuleAsksAndOnlyAnAdminSetsTheRule() async throws {
        try await Self.withAPI { fixture, ana, bob, _ in
            let id = try #require(
                try await bob.object(
                    .post, "/api/records", ["kind": "person", "group": "region", "fields": ["category": "suspect", "family_name": "Hoxha"]], expect: .created)[
                        "id"] as? String)
            let consultations = [
                "/api/records/\(id)", "/api/records", "/api/search?q=hoxha", "/api/export?group=region&format=json", "/api/requests",
                "/api/handover", "/api/reviews",
            ]
            func refused(purpose: String?) async throws -> [String] {
                var refused: [String] = []
                for uri in consultations {
                    let (status, answer) = try await Session(client: bob.client, token: bob.token, purpose: purpose).call(.get, uri)
                    if status == .badRequest, try Refusal(answer: answer, of: uri) == Refusal("purpose_required", field: "purpose") {
                        refused.append(uri)
                    } else {
                        #expect(status == .ok, "GET \(uri) with purpose \(purpose ?? "none"): \(status) \(String(describing: answer))")
                    }
                }
                return refused
            }
            let entriesBefore = try fixture.replica.auditEntries(limit: 1_000).count
            // A new node asks a purpose in words: none, or fewer than three characters, is refused.
            #expect(try await ana.object(.get, "/api/purposes")["rule"] as? String == "free-text")
            #expect(try await refused(purpose: nil) == consultations)
            #expect(try await refused(purpose: " ab ") == consultations)
            #expect(try await refused(purpose: "hand-over 9").isEmpty)
            #expect(try fixture.replica.auditEntries(limit: 1_000).count == entriesBefore + consultations.count, "a refused consultation logged something")
            // Text beyond Latin-1 comes as RFC 8187's utf-8''…, as the web UI sends it; invisible
            // characters do not make a purpose.
            #expect(try await refused(purpose: "utf-8''%D0%BF%D1%80%D0%B5%D0%B3%D0%BB%D0%B5%D0%B4").isEmpty)
            #expect(try fixture.replica.auditEntries(limit: 1).last?.event.purpose == "преглед")
            #expect(try await refused(purpose: "utf-8''%E2%80%8B%E2%80%8B%E2%80%8Ba") == consultations)
            #expect(try await refused(purpose: "utf-8''ab%0Acd") == consultations)

            // Only an admin sets the rule; a malformed rule or case number changes nothing.
            let caseRule: [String: Any] = ["rule": "case-number", "case_numbers": ["2026/17", "BG-44.1"]]
            #expect(try await bob.error(.put, "/api/purposes", caseRule, .forbidden) == Refusal("not_allowed"))
            #expect(try await ana.error(.put, "/api/purposes", ["rule": "strict", "case_numbers": []], .badRequest) == Refusal("bad_request", field: "rule"))
            #expect(
                try await ana.error(.put, "/api/purposes", ["rule": "case-number", "case_numbers": ["has space"]], .unprocessableContent)
                    == Refusal("invalid", field: "case_numbers"))
            let tooMany = (0...10_000).map { "KU-\($0)" }
            #expect(
                try await ana.error(.put, "/api/purposes", ["rule": "case-number", "case_numbers": tooMany], .unprocessableContent)
                    == Refusal("too_large", field: "case_numbers"))
            #expect(try fixture.replica.purposeRule().rule == .freeText)
            let stored = try await ana.object(.put, "/api/purposes", caseRule)
            #expect(stored["rule"] as? String == "case-number" && stored["case_numbers"] as? [String] == ["2026/17", "BG-44.1"])
            #expect(try await refused(purpose: "hand-over 9") == consultations)
            #expect(try await refused(purpose: "2026/170 close but not listed") == consultations)
            #expect(try await refused(purpose: "2026/17 border check").isEmpty)
            #expect(try await refused(purpose: "BG-44.1").isEmpty)
            // One case however its letters are spelt in Unicode: listed decomposed, asked composed.
            _ = try await ana.object(.put, "/api/purposes", ["rule": "case-number", "case_numbers": ["Z\u{30C}K-7"]])
            #expect(try await refused(purpose: "utf-8''%C5%BDK-7%20border").isEmpty)

            // Back to none: every change was logged as its own entry, by the admin.
            _ = try await ana.object(.put, "/api/purposes", ["rule": "none", "case_numbers": ["BG-44.1"]])
            #expect(try await refused(purpose: nil).isEmpty)
            let changes = try fixture.replica.auditEntries(user: "ana", limit: 1_000).map(\.event).filter {
                ["purpose_rule", "case_add", "case_remove"].contains($0.action)
            }
            #expect(
                changes.map { "\($0.action) \($0.detail ?? "")" }.sorted()
                    == [
                        "case_add 2026/17", "case_add BG-44.1", "case_add BG-44.1", "case_add ŽK-7", "case_remove 2026/17", "case_remove BG-44.1",
                        "case_remove ŽK-7", "purpose_rule case-number", "purpose_rule none",
                    ])
        }
    }

    @Test func usersAuditAndExportFollowTheRoles() async throws {
        try await Self.withAPI { _, ana, bob, _ in
            let id = try await bob.object(
                .post, "/api/records", ["kind": "person", "group": "region", "fields": ["category": "suspect", "family_name": "Hoxha"]], expect: .created)[
                    "id"]
            let (exported, csv) = try await bob.client.execute(
                uri: "/api/export?group=region&format=csv", method: .get,
                headers: [.authorization: "Bearer \(bob.token!)", HTTPField.Name("PCCC-Purpose")!: "hand-over 9"]
            ) { ($0.status, String(buffer: $0.body)) }
            #expect(exported == .ok && csv.hasPrefix("kind,id,group,origin,created_at") && csv.contains("person,\(id as! String),region,a"))
            #expect(try await bob.error(.get, "/api/export?group=region&format=xml", nil, .badRequest) == Refusal("bad_request", field: "format"))

            #expect(try await bob.error(.get, "/api/audit", nil, .forbidden) == Refusal("not_allowed"))
            #expect(try await bob.error(.post, "/api/users", ["name": "carl", "role": "staff"], .forbidden) == Refusal("not_allowed"))
            let added = try await ana.object(.post, "/api/users", ["name": "carl", "role": "staff", "os_account": "cmarkovic"], expect: .created)
            #expect(added["os_account"] as? String == "cmarkovic")
            let carl = try await ana.list("/api/users").first { $0["name"] as? String == "carl" }
            #expect(carl?["os_account"] as? String == "cmarkovic")
            #expect(
                try await ana.error(.post, "/api/users", ["name": "cleo", "role": "staff", "os_account": "cmarkovic"], .conflict) == Refusal("exists"))
            #expect(
                try await ana.error(.post, "/api/users", ["name": "cleo", "role": "staff", "os_account": "c markovic"], .unprocessableContent)
                    == Refusal("invalid"))
            #expect(try await ana.error(.post, "/api/users", ["name": "carl", "role": "staff"], .conflict) == Refusal("exists"))
            #expect(try await ana.error(.post, "/api/users", ["name": "dora", "role": "root"], .badRequest) == Refusal("bad_request", field: "role"))
            #expect(try await bob.list("/api/users").compactMap { $0["name"] as? String } == ["ana", "bob", "carl"])

            let audit = try await ana.list("/api/audit")
            let export = try #require(audit.first { $0["action"] as? String == "export" })
            #expect(export["user"] as? String == "bob" && export["purpose"] as? String == "hand-over 9")
            #expect(audit.contains { $0["action"] as? String == "create" && $0["user"] as? String == "bob" })
            let verified = try await ana.object(.get, "/api/audit/verify")
            #expect(verified["intact"] as? Bool == true)
            let status = try await bob.object(.get, "/api/status")
            #expect(status["node"] as? String == "a" && status["network"] as? String == "api-test")
        }
    }

    @Test func theWebUIStatusTopologyKindsAndMetricsAreServed() async throws {
        try await Self.withAPI { fixture, ana, _, anonymous in
            // The page and its files need no token; the page asks for one.
            for (uri, type) in [("/", "text/html"), ("/ui/app.js", "text/javascript"), ("/ui/app.css", "text/css"), ("/ui/icon.svg", "image/svg+xml")] {
                let (status, headers, body) = try await anonymous.client.execute(uri: uri, method: .get) { response in
                    (response.status, response.headers, String(buffer: response.body))
                }
                #expect(status == .ok, "GET \(uri)")
                #expect(headers[.contentType]?.hasPrefix(type) == true, "GET \(uri): \(headers[.contentType] ?? "no type")")
                #expect(headers[HTTPField.Name("Content-Security-Policy")!]?.contains("default-src 'none'") == true)
                #expect(!body.isEmpty)
                if uri == "/" {
                    #expect(body.contains("<script src=\"/ui/app.js\"") && !body.contains("http://") && !body.contains("https://"), "no CDN")
                }
            }
            #expect(try await anonymous.call(.get, "/ui/../Package.swift").0 == .notFound, "no file outside the UI's own")
            #expect(try await anonymous.error(.get, "/ui/secret.txt", nil, .notFound) == Refusal("not_found", field: "file"))
            #expect(try await ana.error(.get, "/api/no-such-route", nil, .notFound) == Refusal("not_found"))
            let (refused, allow) = try await anonymous.client.execute(uri: "/api/records", method: .delete) { ($0.status, $0.headers[.allow]) }
            #expect(refused == .methodNotAllowed && allow == "GET, POST", "a path's other methods are 405 with Allow")
            #expect(try await ana.error(.trace, "/metrics", nil, .methodNotAllowed) == Refusal("method_not_allowed"))

            let status = try await ana.decode(NodeStatusJSON.self, "/api/status")
            #expect(status.node == "a" && status.network == "api-test")
            #expect(status.peers.map(\.peer) == ["b"] && status.peers.first?.connected == false)
            #expect(status.groups.map(\.group) == ["ab", "region"])
            let before = status.version
            let hoxha = try fixture.replica.create(.person, in: "region", [FieldWrite("category", "suspect"), FieldWrite("family_name", "Hoxha")])
            let after = try #require(try await ana.object(.get, "/api/status")["version"] as? Int)

            // A live view's revision moves with the record and its hits, and reading it is not a
            // consultation: the audit log does not grow.
            guard case .intact(let entriesBefore) = try fixture.replica.verifyAudit() else { throw TestFailure("audit log broken") }
            let first = try await ana.object(.get, "/api/revision?record=\(hoxha)")["revision"] as? String
            #expect(try await ana.object(.get, "/api/revision?record=\(hoxha)")["revision"] as? String == first)
            try fixture.replica.update(hoxha, [FieldWrite("given_name", "Arbën")])
            let second = try await ana.object(.get, "/api/revision?record=\(hoxha)")["revision"] as? String
            _ = try fixture.replica.append(.hit, [FieldWrite("record_id", hoxha.description), FieldWrite("place", "Qafë Thanë")])
            let third = try await ana.object(.get, "/api/revision?record=\(hoxha)")["revision"] as? String
            #expect(first != nil && second != first && third != second)
            let requests = try await ana.object(.get, "/api/revision?kind=request")["revision"] as? String
            #expect(requests == "0-0-0", "no request yet")
            guard case .intact(let entriesAfter) = try fixture.replica.verifyAudit() else { throw TestFailure("audit log broken") }
            #expect(entriesAfter == entriesBefore)
            #expect(try await ana.error(.get, "/api/revision?kind=person", nil, .badRequest) == Refusal("bad_request", field: "kind"))
            #expect(try await ana.error(.get, "/api/revision", nil, .unprocessableContent) == Refusal("invalid", field: "kind"))
            #expect(after != before, "a stored batch moves the version the UI polls")
            let lag = try #require((try await ana.object(.get, "/api/status")["peers"] as? [[String: Any]])?.first)
            #expect(lag["lag"] as? Int == 3, "b has acknowledged none of the three batches (create, update, hit): \(lag)")

            let topology = try await ana.object(.get, "/api/topology")
            #expect((topology["links"] as? [[String: String]]) == [["from": "a", "to": "b"]])
            let nodes = try #require(topology["nodes"] as? [[String: Any]])
            #expect(nodes.map { $0["id"] as? String } == ["a", "b"])
            #expect(nodes.allSatisfy { $0["languages"] as? [String] == ["en"] && $0["country"] is NSNull }, "\(nodes)")

            let kinds = try await ana.list("/api/kinds")
            let person = try #require(kinds.first { $0["kind"] as? String == "person" })
            let fields = try #require(person["fields"] as? [[String: Any]])
            let family = try #require(fields.first { $0["name"] as? String == "family_name" })
            #expect(family["required"] as? Bool == true && family["merge"] as? String == "lww")
            #expect(fields.first { $0["name"] as? String == "sex" }?["allowed"] as? [String] == ["F", "M", "X"])
            let request = try #require(kinds.first { $0["kind"] as? String == "request" }?["fields"] as? [[String: Any]])
            #expect(request.first { $0["name"] as? String == "due_at" }?["managed"] as? Bool == true)

            let metrics = try await anonymous.client.execute(uri: "/metrics", method: .get) { response in
                (response.status, String(buffer: response.body), response.headers[.contentType])
            }
            #expect(metrics.0 == .ok && metrics.1 == "pccc_test_metric 1\n" && metrics.2?.hasPrefix("text/plain; version=0.0.4") == true)
        }
    }

    @Test func kindsFormsAndRoutesFollowTheRegionsGrownSchema() async throws {
        let grown = try RecordSchema.builtIn.grown(
            by: """
                version: 4
                kinds:
                  person:
                    fields:
                      - {name: eye_colour, allowed: [blue, brown, green]}
                  boat:
                    fields:
                      - {name: hull_number, required: true, search: identifier}

                """, file: "schema.yaml")
        try await Self.withAPI(schema: grown) { _, ana, _, _ in
            let kinds = try await ana.list("/api/kinds")
            #expect(kinds.compactMap { $0["kind"] as? String }.last == "boat", "a region's kind follows the built-in ones")
            let person = try #require(kinds.first { $0["kind"] as? String == "person" }?["fields"] as? [[String: Any]])
            #expect(person.last?["name"] as? String == "eye_colour" && person.last?["allowed"] as? [String] == ["blue", "brown", "green"])
            let boat = try await ana.object(.post, "/api/records", ["kind": "boat", "group": "region", "fields": ["hull_number": "ST-44"]], expect: .created)
            let id = try #require(boat["id"] as? String)
            #expect(try await ana.list("/api/records?kind=boat").compactMap { $0["id"] as? String } == [id])
            #expect(try await ana.list("/api/search?q=ST44&kind=boat").compactMap { $0["id"] as? String } == [id])
            let refused = try await ana.error(
                .post, "/api/records", ["kind": "person", "group": "region", "fields": ["category": "suspect", "family_name": "X", "eye_colour": "red"]],
                .unprocessableContent)
            #expect(refused == Refusal("invalid", field: "eye_colour"))
        }
        try await Self.withAPI { _, ana, _, _ in
            let refused = try await ana.error(.post, "/api/records", ["kind": "boat", "group": "region", "fields": ["hull_number": "ST-44"]], .badRequest)
            #expect(refused == Refusal("bad_request", field: "kind"), "a node on the built-in schema knows no boat")
        }
    }

    @Test func listsLinksPossibleMatchesAndImportsGoThroughTheAPI() async throws {
        try await Self.withAPI { _, _, bob, _ in
            let first = try await bob.object(
                .post, "/api/records",
                [
                    "kind": "person", "group": "region", "fields": ["category": "suspect", "family_name": "Petrović", "given_name": "Marko"],
                    "add": ["names": ["alias|Petrovic|Marko"], "national_ids": ["RS:0101990710008"]],
                ], expect: .created)
            let id = try #require(first["id"] as? String)
            #expect((first["possible_matches"] as? [Any])?.isEmpty == true)
            let second = try await bob.object(
                .post, "/api/records",
                [
                    "kind": "person", "group": "region", "fields": ["category": "suspect", "family_name": "Petrovic"],
                    "add": ["national_ids": ["RS:0101-990710008"]],
                ],
                expect: .created)
            let matches = try #require(second["possible_matches"] as? [[String: Any]])
            #expect(matches.count == 1 && matches.first?["id"] as? String == id && matches.first?["strength"] as? String == "identifier")
            let twin = try #require(second["id"] as? String)
            let (patched, _) = try await bob.call(
                .patch, "/api/records/\(id)", ["add": ["names": ["birth|Jovanović|Marko"]], "remove": ["names": ["alias|Petrovic|Marko"]]])
            #expect(patched == .noContent)
            #expect(
                try await bob.error(.patch, "/api/records/\(id)", ["remove": ["names": ["alias|Nobody"]]], .unprocessableContent)
                    == Refusal("invalid", field: "names"))
            #expect(
                try await bob.error(
                    .post, "/api/records", ["kind": "person", "group": "region", "fields": ["category": "suspect", "family_name": "X", "names": "current|X"]],
                    .unprocessableContent)
                    == Refusal("invalid", field: "names"))
            _ = try await bob.object(
                .post, "/api/records", ["kind": "link", "group": "region", "fields": ["from_id": twin, "to_id": id, "role": "same_as"]], expect: .created)
            let record = try await bob.decode(RecordJSON.self, "/api/records/\(id)")
            #expect(record.fields["names"]?.entries == ["birth|Jovanović|Marko"] && record.fields["names"]?.value == "[\"birth|Jovanović|Marko\"]")
            #expect(record.links?.map(\.id) == [twin] && record.links?.first?.direction == "from" && record.links?.first?.role == "same_as")
            let found = try await bob.decode([SearchHitJSON].self, "/api/search?q=petrovic")
            #expect(found.count == 1 && Set([found[0].id] + found[0].sameAs) == [id, twin], "one cluster: \(found)")
            #expect(try await bob.list("/api/duplicates").isEmpty, "both records are this centre's own")

            let csv = "family_name,birth_date,national_ids,category\nHoxha,1980-05-01,,suspect\nGashi,1980-13-01,,suspect\nKrasniqi,,RS:0101990710008,suspect\n"
            func importing(_ query: String, _ body: String) async throws -> (HTTPResponse.Status, [String: Any]?) {
                try await bob.client.execute(
                    uri: "/api/import?" + query, method: .post,
                    headers: [.authorization: "Bearer \(bob.token!)", .contentType: "text/csv", Session.purposeHeader: "api test"],
                    body: ByteBuffer(string: body)
                ) { ($0.status, try? JSONSerialization.jsonObject(with: Data($0.body.readableBytesView)) as? [String: Any]) }
            }
            let (status, report) = try await importing("group=region&format=csv", csv)
            #expect(status == .ok && report?["rows"] as? Int == 3 && report?["created"] as? Int == 1, "\(String(describing: report))")
            #expect((report?["refused"] as? [[String: Any]])?.first?["row"] as? Int == 3)
            #expect((report?["skipped"] as? [[String: Any]])?.first?["matches"] as? [String] == [id, twin].sorted())
            let (again, repeated) = try await importing("group=region&format=csv", csv)
            #expect(again == .ok && repeated?["created"] as? Int == 0 && repeated?["already_imported"] as? Int == 1)
            let (badColumn, refusal) = try await importing("group=region&format=csv", "family_name,eye_colour\nX,blue\n")
            let columnRefusal = try Refusal(answer: refusal, of: "import")
            #expect(badColumn == .unprocessableContent && columnRefusal == Refusal("invalid", field: "eye_colour"))
            let (badFormat, _) = try await importing("group=region&format=xml", csv)
            #expect(badFormat == .badRequest)
        }
    }

    @Test func malformedAndOversizedBodiesAreRefused() async throws {
        try await Self.withAPI { _, _, bob, _ in
            let (status, object) = try await bob.client.execute(
                uri: "/api/records", method: .post, headers: [.authorization: "Bearer \(bob.token!)"], body: ByteBuffer(string: "not json")
            ) { ($0.status, try? JSONSerialization.jsonObject(with: Data($0.body.readableBytesView))) }
            #expect(status == .badRequest)
            #expect(try Refusal(answer: object, of: "POST not json") == Refusal("bad_request"))
            #expect(try await bob.error(.post, "/api/records", ["not", "an", "object"], .badRequest) == Refusal("bad_request"))
            let huge = ByteBuffer(repeating: UInt8(ascii: " "), count: 2 << 20)
            let (tooLarge, refusal) = try await bob.client.execute(
                uri: "/api/records", method: .post, headers: [.authorization: "Bearer \(bob.token!)"], body: huge
            ) { ($0.status, try? JSONSerialization.jsonObject(with: Data($0.body.readableBytesView))) }
            #expect(tooLarge == .contentTooLarge)
            #expect(try Refusal(answer: refusal, of: "POST 2 MiB") == Refusal("too_large"))
        }
    }
}
