import Hummingbird
import Replica

extension APIRouter {
    /// `GET /api/purposes` for every user (the web UI offers the case numbers), `PUT` for
    /// admins.
    static func addPurposeRoutes(to api: RouteTable, _ storage: APIStorage) {
        api.get("purposes") { request, context in
            _ = try context.actor(request)
            let (rule, numbers) = try await storage.run { try $0.purposeRule() }
            return try JSONBody.response(APIBody.Purposes(rule: rule.rawValue, caseNumbers: numbers))
        }
        api.put("purposes") { request, context in
            let actor = try context.actor(request, requiring: .admin)
            let body = try await request.decode(as: APIBody.Purposes.self, context: context)
            guard let rule = PurposeRule(rawValue: body.rule) else {
                throw APIError.badRequest("rule must be free-text, case-number or none, not \(body.rule)", field: "rule")
            }
            let (stored, numbers) = try await storage.run { replica in
                try replica.replacePurposes(rule: rule, caseNumbers: body.caseNumbers, by: actor)
                return try replica.purposeRule()
            }
            return try JSONBody.response(APIBody.Purposes(rule: stored.rawValue, caseNumbers: numbers))
        }
    }
}
