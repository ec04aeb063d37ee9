import HTTPTypes
import Hummingbird
import Synchronization

/// Adds routes and notes which methods each path serves, so that a request for a path with a
/// method it does not serve is answered 405 with `Allow` (RFC 9110 §15.5.6) rather than 404:
/// Hummingbird's router answers both alike, and `APIErrorMiddleware` tells them apart here.
struct RouteTable {
    typealias Handler = @Sendable (Request, APIContext) async throws -> Response

    private let add: (HTTPRequest.Method, String, @escaping Handler) -> Void
    private let prefix: String
    private let served: Served

    /// The methods of each full path (`api/records/:id`), shared by the tables of one router.
    final class Served: Sendable {
        private let methods = Mutex<[[Substring]: Set<HTTPRequest.Method>]>([:])

        func insert(_ method: HTTPRequest.Method, path: String) {
            methods.withLock { $0[path.split(separator: "/"), default: []].insert(method) }
        }

        /// The methods served at a request path, matching `:name` to any one segment; nil
        /// when no route has the path.
        func methods(at path: String) -> Set<HTTPRequest.Method>? {
            let segments = path.split(separator: "/")
            let matching = methods.withLock { table in
                table.filter { template, _ in
                    template.count == segments.count && zip(template, segments).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
                }
            }
            return matching.isEmpty ? nil : matching.values.reduce(into: []) { $0.formUnion($1) }
        }
    }

    /// Routes added to the router itself.
    init(_ router: Router<APIContext>, served: Served) {
        add = { method, path, handler in router.on(RouterPath(path), method: method, use: handler) }
        prefix = ""
        self.served = served
    }

    /// Routes added to a group under `prefix`, behind its middleware.
    init(_ group: RouterGroup<APIContext>, prefix: String, served: Served) {
        add = { method, path, handler in group.on(RouterPath(path), method: method, use: handler) }
        self.prefix = prefix
        self.served = served
    }

    func get(_ path: String, use handler: @escaping Handler) { route(.get, path, handler) }
    func post(_ path: String, use handler: @escaping Handler) { route(.post, path, handler) }
    func patch(_ path: String, use handler: @escaping Handler) { route(.patch, path, handler) }
    func put(_ path: String, use handler: @escaping Handler) { route(.put, path, handler) }
    func delete(_ path: String, use handler: @escaping Handler) { route(.delete, path, handler) }

    private func route(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        add(method, path, handler)
        served.insert(method, path: prefix.isEmpty ? path : prefix + "/" + path)
    }
}
