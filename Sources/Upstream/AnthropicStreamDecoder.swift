import JSON
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
        let object = try? JSONDocument(parsing: event.data.utf8).root
        let type = object?["type"]?.string ?? event.type
        switch type {
        case "message_start":
            if let usage = object?["message"]?["usage"] {
                inputTokens = TokenCount.read(usage["input_tokens"]) ?? 0
                outputTokens = TokenCount.read(usage["output_tokens"])
            }
        case "content_block_delta":
            guard let delta = object?["delta"] else { return [] }
            switch delta["type"]?.string {
            case "text_delta":
                if let text = delta["text"]?.string, !text.isEmpty { return [.delta(content: text, reasoning: nil)] }
            case "thinking_delta":
                if let text = delta["thinking"]?.string, !text.isEmpty { return [.delta(content: nil, reasoning: text)] }
            default:
                break
            }
        case "message_delta":
            if let reason = object?["delta"]?["stop_reason"]?.string {
                stopReason = Self.finishReason(reason)
            }
            if let usage = object?["usage"] {
                if let output = TokenCount.read(usage["output_tokens"]) { outputTokens = output }
                if let input = TokenCount.read(usage["input_tokens"]) { inputTokens = input }
            }
        case "message_stop":
            isFinished = true
            return [.done(stopReason, outputTokens.map { Usage(promptTokens: inputTokens, completionTokens: $0) })]
        case "error":
            isFinished = true
            let error = object?["error"]
            return [.failed(UpstreamErrorMapping.error(type: error?["type"]?.string, message: error?["message"]?.string))]
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
