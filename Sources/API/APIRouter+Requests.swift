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
            let overdueOnly: Bool
            switch request.uri.queryParameters.get("overdue") {
            case nil, "false": overdueOnly = false
            case "true": overdueOnly = true
            case let other?: throw APIError.badRequest("overdue must be true or false, not \(other)", field: "overdue")
            }
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
                try $0.sendRequest(
                    to: NodeID(body.to), urgency: body.urgency, subjects: body.subjects ?? [], question: body.question, group: body.group.map { GroupID($0) },
                    auditedAs: actor
                )
            }
            return try JSONBody.created(id)
        }
        api.post("requests/:id/answer") { request, context in
            let actor = try context.actor(request)
            let id = try recordID(context)
            let text = try await request.decode(as: APIBody.Text.self, context: context).text
            try await storage.run { try $0.answerRequest(id, text: text, auditedAs: actor) }
            return JSONBody.noContent()
        }
        api.post("requests/:id/close") { request, context in
            let actor = try context.actor(request)
            let id = try recordID(context)
            try await storage.run { try $0.closeRequest(id, auditedAs: actor) }
            return JSONBody.noContent()
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
