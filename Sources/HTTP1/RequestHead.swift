/// How the body of a request is delimited (RFC 9112 §6.3).
public enum BodyFraming: Hashable, Sendable {
    /// No body: neither `Content-Length` nor `Transfer-Encoding` was sent.
    case none
    case contentLength(Int)
    case chunked
}

/// A parsed request line and header section.
public struct RequestHead: Sendable {
    public var method: HTTPMethod
    /// The request target exactly as sent (origin-form, absolute-form or `*`).
    public var target: String
    public var version: HTTPVersion
    public var headers: HeaderFields
    public var framing: BodyFraming

    public init(
        method: HTTPMethod, target: String, version: HTTPVersion,
        headers: HeaderFields = HeaderFields(), framing: BodyFraming = .none
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.framing = framing
    }

    /// Whether the client wants the connection kept open after this exchange
    /// (RFC 9112 §9.3): HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with
    /// `Connection: keep-alive`.
    public var keepAlive: Bool {
        if headers.containsToken("Connection", "close") { return false }
        if version == .http1_1 { return true }
        return headers.containsToken("Connection", "keep-alive")
    }

    /// Whether the client waits for `100 Continue` before sending the body (RFC 9110 §10.1.1).
    /// Only meaningful for HTTP/1.1 requests that have a body.
    public var expectsContinue: Bool {
        guard version == .http1_1, framing != .none, framing != .contentLength(0) else { return false }
        guard let expect = headers["Expect"] else { return false }
        return asciiCaseInsensitiveEquals(String(expect.trimmingOWS()), "100-continue")
    }

    /// The path part of the target, without the query (for an absolute-form target, the
    /// path after the authority).
    public var path: Substring {
        var target = Substring(self.target)
        if !target.hasPrefix("/"), let colon = target.firstIndex(of: ":"),
           target[colon...].hasPrefix("://") {
            // absolute-form (RFC 9112 §3.2.2): skip scheme and authority.
            target = target[target.index(colon, offsetBy: 3)...]
            // The authority ends at the first "/" or "?" (RFC 3986 §3.2); an empty path is "/".
            let authorityEnd = target.firstIndex { $0 == "/" || $0 == "?" } ?? target.endIndex
            target = authorityEnd < target.endIndex && target[authorityEnd] == "/" ? target[authorityEnd...] : "/"
        }
        if let query = target.firstIndex(of: "?") { return target[..<query] }
        return target
    }

    /// The query string after `?`, if any.
    public var query: Substring? {
        guard let mark = target.firstIndex(of: "?") else { return nil }
        return target[target.index(after: mark)...]
    }

    /// The first `name=value` in the query, as sent (still percent-encoded; "" for a bare
    /// `name`), or nil.
    public func queryValue(_ name: String) -> Substring? {
        guard let query else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.first == Substring(name) { return parts.count > 1 ? parts[1] : "" }
        }
        return nil
    }
}
