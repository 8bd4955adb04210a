import Foundation
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
              let object = (try? JSONSerialization.jsonObject(with: Data(event.data.utf8))) as? [String: Any] else { return [] }
        if let error = object["error"] as? [String: Any] {
            isFinished = true
            return [.failed(UpstreamErrorMapping.error(status: (error["code"] as? NSNumber)?.intValue,
                                                       type: error["status"] as? String, message: error["message"] as? String))]
        }
        if let metadata = object["usageMetadata"] as? [String: Any] {
            let prompt = (metadata["promptTokenCount"] as? NSNumber)?.intValue ?? 0
            let candidates = (metadata["candidatesTokenCount"] as? NSNumber)?.intValue ?? 0
            let thoughts = (metadata["thoughtsTokenCount"] as? NSNumber)?.intValue ?? 0
            usage = Usage(promptTokens: prompt, completionTokens: candidates + thoughts)
        }
        if (object["promptFeedback"] as? [String: Any])?["blockReason"] != nil { finishReason = .contentFilter }
        var events: [ProviderEvent] = []
        if let candidate = (object["candidates"] as? [Any])?.first as? [String: Any] {
            for case let part as [String: Any] in ((candidate["content"] as? [String: Any])?["parts"] as? [Any]) ?? [] {
                guard let text = part["text"] as? String, !text.isEmpty else { continue }
                events.append(part["thought"] as? Bool == true ? .delta(content: nil, reasoning: text) : .delta(content: text, reasoning: nil))
            }
            if let reason = candidate["finishReason"] as? String { finishReason = Self.finishReason(reason) }
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
