import JSON
import SSE

/// Turns one provider's server-sent events into relayd's normalized events. One value per
/// upstream response; pure (no I/O), so every wire quirk is tested from byte fixtures.
public protocol StreamDecoder {
    /// Events for one parsed SSE item (a comment yields none: it only proves liveness).
    mutating func decode(_ item: EventStreamItem) -> [ProviderEvent]
    /// The response body ended. Yields `done` if the stream had completed, else
    /// `upstream_truncated` (a stream that ends before its terminal marker is not a success).
    mutating func finish() -> [ProviderEvent]
    /// Whether the stream has reached its end (done or failed); later items are ignored.
    var isFinished: Bool { get }
}

/// Token counts as providers report them, range-checked where they enter: wire numbers are
/// hostile, and a count near `Int.max` summed with another (Gemini's candidates + thoughts)
/// trapped, ending every stream of the process. Counts outside 0...2^40 read as missing.
enum TokenCount {
    static let range = 0...(1 << 40)

    static func read(_ value: JSONValue?) -> Int? {
        guard let count = value?.int, range.contains(count) else { return nil }
        return count
    }
}

/// Error-code mapping shared by the wire formats.
enum UpstreamErrorMapping {
    /// From an HTTP status or an error `type`/`code` string in a body.
    static func error(status: Int? = nil, type: String? = nil, message: String?) -> ProviderError {
        let text = (message?.isEmpty == false ? message! : "the provider reported an error").prefix(500)
        let kind = (type ?? "").lowercased()
        if kind.contains("insufficient_quota") || kind.contains("billing") || kind.split(separator: " ").contains("1113") {
            return ProviderError(.upstreamRateLimited, String("quota or balance exhausted: \(text)".prefix(500)), retryable: false)
        }
        if status == 408 {
            return ProviderError(.upstreamTimeout, String(text), retryable: true)
        }
        if status == 401 || status == 403 || kind.contains("authentication") || kind.contains("permission") || kind.contains("invalid_api_key") {
            return ProviderError(.upstreamAuth, String(text), retryable: false)
        }
        // Zhipu: 1302 too many concurrent requests, 1303 too frequent, 1305 overloaded.
        let zhipuBusy = !Set(kind.split(separator: " ")).isDisjoint(with: ["1302", "1303", "1305"])
        if status == 429 || kind.contains("rate_limit") || kind.contains("resource_exhausted") || zhipuBusy {
            return ProviderError(.upstreamRateLimited, String(text), retryable: true)
        }
        if status == 529 || kind.contains("overloaded") || kind.contains("unavailable") || (status.map { (500...599).contains($0) } ?? false) {
            return ProviderError(.upstreamUnavailable, String(text), retryable: true)
        }
        if status == 400 || status == 404 || status == 413 || status == 422 || kind.contains("invalid_request") || kind.contains("invalid_argument") || kind.contains("not_found") {
            return ProviderError(.badRequest, String(text), retryable: false)
        }
        return ProviderError(.upstreamError, String(text), retryable: kind.contains("api_error") || kind.contains("server_error"))
    }
}
