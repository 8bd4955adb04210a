import Foundation
import SSE

/// Anthropic Messages streaming: `message_start` (input usage), `content_block_start`,
/// `content_block_delta` (`text_delta` → content, `thinking_delta` → reasoning; signatures
/// and tool-input JSON are not relayed as text), `content_block_stop`, `message_delta`
/// (`stop_reason`, cumulative output usage), `message_stop` (the end), `ping`, and `error`
/// (`overloaded_error`, `rate_limit_error`, …).
public struct AnthropicStreamDecoder: StreamDecoder {
    private var inputTokens = 0
    private var outputTokens: Int?
    private var stopReason: FinishReason = .stop
    public private(set) var isFinished = false

    public init() {}

    public mutating func decode(_ item: EventStreamItem) -> [ProviderEvent] {
        guard !isFinished, case .event(let event) = item else { return [] }
        let object = ((try? JSONSerialization.jsonObject(with: Data(event.data.utf8))) as? [String: Any]) ?? [:]
        let type = (object["type"] as? String) ?? event.type
        switch type {
        case "message_start":
            if let usage = (object["message"] as? [String: Any])?["usage"] as? [String: Any] {
                inputTokens = (usage["input_tokens"] as? NSNumber)?.intValue ?? 0
                outputTokens = (usage["output_tokens"] as? NSNumber)?.intValue
            }
        case "content_block_delta":
            guard let delta = object["delta"] as? [String: Any] else { return [] }
            switch delta["type"] as? String {
            case "text_delta":
                if let text = delta["text"] as? String, !text.isEmpty { return [.delta(content: text, reasoning: nil)] }
            case "thinking_delta":
                if let text = delta["thinking"] as? String, !text.isEmpty { return [.delta(content: nil, reasoning: text)] }
            default:
                break
            }
        case "message_delta":
            if let reason = (object["delta"] as? [String: Any])?["stop_reason"] as? String {
                stopReason = Self.finishReason(reason)
            }
            if let usage = object["usage"] as? [String: Any] {
                if let output = (usage["output_tokens"] as? NSNumber)?.intValue { outputTokens = output }
                if let input = (usage["input_tokens"] as? NSNumber)?.intValue { inputTokens = input }
            }
        case "message_stop":
            isFinished = true
            return [.done(stopReason, outputTokens.map { Usage(promptTokens: inputTokens, completionTokens: $0) })]
        case "error":
            isFinished = true
            let error = (object["error"] as? [String: Any]) ?? [:]
            return [.failed(UpstreamErrorMapping.error(type: error["type"] as? String, message: error["message"] as? String))]
        default:
            break // ping, content_block_start/stop, unknown future events
        }
        return []
    }

    public mutating func finish() -> [ProviderEvent] {
        guard !isFinished else { return [] }
        isFinished = true
        return [.failed(ProviderError(.upstreamTruncated, "the provider's stream ended before message_stop", retryable: true))]
    }

    static func finishReason(_ value: String) -> FinishReason {
        switch value {
        case "max_tokens", "model_context_window_exceeded": return .length
        case "tool_use": return .toolCalls
        case "refusal": return .contentFilter
        default: return .stop // end_turn, stop_sequence, pause_turn
        }
    }
}
