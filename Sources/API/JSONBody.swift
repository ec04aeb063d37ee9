import Foundation
import Hummingbird

/// JSON answers, with the shapes the command line's `--json` prints.
enum JSONBody {
    static func response(_ object: Any, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func noContent() -> Response {
        Response(status: .noContent)
    }

    /// 201 `{id}`, the answer of every route that creates something.
    static func created(_ id: some CustomStringConvertible) throws -> Response {
        let data = try JSONEncoder.sortedKeys().encode(APIBody.Created(id: id.description))
        return Response(status: .created, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
