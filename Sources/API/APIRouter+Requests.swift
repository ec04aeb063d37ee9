import Foundation
import Hummingbird
import Records
import Replica

extension APIRouter {
    static func addRequestRoutes(to api: RouterGroup<APIContext>, _ storage: APIStorage) {
        api.get("requests") { request, context in
            let actor = try context.actor(request)
            let direction: RequestDirection?
            switch request.uri.queryParameters.get("direction") {
            case nil: direction = nil
            case "incoming": direction = .incoming
            case "outgoing": direction = .outgoing
            case let other?: throw HTTPError(.badRequest, message: "direction must be incoming or outgoing, not \(other)")
            }
            let overdueOnly = request.uri.queryParameters.get("overdue") == "true"
            let me = storage.replica.configuration.nodeID
            let (requests, now) = try await storage.run {
                try $0.listRequests(direction, overdueOnly: overdueOnly, auditedAs: actor, detail: "api: requests")
            }
            return try JSONBody.response(requests.map { $0.jsonObject(me: me, now: now) })
        }
        api.post("requests") { request, context in
            let actor = try context.actor(request)
            let body = try await JSONBody.object(of: request)
            let to = try JSONBody.string(body, "to")
            let urgency = try JSONBody.string(body, "urgency")
            let question = try JSONBody.string(body, "question")
            let subjects = try JSONBody.strings(body, "subjects")
            let group = try JSONBody.optionalString(body, "group")
            let id = try await storage.run {
                try $0.sendRequest(to: to, urgency: urgency, subjects: subjects, question: question, group: group, auditedAs: actor)
            }
            return try JSONBody.response(["id": id.description], status: .created)
        }
        api.post("requests/:id/answer") { request, context in
            let actor = try context.actor(request)
            let id = try recordID(context)
            let text = try JSONBody.string(try await JSONBody.object(of: request), "text")
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

    static func addAuditRoutes(to api: RouterGroup<APIContext>, _ storage: APIStorage) {
        api.get("audit") { request, context in
            let actor = try context.actor(request, requiring: .admin)
            let user = request.uri.queryParameters.get("user")
            var since: UInt64?
            if let text = request.uri.queryParameters.get("since") {
                guard let parsed = Timestamps.milliseconds(fromISO8601: text) else {
                    throw HTTPError(.badRequest, message: "since must be a date (2026-11-22) or a time (2026-11-22T08:00:00Z), not \(text)")
                }
                since = parsed
            }
            let limit = try positive(request, "limit") ?? 100
            let entries = try await storage.run { [since] in try $0.auditEntries(user: user, since: since, limit: limit, auditedAs: actor, detail: "api") }
            return try JSONBody.response(entries.map(\.jsonObject))
        }
        api.get("audit/verify") { request, context in
            _ = try context.actor(request, requiring: .admin)
            switch try await storage.run({ try $0.verifyAudit() }) {
            case .intact(let entries):
                return try JSONBody.response(["intact": true, "entries": entries])
            case .broken(let seq, let reason):
                return try JSONBody.response(["intact": false, "first_bad_entry": seq, "reason": reason])
            }
        }
    }
}
