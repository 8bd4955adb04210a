import Foundation
import HTTP1
import JSON

/// How a provider's HTTP API is spoken: the request to send and the decoder for the stream.
public enum WireFormat: String, Sendable {
    case openAI = "openai"
    case anthropic
    case gemini

    /// The path (after the base URL), headers and JSON body for a streamed chat.
    func request(_ chat: ChatRequest, model: String, apiKey: String?) -> (path: String, headers: HeaderFields, body: [UInt8]) {
        var headers: HeaderFields = ["Content-Type": "application/json", "Accept": "text/event-stream"]
        var body = JSONObjectWriter()
        let path: String
        func messages(_ roles: Set<String>? = nil, _ convert: (ChatMessage) -> String) -> String {
            "[" + chat.messages.filter { roles?.contains($0.role) ?? true }.map(convert).joined(separator: ",") + "]"
        }
        func message(role: String, content: String) -> String {
            var message = JSONObjectWriter()
            message.add("role", role)
            message.add("content", content)
            return message.json
        }
        let system = chat.messages.filter { $0.role == "system" || $0.role == "developer" }.map(\.content)
        switch self {
        case .openAI:
            path = "/chat/completions"
            if let apiKey { headers.add("Authorization", "Bearer \(apiKey)") }
            body.add("model", model)
            body.add("stream", true)
            body.add("stream_options", json: #"{"include_usage":true}"#)
            body.add("messages", json: messages { message(role: $0.role, content: $0.content) })
            if let value = chat.temperature { body.add("temperature", value) }
            if let value = chat.topP { body.add("top_p", value) }
            if let value = chat.maxTokens { body.add("max_tokens", value) }
            if let value = chat.stop { body.add("stop", strings: value) }
            if let value = chat.presencePenalty { body.add("presence_penalty", value) }
            if let value = chat.frequencyPenalty { body.add("frequency_penalty", value) }
            if let value = chat.seed { body.add("seed", value) }
            if let value = chat.reasoningEffort { body.add("reasoning_effort", value) }
        case .anthropic:
            path = "/messages"
            if let apiKey { headers.add("x-api-key", apiKey) }
            headers.add("anthropic-version", "2023-06-01")
            body.add("model", model)
            body.add("stream", true)
            body.add("max_tokens", chat.maxTokens ?? 4096)
            body.add("messages", json: messages(["user", "assistant"]) { message(role: $0.role, content: $0.content) })
            if !system.isEmpty { body.add("system", system.joined(separator: "\n\n")) }
            if let value = chat.temperature { body.add("temperature", min(value, 1)) }
            if let value = chat.topP { body.add("top_p", value) }
            if let value = chat.stop { body.add("stop_sequences", strings: value) }
        case .gemini:
            path = "/models/\(ModelName.geminiPathSegment(model)):streamGenerateContent?alt=sse"
            if let apiKey { headers.add("x-goog-api-key", apiKey) }
            func parts(_ text: String) -> String {
                var part = JSONObjectWriter()
                part.add("text", text)
                return "[" + part.json + "]"
            }
            body.add("contents", json: messages(["user", "assistant"]) { message in
                var content = JSONObjectWriter()
                content.add("role", message.role == "assistant" ? "model" : "user")
                content.add("parts", json: parts(message.content))
                return content.json
            })
            if !system.isEmpty {
                var instruction = JSONObjectWriter()
                instruction.add("parts", json: parts(system.joined(separator: "\n\n")))
                body.add("systemInstruction", json: instruction.json)
            }
            var generation = JSONObjectWriter()
            if let value = chat.temperature { generation.add("temperature", value) }
            if let value = chat.topP { generation.add("topP", value) }
            if let value = chat.maxTokens { generation.add("maxOutputTokens", value) }
            if let value = chat.stop { generation.add("stopSequences", strings: value) }
            if let value = chat.presencePenalty { generation.add("presencePenalty", value) }
            if let value = chat.frequencyPenalty { generation.add("frequencyPenalty", value) }
            if let value = chat.seed { generation.add("seed", value) }
            if !generation.isEmpty { body.add("generationConfig", json: generation.json) }
        }
        return (path, headers, Array(body.json.utf8))
    }

    func decoder() -> any StreamDecoder {
        switch self {
        case .openAI: return OpenAIStreamDecoder()
        case .anthropic: return AnthropicStreamDecoder()
        case .gemini: return GeminiStreamDecoder()
        }
    }
}
