/// Size limits the parser enforces as soon as the relevant length is known, so a client
/// can never make the server buffer more than these bounds (plus one read) per connection.
public struct RequestParserLimits: Sendable, Equatable {
    /// Longest request target; longer gets 414.
    public var maxTargetLength: Int
    /// Largest header section (request line and fields) and, separately, trailer section; larger gets 431.
    public var maxHeaderBytes: Int
    /// Most header fields; more gets 431.
    public var maxHeaderFields: Int
    /// Largest request body, declared or chunked; larger gets 413.
    public var maxBodyBytes: Int
    /// Longest chunk-size line including extensions; longer gets 400.
    public var maxChunkLineLength: Int

    public init(
        maxTargetLength: Int = 8 * 1024,
        maxHeaderBytes: Int = 16 * 1024,
        maxHeaderFields: Int = 100,
        maxBodyBytes: Int = 1024 * 1024,
        maxChunkLineLength: Int = 1024
    ) {
        self.maxTargetLength = maxTargetLength
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderFields = maxHeaderFields
        self.maxBodyBytes = maxBodyBytes
        self.maxChunkLineLength = maxChunkLineLength
    }
}
