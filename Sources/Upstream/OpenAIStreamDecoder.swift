import HTTP1
import JSON
import SSE

/// OpenAI Chat Completions streaming (`stream: true`, `stream_options.include_usage`), and
/// the OpenAI-compatible dialects: DeepSeek, Qwen (DashScope), Moonshot, Zhipu, SiliconFlow,
/// OpenRouter, Groq, Ollama, vLLM.
///
/// - text in `choices[0].delta.content`; thinking in `delta.reasoning_content` (DeepSeek,
///   Qwen, Moonshot, SiliconFlow) or `delta.reasoning` (OpenRouter, vLLM, Ollama);
/// - usage at the top level (OpenAI, with an empty `choices`), in `choices[0].usage`
///   (Moonshot) or in `x_groq.usage` (Groq);
/// - the end is `data: [DONE]`; a stream that stops after a `finish_reason` but before
///   `[DONE]` still counts as complete (the answer is whole, only usage may be missing);
/// - in-band errors: an `error` key, `"object":"error"`, `finish_reason: "error"`, or an
///   `event: error`.
public struct OpenAIStreamDecoder: StreamDecoder {
    private var finishReason: FinishReason?
    private var usage: Usage?
    public private(set) var isFinished = false

    public init() {}

    public mutating func decode(_ item: EventStreamItem) -> [ProviderEvent] {
        guard !isFinished, case .event(let event) = item else { return [] }
        // Only a short payload can be the end marker: no trimming of every chunk's JSON.
        if event.data.utf8.count <= 16, event.data.trimmingOWS() == "[DONE]" {
            isFinished = true
            return [.done(finishReason ?? .stop, usage)]
        }
        guard let object = try? JSONDocument(parsing: event.data.utf8).root, object.isObject else {
            if event.type == "error" { return fail(UpstreamErrorMapping.error(message: event.data)) }
            return [] // not JSON and not an error: ignore (some proxies inject noise)
        }
        let errorField = object["error"]
        if event.type == "error" || errorField?.kind == .object || errorField?.kind == .string || object["object"]?.string == "error" {
            let error = errorField?.isObject == true ? errorField! : object
            // Both: OpenAI puts the kind in `code` ("rate_limit_exceeded") when `type` names the
            // limited resource ("tokens", "requests"); Zhipu sends only `code` ("1113").
            let code = error["code"].flatMap { $0.string ?? ($0.kind == .number ? $0.rawText : nil) }
            let type = [error["type"]?.string, code].compactMap { $0 }.joined(separator: " ")
            let message = error["message"]?.string ?? errorField?.string
            return fail(UpstreamErrorMapping.error(status: error["code"]?.int, type: type, message: message))
        }
        if let found = Self.usage(object["usage"]) ?? Self.usage(object["x_groq"]?["usage"]) {
            usage = found
        }
        var events: [ProviderEvent] = []
        for choice in object["choices"]?.elements ?? [] where choice.isObject {
            if let found = Self.usage(choice["usage"]) { usage = found }
            if let delta = choice["delta"], delta.isObject {
                let content = delta["content"]?.string.flatMap { $0.isEmpty ? nil : $0 }
                let reasoning = (delta["reasoning_content"]?.string ?? delta["reasoning"]?.string).flatMap { $0.isEmpty ? nil : $0 }
                // Keep the two channels apart even when a provider sends both in one delta.
                if let reasoning { events.append(.delta(content: nil, reasoning: reasoning)) }
                if let content { events.append(.delta(content: content, reasoning: nil)) }
            }
            if let reason = choice["finish_reason"]?.string {
                if reason == "error" {
                    return events + fail(ProviderError(.upstreamError, "the provider ended the stream with an error", retryable: true))
                }
                finishReason = Self.finishReason(reason)
            }
        }
        return events
    }

    public mutating func finish() -> [ProviderEvent] {
        guard !isFinished else { return [] }
        isFinished = true
        if let finishReason { return [.done(finishReason, usage)] }
        return [.failed(ProviderError(.upstreamTruncated, "the provider's stream ended before it was complete", retryable: true))]
    }

    private mutating func fail(_ error: ProviderError) -> [ProviderEvent] {
        isFinished = true
        return [.failed(error)]
    }

    static func finishReason(_ value: String) -> FinishReason {
        switch value {
        case "length", "max_tokens": return .length
        case "tool_calls", "function_call": return .toolCalls
        case "content_filter", "sensitive": return .contentFilter
        default: return .stop
        }
    }

    static func usage(_ value: JSONValue?) -> Usage? {
        guard let value, let prompt = TokenCount.read(value["prompt_tokens"]),
              let completion = TokenCount.read(value["completion_tokens"]) else { return nil }
        return Usage(promptTokens: prompt, completionTokens: completion)
    }
}
