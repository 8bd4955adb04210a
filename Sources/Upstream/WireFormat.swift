import Foundation
import HTTP1

/// How a provider's HTTP API is spoken: the request to send and the decoder for the stream.
public enum WireFormat: String, Sendable {
    case openAI = "openai"
    case anthropic
    case gemini

    /// The path (after the base URL), headers and JSON body for a streamed chat.
    func request(_ chat: ChatRequest, model: String, apiKey: String?) -> (path: String, headers: HeaderFields, body: [UInt8]) {
        var headers: HeaderFields = ["Content-Type": "application/json", "Accept": "text/event-stream"]
        var body: [String: Any] = [:]
        let path: String
        switch self {
        case .openAI:
            path = "/chat/completions"
            if let apiKey { headers.add("Authorization", "Bearer \(apiKey)") }
            body = ["model": model, "stream": true, "stream_options": ["include_usage": true],
                    "messages": chat.messages.map { ["role": $0.role, "content": $0.content] }]
            if let value = chat.temperature { body["temperature"] = value }
            if let value = chat.topP { body["top_p"] = value }
            if let value = chat.maxTokens { body["max_tokens"] = value }
            if let value = chat.stop { body["stop"] = value }
            if let value = chat.presencePenalty { body["presence_penalty"] = value }
            if let value = chat.frequencyPenalty { body["frequency_penalty"] = value }
            if let value = chat.seed { body["seed"] = value }
            if let value = chat.reasoningEffort { body["reasoning_effort"] = value }
        case .anthropic:
            path = "/messages"
            if let apiKey { headers.add("x-api-key", apiKey) }
            headers.add("anthropic-version", "2023-06-01")
            let system = chat.messages.filter { $0.role == "system" || $0.role == "developer" }.map(\.content)
            body = ["model": model, "stream": true, "max_tokens": chat.maxTokens ?? 4096,
                    "messages": chat.messages.filter { $0.role == "user" || $0.role == "assistant" }.map { ["role": $0.role, "content": $0.content] }]
            if !system.isEmpty { body["system"] = system.joined(separator: "\n\n") }
            if let value = chat.temperature { body["temperature"] = min(value, 1) }
            if let value = chat.topP { body["top_p"] = value }
            if let value = chat.stop { body["stop_sequences"] = value }
        case .gemini:
            path = "/models/\(model.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? model):streamGenerateContent?alt=sse"
            if let apiKey { headers.add("x-goog-api-key", apiKey) }
            let system = chat.messages.filter { $0.role == "system" || $0.role == "developer" }.map(\.content)
            body = ["contents": chat.messages.filter { $0.role == "user" || $0.role == "assistant" }.map {
                ["role": $0.role == "assistant" ? "model" : "user", "parts": [["text": $0.content]]]
            }]
            if !system.isEmpty { body["systemInstruction"] = ["parts": [["text": system.joined(separator: "\n\n")]]] }
            var generation: [String: Any] = [:]
            if let value = chat.temperature { generation["temperature"] = value }
            if let value = chat.topP { generation["topP"] = value }
            if let value = chat.maxTokens { generation["maxOutputTokens"] = value }
            if let value = chat.stop { generation["stopSequences"] = value }
            if let value = chat.presencePenalty { generation["presencePenalty"] = value }
            if let value = chat.frequencyPenalty { generation["frequencyPenalty"] = value }
            if let value = chat.seed { generation["seed"] = value }
            if !generation.isEmpty { body["generationConfig"] = generation }
        }
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data("{}".utf8)
        return (path, headers, Array(data))
    }

    func decoder() -> any StreamDecoder {
        switch self {
        case .openAI: return OpenAIStreamDecoder()
        case .anthropic: return AnthropicStreamDecoder()
        case .gemini: return GeminiStreamDecoder()
        }
    }
}
