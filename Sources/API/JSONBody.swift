import Foundation
import Hummingbird
import Replica

/// JSON answers, with the shapes the command line's `--json` prints.
enum JSONBody {
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONShapes.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func noContent() -> Response {
        Response(status: .noContent)
    }

    /// 201 `{id}`, the answer of every route that creates something.
    static func created(_ id: some CustomStringConvertible) throws -> Response {
        try response(APIBody.Created(id: id.description), status: .created)
    }
}
