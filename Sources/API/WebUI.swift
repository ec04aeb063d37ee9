import Foundation
import HTTPTypes
import Hummingbird

/// The web UI: three static files (package resources, no build step, no CDN) served at `/`
/// and `/ui/…`. The page talks to `/api` with the token the user signs in with.
enum WebUI {
    struct File: Sendable {
        let contentType: String
        let bytes: ByteBuffer
    }

    static let files: [String: File] = {
        var files: [String: File] = [:]
        for (name, type) in [("index.html", "text/html"), ("app.js", "text/javascript"), ("app.css", "text/css"), ("icon.svg", "image/svg+xml")] {
            guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "UI"),
                let data = try? Data(contentsOf: url)
            else { continue }
            files[name] = File(contentType: type + "; charset=utf-8", bytes: ByteBuffer(bytes: data))
        }
        return files
    }()

    /// The page may load only its own script and style and talk only to its own node.
    static let securityHeaders: HTTPFields = [
        HTTPField.Name("Content-Security-Policy")!:
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
        .cacheControl: "no-cache",
    ]

    static func addRoutes(to router: RouteTable) {
        router.get("/") { _, _ in try response(for: "index.html") }
        router.get("ui/:file") { _, context in try response(for: try context.parameters.require("file")) }
    }

    static func response(for name: String) throws -> Response {
        guard let file = files[name] else {
            throw APIError(.notFound, status: .notFound, "the web UI has no file \(name)", field: "file")
        }
        var headers = securityHeaders
        headers[.contentType] = file.contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: file.bytes))
    }
}
