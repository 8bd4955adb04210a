import HTTP1

/// When to try a request again: only before anything reached the client, only for failures
/// that may pass (connect errors, 408, 429 that is not about quota, 5xx, 529; see
/// `UpstreamErrorMapping`), waiting what the provider asks (`retry-after-ms`, `retry-after`)
/// or an exponential backoff with jitter, so many clients do not retry in step.
public struct RetryPolicy: Sendable {
    public var maxRetries = 2
    /// The first backoff; each retry doubles it.
    public var baseDelay = 0.5
    /// A provider asking for a longer wait than this is not retried (the error goes to the
    /// client, marked retryable).
    public var maxDelay = 20.0

    public init() {}

    /// The wait before retry number `attempt + 1`, or nil to give up.
    public func delay(attempt: Int, retryAfter: Double?) -> Double? {
        if let retryAfter { return retryAfter <= maxDelay ? max(0, retryAfter) : nil }
        let backoff = baseDelay * Double(1 << min(attempt, 10))
        return min(maxDelay, backoff * Double.random(in: 0.5...1.5))
    }

    /// `retry-after-ms` (OpenAI, Anthropic), else `retry-after` in seconds.
    static func retryAfter(_ headers: HeaderFields) -> Double? {
        if let text = headers["retry-after-ms"], let milliseconds = Double(text.trimmingOWS()), milliseconds >= 0 {
            return milliseconds / 1000
        }
        if let text = headers["retry-after"], let seconds = Double(text.trimmingOWS()), seconds >= 0 { return seconds }
        return nil
    }
}
