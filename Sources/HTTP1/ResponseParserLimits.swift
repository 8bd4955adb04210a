/// Size limits `ResponseParser` enforces as soon as the relevant length is known, so a
/// server can never make the client buffer more than these bounds (plus one read).
///
/// The defaults suit LLM providers: their heads are large (rate-limit, request-id, tracing
/// and CDN fields) but far below 64 KiB, and their streamed bodies are long-lived, so the
/// body is unbounded unless a limit is set.
public struct ResponseParserLimits: Sendable, Equatable {
    /// Largest head (status line, header fields and the final empty line) and, separately,
    /// trailer section; larger is `headTooLarge` / `trailersTooLarge`.
    public var maxHeadBytes: Int
    /// Most header fields, and most trailer fields; more is `tooManyFields` / `trailersTooLarge`.
    public var maxHeaderFields: Int
    /// Longest chunk-size line including extensions; longer is `invalidChunkExtension`.
    public var maxChunkLineLength: Int
    /// Largest body (declared, chunked or close-delimited); `nil` for no limit. Larger is
    /// `bodyTooLarge`: for a `Content-Length` as soon as the head is read, for a chunked body
    /// when a chunk size would take it over, for a close-delimited body once the limit's worth
    /// has been delivered and another byte arrives.
    public var maxBodyBytes: Int?

    public init(
        maxHeadBytes: Int = 64 * 1024,
        maxHeaderFields: Int = 256,
        maxChunkLineLength: Int = 1024,
        maxBodyBytes: Int? = nil
    ) {
        self.maxHeadBytes = maxHeadBytes
        self.maxHeaderFields = maxHeaderFields
        self.maxChunkLineLength = maxChunkLineLength
        self.maxBodyBytes = maxBodyBytes
    }
}
