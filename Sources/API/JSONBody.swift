import Foundation
import Hummingbird

/// JSON in and out, with the shapes the command line's `--json` prints.
enum JSONBody {
    /// The largest request body accepted.
    static let maxBytes = 1 << 20

    static func response(_ object: Any, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func noContent() -> Response {
        Response(status: .noContent)
    }

    /// The request's body as a JSON object; 413 above `maxBytes`, 400 when it is not an object.
    static func object(of request: Request) async throws -> [String: Any] {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxBytes)
        } catch {
            throw HTTPError(.contentTooLarge, message: "the request body is larger than \(maxBytes) bytes")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any] else {
            throw HTTPError(.badRequest, message: "the request body must be a JSON object")
        }
        return object
    }

    static func string(_ object: [String: Any], _ key: String) throws -> String {
        guard let value = object[key] as? String, !value.isEmpty else {
            throw HTTPError(.badRequest, message: "the body needs \"\(key)\" as a non-empty string")
        }
        return value
    }

    static func optionalString(_ object: [String: Any], _ key: String) throws -> String? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let text = value as? String else { throw HTTPError(.badRequest, message: "\"\(key)\" must be a string") }
        return text
    }

    static func strings(_ object: [String: Any], _ key: String) throws -> [String] {
        guard let value = object[key] else { return [] }
        guard let list = value as? [String] else { throw HTTPError(.badRequest, message: "\"\(key)\" must be an array of strings") }
        return list
    }

    static func stringMap(_ object: [String: Any], _ key: String) throws -> [String: String] {
        guard let value = object[key] else { return [:] }
        guard let map = value as? [String: String] else {
            throw HTTPError(.badRequest, message: "\"\(key)\" must be an object of field names to string values")
        }
        return map
    }
}
