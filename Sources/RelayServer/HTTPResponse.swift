import JSON
import HTTP1

/// A complete response: status, headers and body. The server adds the framing headers
/// (`Content-Length`, `Connection`), `Date`, and the CORS headers.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HeaderFields
    public var body: [UInt8]

    public init(status: HTTPStatus, headers: HeaderFields = HeaderFields(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON document (the text must already be JSON).
    public static func json(_ status: HTTPStatus, _ json: String, headers: HeaderFields = HeaderFields()) -> HTTPResponse {
        var headers = headers
        headers.add("Content-Type", "application/json")
        return HTTPResponse(status: status, headers: headers, body: Array(json.utf8))
    }

    /// relayd's error body: `{"error":{"code":…,"message":…}}`. `code` is a stable
    /// snake_case word a client can switch on; `message` is for people.
    public static func error(_ status: HTTPStatus, code: String, message: String, headers: HeaderFields = HeaderFields()) -> HTTPResponse {
        json(status, "{\"error\":{\"code\":\(JSONText.quote(code)),\"message\":\(JSONText.quote(message))}}\n", headers: headers)
    }

    /// The error code for a parser rejection.
    static func errorCode(for status: HTTPStatus) -> String {
        switch status.code {
        case 400: return "bad_request"
        case 404: return "not_found"
        case 405: return "method_not_allowed"
        case 408: return "request_timeout"
        case 413: return "content_too_large"
        case 414: return "uri_too_long"
        case 417: return "expectation_failed"
        case 431: return "header_fields_too_large"
        case 501: return "not_implemented"
        case 503: return "service_unavailable"
        case 505: return "http_version_not_supported"
        default: return "error"
        }
    }
}
