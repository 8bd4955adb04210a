/// Why a request was rejected. Each reason maps to the status the server answers with
/// before it closes the connection: after a framing error the byte stream can no longer be
/// trusted to hold message boundaries (RFC 9112 §6.3, request smuggling).
public struct HTTPParseError: Error, Sendable, CustomStringConvertible {
    public enum Reason: String, Sendable, Hashable {
        case malformedRequestLine
        case invalidMethod
        case invalidTarget
        case invalidVersion
        case unsupportedVersion
        case targetTooLong
        case headerSectionTooLarge
        case tooManyHeaderFields
        case bareCarriageReturn
        case bareLineFeed
        case whitespaceBeforeColon
        case invalidHeaderName
        case invalidHeaderValue
        case obsoleteLineFolding
        case missingHost
        case duplicateHost
        case invalidHost
        case conflictingFraming
        case invalidContentLength
        case conflictingContentLength
        case transferEncodingInHTTP10
        case chunkedNotFinal
        case unsupportedTransferCoding
        case invalidChunkSize
        case invalidChunkExtension
        case missingChunkTerminator
        case contentTooLarge
        case trailerSectionTooLarge
    }

    public let reason: Reason
    /// The head of the rejected request, when the error was found after the head was
    /// complete (a declared body over the limit, say): the server still knows its `Origin`.
    public var head: RequestHead?

    public init(_ reason: Reason, head: RequestHead? = nil) {
        self.reason = reason
        self.head = head
    }

    /// The status the server answers with.
    public var status: HTTPStatus {
        switch reason {
        case .unsupportedVersion: return .httpVersionNotSupported
        case .targetTooLong: return .uriTooLong
        case .headerSectionTooLarge, .tooManyHeaderFields, .trailerSectionTooLarge: return .requestHeaderFieldsTooLarge
        case .unsupportedTransferCoding: return .notImplemented
        case .contentTooLarge: return .contentTooLarge
        default: return .badRequest
        }
    }

    /// A sentence for the JSON error body; never echoes request bytes.
    public var message: String {
        switch reason {
        case .malformedRequestLine: return "malformed request line"
        case .invalidMethod: return "invalid method token"
        case .invalidTarget: return "invalid request target"
        case .invalidVersion: return "malformed HTTP version"
        case .unsupportedVersion: return "only HTTP/1.0 and HTTP/1.1 are supported"
        case .targetTooLong: return "request target too long"
        case .headerSectionTooLarge: return "header section too large"
        case .tooManyHeaderFields: return "too many header fields"
        case .bareCarriageReturn: return "bare CR in message head"
        case .bareLineFeed: return "line not terminated by CRLF"
        case .whitespaceBeforeColon: return "whitespace between header name and colon"
        case .invalidHeaderName: return "invalid header field name"
        case .invalidHeaderValue: return "invalid character in header field value"
        case .obsoleteLineFolding: return "obsolete line folding is not allowed"
        case .missingHost: return "HTTP/1.1 request without Host"
        case .duplicateHost: return "more than one Host header"
        case .invalidHost: return "invalid Host header"
        case .conflictingFraming: return "both Content-Length and Transfer-Encoding"
        case .invalidContentLength: return "invalid Content-Length"
        case .conflictingContentLength: return "conflicting Content-Length values"
        case .transferEncodingInHTTP10: return "Transfer-Encoding in an HTTP/1.0 request"
        case .chunkedNotFinal: return "chunked must be the final transfer coding"
        case .unsupportedTransferCoding: return "unsupported transfer coding"
        case .invalidChunkSize: return "invalid chunk size"
        case .invalidChunkExtension: return "invalid chunk extension"
        case .missingChunkTerminator: return "chunk data not followed by CRLF"
        case .contentTooLarge: return "request body too large"
        case .trailerSectionTooLarge: return "trailer section too large"
        }
    }

    public var description: String { "\(status.code) \(message)" }
}
