import Foundation
import Hummingbird
import Records
import Replica
import SyncCore

extension APIRouter {
    static func addRequestRoutes(to api: RouteTable, _ storage: APIStorage) {
        api.get("requests") { request, context in
            let actor = try context.actor(request)
            let direction: RequestDirection?
            switch request.uri.queryParameters.get("direction") {
            case nil: direction = nil
            case "incoming": direction = .incoming
            case "outgoing": direction = .outgoing
            case let other?: throw APIError.badRequest("direction must be incoming or outgoing, not \(other)", field: "direction")
            }
            let overdueOnly = try flag(request, "overdue")
            let me = storage.replica.configuration.nodeID
            let (requests, now) = try await storage.run {
                try $0.listRequests(direction, overdueOnly: overdueOnly, auditedAs: actor, detail: "api: requests")
            }
            return try JSONBody.response(requests.map { $0.json(me: me, now: now) })
        }
        api.post("requests") { request, context in
            let actor = try context.actor(request)
            let body = try await request.decode(as: APIBody.NewRequest.self, context: context)
            let id = try await storage.run {
                try $0.sendRequest(to: NodeID(body.to), form: body.form, group: body.group.map { GroupID($0) }, auditedAs: actor)
            }
            return try JSONBody.created(id)
        }
        api.get("requests/:id") { request, context in
            let actor = try context.actor(request)
            let id = try recordID(context)
            let me = storage.replica.configuration.nodeID
            let (found, now, matches, held) = try await storage.run { replica in
                let (found, now, matches) = try replica.consultRequest(id, auditedAs: actor)
                return (found, now, matches, try replica.holder(of: id))
            }
            var json = found.json(me: me, now: now)
            json.subjectMatches = matches.map(\.json)
            json.holder = held?.holder
            json.heldSince = held.map { Timestamps.iso8601(milliseconds: $0.since) }
            return try JSONBody.response(json)
        }
        api.post("requests/:id/take") { request, context in
            let actor = try context.actor(request)
            let id = try recordID(context)
            try await storage.run { try $0.takeRequest(id, auditedAs: actor) }
            return JSONBody.noContent()
        }
        api.post("requests/:id/hand") { request, context in
            let actor = try context.actor(request)
            let id = try recordID(context)
            let body = try await request.decode(as: APIBody.Hand.self, context: context)
            try await storage.run { try $0.handRequest(id, to: body.to, auditedAs: actor) }
            return JSONBody.noContent()
        }
        api.get("handover") { request, context in
            let actor = try context.actor(request)
            var hours = Replica.handoverHours
            if let text = request.uri.queryParameters.get("hours") {
                guard let parsed = Int(text), (1...168).contains(parsed) else {
                    throw APIError.badRequest("hours must be a whole number from 1 to 168, not \(text)", field: "hours")
                }
                hours = parsed
            }
            let me = storage.replica.configuration.nodeID
            let (items, now) = try await storage.run { [hours] in try $0.handover(withinHours: hours, auditedAs: actor) }
            return try JSONBody.response(HandoverJSON(hours: hours, items: items.map { $0.json(me: me, now: now) }))
        }
        api.get("handover/count") { _, _ in
            try JSONBody.response(APIBody.UnheldUrgent(unheldUrgent: try await storage.run { try $0.unheldUrgentCount() }))
        }
        api.post("handover/accept") { request, context in
            let actor = try context.actor(request)
            let body = try await request.decode(as: APIBody.HandoverAcceptance.self, context: context)
            var ids: [RecordID] = []
            for text in body.ids {
                guard let id = RecordID(text) else { throw APIError.badRequest("\(text) is not a record id", field: "ids") }
                ids.append(id)
            }
            try await storage.run { [ids] in try $0.acceptHandover(ids, auditedAs: actor) }
            return JSONBody.noContent()
        }
        api.post("requests/:id/classify") { request, context in
            let actor = try context.actor(request)
            let id = try recordID(context)
            let access = try await request.decode(as: APIBody.Classification.self, context: context).access
            guard access == "direct" || access == "indirect" else {
                throw APIError.badRequest("access must be direct (8 hours) or indirect (3 days), not \(access)", field: "access")
            }
            try await storage.run { _ = try $0.act(on: id, .classify(direct: access == "direct"), auditedAs: actor) }
            return JSONBody.noContent()
        }
        api.post("requests/:id/answer") { request, context in
            let actor = try context.actor(request)
            let id = try recordID(context)
            let body = try await request.decode(as: APIBody.Answer.self, context: context)
            let action: RequestAction = body.partial == true ? .partialAnswer(body.text) : .answer(body.text)
            try await storage.run { _ = try $0.act(on: id, action, auditedAs: actor) }
            return JSONBody.noContent()
        }
        api.post("requests/:id/refuse") { request, context in
            let actor = try context.actor(request)
            let id = try recordID(context)
            let body = try await request.decode(as: APIBody.Refusal.self, context: context)
            guard body.extent == "whole" || body.extent == "partial" else {
                throw APIError.badRequest("extent must be whole or partial, not \(body.extent)", field: "extent")
            }
            guard body.grounds.allSatisfy({ RefusalGround(rawValue: $0) != nil }), let grounds = RefusalGround.parseList(body.grounds.joined(separator: ","))
            else {
                throw APIError.badRequest("grounds must be one or more distinct letters of Art. 6(1), a to h", field: "grounds")
            }
            try await storage.run { _ = try $0.act(on: id, .refuse(whole: body.extent == "whole", grounds: grounds, reasons: body.reasons), auditedAs: actor) }
            return JSONBody.noContent()
        }
        api.post("requests/:id/ask-clarification") { request, context in
            let actor = try context.actor(request)
            let id = try recordID(context)
            let text = try await request.decode(as: APIBody.Text.self, context: context).text
            try await storage.run { _ = try $0.act(on: id, .askClarification(text), auditedAs: actor) }
            return JSONBody.noContent()
        }
        api.post("requests/:id/clarify") { request, context in
            let actor = try context.actor(request)
            let id = try recordID(context)
            let text = try await request.decode(as: APIBody.Text.self, context: context).text
            try await storage.run { _ = try $0.act(on: id, .giveClarification(text), auditedAs: actor) }
            return JSONBody.noContent()
        }
        api.post("requests/:id/delay") { request, context in
            let actor = try context.actor(request)
            let id = try recordID(context)
            let body = try await request.decode(as: APIBody.Delay.self, context: context)
            guard let until = Timestamps.milliseconds(fromISO8601: body.until) else {
                throw APIError.badRequest("until must be a time written 2026-12-01T12:00:00Z, not \(body.until)", field: "until")
            }
            try await storage.run { _ = try $0.act(on: id, .announceDelay(reason: body.reason, until: until), auditedAs: actor) }
            return JSONBody.noContent()
        }
        api.post("requests/:id/close") { request, context in
            let actor = try context.actor(request)
            let id = try recordID(context)
            try await storage.run { _ = try $0.act(on: id, .close, auditedAs: actor) }
            return JSONBody.noContent()
        }
        api.get("reports/requests") { request, context in
            let actor = try context.actor(request)
            guard let text = request.uri.queryParameters.get("year"), let year = Int(text), (2000...9999).contains(year) else {
                throw APIError.badRequest("year must be given as four digits, such as ?year=2026", field: "year")
            }
            let csv: Bool
            switch request.uri.queryParameters.get("format") {
            case nil, "json": csv = false
            case "csv": csv = true
            case let other?: throw APIError.badRequest("format must be json or csv, not \(other)", field: "format")
            }
            let report = try await storage.run { try $0.requestReport(year: year, auditedAs: actor) }
            guard csv else { return try JSONBody.response(report) }
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: report.csv)))
        }
    }

    static func addReviewRoutes(to api: RouteTable, _ storage: APIStorage) {
        api.get("reviews") { request, context in
            let actor = try context.actor(request)
            let (due, _) = try await storage.run { try $0.listReviewsDue(auditedAs: actor) }
            return try JSONBody.response(due.map(\.json))
        }
        api.get("reviews/count") { request, context in
            _ = try context.actor(request)
            let count = try await storage.run { try $0.reviewsDueCount() }
            return try JSONBody.response(APIBody.ReviewCount(due: count))
        }
        api.post("records/:id/keep") { request, context in
            let actor = try context.actor(request)
            let id = try recordID(context)
            let body = try await request.decode(as: APIBody.Keep.self, context: context)
            let entry = try await storage.run { try $0.keep(id, until: body.until, reason: body.reason, auditedAs: actor) }
            return try JSONBody.created(entry)
        }
    }

    static func addAuditRoutes(to api: RouteTable, _ storage: APIStorage) {
        api.get("audit") { request, context in
            let actor = try context.actor(request, requiring: .admin)
            let user = request.uri.queryParameters.get("user")
            var since: UInt64?
            if let text = request.uri.queryParameters.get("since") {
                guard let parsed = Timestamps.milliseconds(fromISO8601: text) else {
                    throw APIError.badRequest("since must be a date (2026-11-22) or a time (2026-11-22T08:00:00Z), not \(text)", field: "since")
                }
                since = parsed
            }
            let limit = try limit(request) ?? 100
            let entries = try await storage.run { [since] in try $0.auditEntries(user: user, since: since, limit: limit, auditedAs: actor, detail: "api") }
            return try JSONBody.response(entries.map(\.json))
        }
        api.get("audit/verify") { request, context in
            _ = try context.actor(request, requiring: .admin)
            switch try await storage.run({ try $0.verifyAudit() }) {
            case .intact(let entries):
                return try JSONBody.response(APIBody.AuditVerification(intact: true, entries: entries))
            case .broken(let seq, let reason):
                return try JSONBody.response(APIBody.AuditVerification(intact: false, firstBadEntry: seq, reason: reason))
            }
        }
    }
}
