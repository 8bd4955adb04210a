/// Why `ResponseParser` gave up on a response. After any of these the connection's byte
/// stream can no longer be framed: the client must close it (and must not retry a
/// non-idempotent request on it).
public struct ResponseParseError: Error, Sendable, CustomStringConvertible {
    public enum Reason: String, Sendable, Hashable {
        /// Not `HTTP/1.x SP 3DIGIT [SP reason-phrase]`, or a status code below 100. Also what a
        /// server that does not speak HTTP/1 at all (TLS alert, HTTP/2 preface) produces,
        /// reported as soon as its first bytes differ from `HTTP/`.
        case malformedStatusLine
        /// A well-formed version other than HTTP/1.x (RFC 9110 §2.5).
        case unsupportedVersion
        /// A bare CR, or a line ending in LF without CR, in the head, a chunk-size line or the trailers.
        case invalidLineEnding
        /// A field line that breaks RFC 9112 §5 (see `detail`).
        case invalidHeader
        case headTooLarge
        case tooManyFields
        case invalidContentLength
        case conflictingContentLength
        /// `chunked` applied more than once (RFC 9112 §6.1).
        case invalidTransferEncoding
        case invalidChunkSize
        case invalidChunkExtension
        case missingChunkTerminator
        case trailersTooLarge
        /// The body is larger than `ResponseParserLimits.maxBodyBytes`.
        case bodyTooLarge
        /// The connection closed (`finish()`) inside a head, a `Content-Length` body or a
        /// chunked body.
        case truncated
    }

    public let reason: Reason
    /// The head of the response, when the error was found after it was complete (a
    /// declared body over the limit, a truncated body, a bad chunk): the client can still
    /// report the status it got.
    public var head: ReceivedResponseHead?
    /// The finer reason shared with the request parser (for `invalidHeader`,
    /// `invalidLineEnding`), for messages and logs.
    public var detail: HTTPParseError.Reason?

    public init(_ reason: Reason, head: ReceivedResponseHead? = nil, detail: HTTPParseError.Reason? = nil) {
        self.reason = reason
        self.head = head
        self.detail = detail
    }

    /// The same problem found by a piece shared with the request parser (chunked decoding,
    /// field lines, Content-Length), in the response parser's terms.
    init(_ shared: HTTPParseError, head: ReceivedResponseHead?) {
        let reason: Reason
        switch shared.reason {
        case .bareCarriageReturn, .bareLineFeed: reason = .invalidLineEnding
        case .headerSectionTooLarge: reason = .headTooLarge
        case .tooManyHeaderFields: reason = .tooManyFields
        case .invalidContentLength: reason = .invalidContentLength
        case .conflictingContentLength: reason = .conflictingContentLength
        case .invalidChunkSize: reason = .invalidChunkSize
        case .invalidChunkExtension: reason = .invalidChunkExtension
        case .missingChunkTerminator: reason = .missingChunkTerminator
        case .trailerSectionTooLarge: reason = .trailersTooLarge
        case .contentTooLarge: reason = .bodyTooLarge
        case .chunkedNotFinal: reason = .invalidTransferEncoding
        case .invalidVersion: reason = .malformedStatusLine
        case .unsupportedVersion: reason = .unsupportedVersion
        default: reason = .invalidHeader // the field-line reasons; nothing else reaches here
        }
        self.init(reason, head: head, detail: shared.reason)
    }

    /// A sentence for logs and for the error the client reports; never echoes response bytes.
    public var message: String {
        switch reason {
        case .malformedStatusLine: return "malformed status line"
        case .unsupportedVersion: return "response version is not HTTP/1.x"
        case .invalidLineEnding: return detail.map { HTTPParseError($0).message } ?? "line not terminated by CRLF"
        case .invalidHeader:
            return "invalid header field" + (detail.map { ": " + HTTPParseError($0).message } ?? "")
        case .headTooLarge: return "response head too large"
        case .tooManyFields: return "too many header fields"
        case .invalidContentLength: return "invalid Content-Length"
        case .conflictingContentLength: return "conflicting Content-Length values"
        case .invalidTransferEncoding: return "chunked applied more than once"
        case .invalidChunkSize: return "invalid chunk size"
        case .invalidChunkExtension: return "invalid chunk extension"
        case .missingChunkTerminator: return "chunk data not followed by CRLF"
        case .trailersTooLarge: return "trailer section too large"
        case .bodyTooLarge: return "response body too large"
        case .truncated: return "connection closed before the response was complete"
        }
    }

    public var description: String {
        if let head { return "\(message) (after \(head.status) \(head.reason))" }
        return message
    }
}
