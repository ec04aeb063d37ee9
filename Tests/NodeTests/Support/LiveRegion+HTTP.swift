import Foundation
import TestSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension LiveRegion {
    struct HTTPReply {
        let status: Int
        let body: String

        var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) }
    }

    /// A new API token for the node's first admin (the login name that ran `pccc init`).
    func adminToken(at node: String) throws -> String {
        let admin = String(cString: getpwuid(geteuid())!.pointee.pw_name)
        return try pccc(["users", "token", admin, "--data", folder(node)])
    }

    /// One HTTP request to a node's API over loopback, with `purpose` as `PCCC-Purpose` (the
    /// node's rule asks one at every consultation).
    func http(
        _ node: String, _ method: String, _ path: String, token: String? = nil, purpose: String? = "test", json body: Any? = nil
    ) throws
        -> HTTPReply
    {
        guard let port = apiPorts[node] else { throw TestFailure("\(node) was not started with its API") }
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!, timeoutInterval: 10)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let purpose { request.setValue(purpose, forHTTPHeaderField: "PCCC-Purpose") }
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var reply: Result<HTTPReply, Error> = .failure(TestFailure("no answer from \(node)"))
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                reply = .failure(error)
            } else {
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                reply = .success(HTTPReply(status: status, body: String(decoding: data ?? Data(), as: UTF8.self)))
            }
            done.signal()
        }.resume()
        guard done.wait(timeout: .now() + 60) == .success else { throw TestFailure("\(method) \(path) at \(node) got no answer within 60 s") }
        return try reply.get()
    }

    /// The value of one Prometheus sample in a node's `/metrics`, such as
    /// `pccc_refused_handshakes_total{reason="revoked"}`; nil when absent.
    func metric(_ node: String, _ sample: String) throws -> Double? {
        let text = try http(node, "GET", "/metrics").body
        for line in text.split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.dropFirst(sample.count + 1))
        }
        return nil
    }
}
