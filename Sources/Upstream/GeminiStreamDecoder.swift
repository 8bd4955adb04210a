import JSON
import SSE

/// Gemini `streamGenerateContent?alt=sse`: each event a `GenerateContentResponse` with
/// `candidates[0].content.parts[].text` (`thought: true` marks thinking) and
/// `usageMetadata`; a `finishReason` on the last one; the end of the stream is the end of
/// the body (its events use CRLF line ends, which the SSE parser handles). Errors arrive as
/// `{"error":{"code":429,"status":"RESOURCE_EXHAUSTED",…}}`.
public struct GeminiStreamDecoder: StreamDecoder {
    private var finishReason: FinishReason?
    private var usage: Usage?
    public private(set) var isFinished = false

    public init() {}

    public mutating func decode(_ item: EventStreamItem) -> [ProviderEvent] {
        guard !isFinished, case .event(let event) = item,
              let object = try? JSONDocument(parsing: event.data.utf8).root, object.isObject else { return [] }
        if let error = object["error"], error.isObject {
            isFinished = true
            return [.failed(UpstreamErrorMapping.error(status: error["code"]?.int, type: error["status"]?.string, message: error["message"]?.string))]
        }
        if let metadata = object["usageMetadata"], metadata.isObject {
            let prompt = TokenCount.read(metadata["promptTokenCount"]) ?? 0
            let candidates = TokenCount.read(metadata["candidatesTokenCount"]) ?? 0
            let thoughts = TokenCount.read(metadata["thoughtsTokenCount"]) ?? 0
            usage = Usage(promptTokens: prompt, completionTokens: candidates + thoughts)
        }
        if let blocked = object["promptFeedback"]?["blockReason"], !blocked.isNull { finishReason = .contentFilter }
        var events: [ProviderEvent] = []
        if let candidate = object["candidates"]?.first, candidate.isObject {
            for part in candidate["content"]?["parts"]?.elements ?? [] {
                guard let text = part["text"]?.string, !text.isEmpty else { continue }
                events.append(part["thought"]?.bool == true ? .delta(content: nil, reasoning: text) : .delta(content: text, reasoning: nil))
            }
            if let reason = candidate["finishReason"]?.string { finishReason = Self.finishReason(reason) }
        }
        return events
    }

    public mutating func finish() -> [ProviderEvent] {
        guard !isFinished else { return [] }
        isFinished = true
        if let finishReason { return [.done(finishReason, usage)] }
        return [.failed(ProviderError(.upstreamTruncated, "the provider's stream ended without a finish reason", retryable: true))]
    }

    static func finishReason(_ value: String) -> FinishReason {
        switch value {
        case "MAX_TOKENS": return .length
        case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY": return .contentFilter
        case "MALFORMED_FUNCTION_CALL": return .toolCalls
        default: return .stop
        }
    }
}
