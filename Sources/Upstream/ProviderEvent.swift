/// Token counts as providers report them.
public struct Usage: Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int

    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }
}

/// Why a chat ended normally.
public enum FinishReason: String, Sendable {
    case stop, length, toolCalls = "tool_calls", contentFilter = "content_filter", cancelled
}

/// A failure, in relayd's documented codes; messages never carry keys or upstream headers.
public struct ProviderError: Error, Sendable, Equatable {
    public enum Code: String, Sendable {
        case badRequest = "bad_request"
        case unknownProvider = "unknown_provider"
        case upstreamAuth = "upstream_auth"
        case upstreamRateLimited = "upstream_rate_limited"
        case upstreamUnavailable = "upstream_unavailable"
        case upstreamTimeout = "upstream_timeout"
        case upstreamTruncated = "upstream_truncated"
        case upstreamError = "upstream_error"
        case internalError = "internal"
    }

    public var code: Code
    /// For the client: never an internal address, a proxy's host or a key.
    public var message: String
    /// Whether trying again later may work.
    public var retryable: Bool
    /// For the operator's log only: what the client is not told (the address that refused
    /// a connection, the host that did not resolve).
    public var detail: String?

    public init(_ code: Code, _ message: String, retryable: Bool = false, detail: String? = nil) {
        self.code = code
        self.message = message
        self.retryable = retryable
        self.detail = detail
    }

    /// What the client sees decides equality; `detail` is diagnostics.
    public static func == (left: ProviderError, right: ProviderError) -> Bool {
        left.code == right.code && left.message == right.message && left.retryable == right.retryable
    }
}

/// What a provider streams back, normalized across wire formats.
public enum ProviderEvent: Sendable, Equatable {
    /// Answer text and, for reasoning models, thinking, never mixed.
    case delta(content: String?, reasoning: String?)
    case done(FinishReason, Usage?)
    case failed(ProviderError)
}
