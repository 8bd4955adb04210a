/// How the body of a received response is delimited (RFC 9112 §6.3), as `ResponseParser`
/// decided it from the status, the request method and the framing fields.
public enum ResponseBodyFraming: Hashable, Sendable {
    /// No body, whatever the fields say: a response to HEAD, 204, 304 (RFC 9112 §6.3 rule 1).
    case noBody
    case contentLength(Int)
    case chunked
    /// Read until the server closes the connection (`finish()`): no `Content-Length` and no
    /// `Transfer-Encoding`, or a `Transfer-Encoding` not ending in `chunked` (rules 4 and 8).
    case untilClose
    /// 101 Switching Protocols, or a 2xx answer to CONNECT (rule 2): no body, and the bytes
    /// after the head belong to another protocol (`ResponseParser.takeBufferedBytes()`).
    case switchedProtocols
}

/// A parsed status line and header section, as received from a server. (`ResponseHead` is
/// the one relayd sends.)
public struct ReceivedResponseHead: Sendable {
    /// The three-digit status code, 100...999. RFC 9110 §15 says codes outside 100...599
    /// are invalid and a client SHOULD treat them as 5xx; they are passed on as received.
    public var status: Int
    /// The reason phrase, possibly empty; it carries no meaning (RFC 9112 §4).
    public var reason: String
    public var version: HTTPVersion
    public var headers: HeaderFields
    public var framing: ResponseBodyFraming

    public init(
        status: Int, reason: String = "", version: HTTPVersion = .http1_1,
        headers: HeaderFields = HeaderFields(), framing: ResponseBodyFraming = .noBody
    ) {
        self.status = status
        self.reason = reason
        self.version = version
        self.headers = headers
        self.framing = framing
    }

    /// The status with its reason phrase as received.
    public var httpStatus: HTTPStatus { HTTPStatus(code: status, reasonPhrase: reason) }

    /// Whether the connection can carry another request after this response's body
    /// (RFC 9112 §9.3): not when the body runs until close or the connection switched
    /// protocols, not after `Connection: close`, not when both `Transfer-Encoding` and
    /// `Content-Length` were sent (RFC 9112 §6.3 rule 3: a possible smuggling attempt, so
    /// the connection is not reused), and for HTTP/1.0 only with `Connection: keep-alive`.
    public var keepAlive: Bool {
        if framing == .untilClose || framing == .switchedProtocols { return false }
        if headers.containsToken("Connection", "close") { return false }
        if headers.contains("Transfer-Encoding"), headers.contains("Content-Length") { return false }
        if version.major == 1, version.minor >= 1 { return true }
        return headers.containsToken("Connection", "keep-alive")
    }
}
