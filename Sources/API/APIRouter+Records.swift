import Foundation
import Hummingbird
import NIOCore
import Records
import Replica
import SyncCore

extension APIRouter {
    /// The largest file `POST /api/import` takes.
    static let maxImportBytes = 64 << 20

    static func addRecordRoutes(to api: RouteTable, _ storage: APIStorage) {
        let schema = storage.replica.recordSchema
        api.get("search") { request, context in
            let actor = try context.actor(request)
            let text = try query(request, "q")
            var kind: RecordKind?
            if let name = request.uri.queryParameters.get("kind") {
                guard let parsed = schema.kind(named: name, for: .search) else {
                    throw APIError.badRequest("kind must be \(schema.names(for: .search)), not \(name)", field: "kind")
                }
                kind = parsed.kind
            }
            let limit = try limit(request) ?? 50
            let followLinks = try flag(request, "follow_links")
            let hits = try await storage.run { [kind] in try $0.search(text, kind: kind, limit: limit, followLinks: followLinks, auditedAs: actor) }
            return try JSONBody.response(hits.map(\.json))
        }
        api.post("import") { request, context in
            let actor = try context.actor(request)
            let group = try query(request, "group")
            let kindName = request.uri.queryParameters.get("kind") ?? RecordKind.person.rawValue
            guard let kind = schema.kind(named: kindName, for: .create)?.kind else {
                throw APIError.badRequest("kind must be \(schema.names(for: .create)), not \(kindName)", field: "kind")
            }
            let formatName = try query(request, "format")
            guard let format = ImportFileReader.Format(rawValue: formatName) else {
                throw APIError.badRequest("format must be csv or json, not \(formatName)", field: "format")
            }
            let createDuplicates = try flag(request, "create_duplicates")
            let file: ByteBuffer
            do {
                file = try await request.body.collect(upTo: Self.maxImportBytes)
            } catch is NIOTooManyBytesError {
                throw APIError(.tooLarge, status: .contentTooLarge, "the file is larger than \(Self.maxImportBytes / 1_048_576) MiB; split it")
            }
            let report = try await storage.run { replica in
                try replica.importRecords(
                    Data(file.readableBytesView), format: format, kind: kind, group: GroupID(group), createDuplicates: createDuplicates,
                    auditedAs: actor)
            }
            return try JSONBody.response(report.json)
        }
        api.get("duplicates") { request, context in
            let actor = try context.actor(request)
            let pairs = try await storage.run { try $0.possibleDuplicates(auditedAs: actor) }
            return try JSONBody.response(pairs.map(\.json))
        }
        api.get("records") { request, context in
            let actor = try context.actor(request)
            let filter = try recordFilter(request, schema: schema)
            let detail = request.uri.query.map { "api: \($0)" } ?? "api: all records"
            let records = try await storage.run { try $0.list(filter, auditedAs: actor, detail: detail) }
            return try JSONBody.response(records.map(\.json))
        }
        api.post("records") { request, context in
            let actor = try context.actor(request)
            let body = try await request.decode(as: APIBody.NewRecord.self, context: context)
            guard let kind = schema.kind(named: body.kind, for: .create)?.kind else {
                throw APIError.badRequest(
                    "kind must be \(schema.names(for: .create)) (requests go to /api/requests), not \(body.kind)", field: "kind"
                )
            }
            let writes = (body.fields ?? [:]).sorted { $0.key < $1.key }.map { FieldWrite($0.key, $0.value) }
            let sets = (body.add ?? [:]).sorted { $0.key < $1.key }.map { SetEdit($0.key, add: $0.value) }
            let (id, matches) = try await storage.run { replica in
                let id = try replica.create(kind, in: GroupID(body.group), writes, sets: sets, auditedAs: actor)
                return (id, try replica.checkDuplicates(of: id, savedBy: actor))
            }
            return try JSONBody.response(CreatedRecordJSON(id: id.description, possibleMatches: matches.map(\.json)), status: .created)
        }
        api.get("records/:id") { request, context in
            let actor = try context.actor(request)
            let id = try recordID(context)
            switch try await storage.run({ try $0.consult(id, auditedAs: actor) }) {
            case .live(let record, let attachments, let links):
                return try JSONBody.response(record.json(attached: attachments, links: links))
            case .erased(let tombstone):
                return try JSONBody.response(tombstone.json)
            }
        }
        // Whether a record, or the requests, changed since a live view drew them: no values,
        // so not a consultation; the view consults (and is audited) only when this moves.
        api.get("revision") { request, _ in
            let kind = request.uri.queryParameters.get("kind")
            if let kind, kind != "request" {
                throw APIError.badRequest("kind must be request, not \(kind)", field: "kind")
            }
            if let text = request.uri.queryParameters.get("record") {
                let id = try recordID(text)
                return try JSONBody.response(["revision": try await storage.run { try $0.revision(of: id) }])
            }
            guard kind != nil else {
                throw APIError(.invalid, status: .unprocessableContent, "the query needs record=ID or kind=request", field: "kind")
            }
            return try JSONBody.response(["revision": try await storage.run { try $0.revision(ofKind: .request) }])
        }
        api.patch("records/:id") { request, context in
            let actor = try context.actor(request)
            let id = try recordID(context)
            let body = try await request.decode(as: APIBody.RecordChanges.self, context: context)
            let writes =
                (body.set ?? [:]).sorted { $0.key < $1.key }.map { FieldWrite($0.key, $0.value) }
                + (body.clear ?? []).map { FieldWrite($0, nil) }
            let sets = body.setEdits
            try await storage.run { try $0.update(id, writes, sets: sets, auditedAs: actor) }
            return JSONBody.noContent()
        }
        api.post("records/:id/erase") { request, context in
            let actor = try context.actor(request)
            let id = try recordID(context)
            let reason = try await request.decode(as: APIBody.Erasure.self, context: context).reason
            try await storage.run { try $0.erase(id, reason: reason, auditedAs: actor) }
            return JSONBody.noContent()
        }
        api.post("records/:id/hits") { request, context in
            let actor = try context.actor(request)
            let id = try recordID(context)
            let body = try await request.decode(as: APIBody.NewHit.self, context: context)
            let hit = try await storage.run {
                try $0.logHit(on: id, place: body.place, outcome: body.outcome, checkedAt: body.checkedAt, auditedAs: actor)
            }
            return try JSONBody.created(hit)
        }
        api.post("records/:id/notes") { request, context in
            let actor = try context.actor(request)
            let id = try recordID(context)
            let text = try await request.decode(as: APIBody.Text.self, context: context).text
            let note = try await storage.run { try $0.addNote(to: id, text: text, auditedAs: actor) }
            return try JSONBody.created(note)
        }
        api.post("records/:id/erasure-requests") { request, context in
            let actor = try context.actor(request)
            let id = try recordID(context)
            let body = try await request.decode(as: APIBody.NewErasureRequest.self, context: context)
            let asked = try await storage.run { try $0.requestErasure(of: id, reason: body.reason, text: body.text, auditedAs: actor) }
            return try JSONBody.created(asked)
        }
        api.get("erasure-requests") { request, context in
            _ = try context.actor(request)
            let requests = try await storage.run { try $0.erasureRequests() }
            return try JSONBody.response(requests.map(\.json))
        }
        api.get("export") { request, context in
            let actor = try context.actor(request)
            let group = GroupID(try query(request, "group"))
            let format = try query(request, "format")
            guard format == "json" || format == "csv" else { throw APIError.badRequest("format must be json or csv, not \(format)", field: "format") }
            let records = try await storage.run { try $0.export(group: group, format: format, auditedAs: actor) }
            let text = format == "json" ? try RecordExport.json(records) : RecordExport.csv(records, schema: schema)
            return Response(
                status: .ok,
                headers: [
                    .contentType: format == "json" ? "application/json" : "text/csv; charset=utf-8",
                    .contentDisposition: "attachment; filename=\"\(group).\(format)\"",
                ],
                body: .init(byteBuffer: ByteBuffer(string: text))
            )
        }
    }

    static func recordID(_ context: APIContext) throws -> RecordID {
        try recordID(try context.parameters.require("id"))
    }

    static func recordID(_ text: String) throws -> RecordID {
        guard let id = RecordID(text) else { throw APIError.badRequest("\(text) is not a record id", field: "id") }
        return id
    }

    /// A `true` or `false` query parameter; false when absent.
    static func flag(_ request: Request, _ name: String) throws -> Bool {
        switch request.uri.queryParameters.get(name) {
        case nil, "false": return false
        case "true": return true
        case let other?: throw APIError.badRequest("\(name) must be true or false, not \(other)", field: name)
        }
    }

    static func query(_ request: Request, _ name: String) throws -> String {
        guard let value = request.uri.queryParameters.get(name), !value.isEmpty else {
            throw APIError.badRequest("the query needs \(name)", field: name)
        }
        return value
    }

    /// The most results any listing returns at once.
    static let maxLimit = 10_000

    /// A `limit` query parameter: a whole number from 1 to `maxLimit`.
    static func limit(_ request: Request, _ name: String = "limit") throws -> Int? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard let value = Int(text), (1...maxLimit).contains(value) else {
            throw APIError.badRequest("\(name) must be a whole number from 1 to \(maxLimit), not \(text)", field: name)
        }
        return value
    }

    static func recordFilter(_ request: Request, schema: RecordSchema) throws -> RecordFilter {
        var filter = RecordFilter()
        let parameters = request.uri.queryParameters
        let kindName = parameters.get("kind")
        if let kindName {
            guard let kind = schema.kind(named: kindName, for: .list) else {
                throw APIError.badRequest("kind must be \(schema.names(for: .list)), not \(kindName)", field: "kind")
            }
            filter.kinds = [kind.kind]
        }
        do {
            if let alert = parameters.get("alert") { try filter.require("alert", alert, kindNamed: kindName != nil, schema: schema) }
            if let status = parameters.get("status") { try filter.require("status", status, kindNamed: kindName != nil, schema: schema) }
        } catch let error as ReplicaError {
            // Each parameter is well-formed; together they ask for something no kind has.
            throw APIError(error)
        }
        if let since = parameters.get("changed_since") {
            guard let milliseconds = Timestamps.milliseconds(fromISO8601: since) else {
                throw APIError.badRequest(
                    "changed_since must be a date (2026-11-22) or a time (2026-11-22T08:00:00Z), not \(since)", field: "changed_since"
                )
            }
            filter.changedSince = milliseconds
        }
        filter.group = parameters.get("group").map { GroupID($0) }
        filter.origin = parameters.get("origin").map { NodeID($0) }
        filter.limit = try limit(request) ?? filter.limit
        return filter
    }
}
