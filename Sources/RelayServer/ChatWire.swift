import JSON
import Upstream

/// relayd's chat messages on the wire (the `/ws` protocol; the HTTP fallback will carry the
/// same JSON): parsing a client's `chat`, and writing `start`, `chunk`, `done` and `error`.
enum ChatWire {
    /// A `chat` object as parsed JSON, validated into a request; errors say which field.
    static func parseChat(_ object: JSONValue) -> Result<ChatRequest, ProviderError> {
        guard let id = object["id"]?.string, !id.isEmpty, id.utf8.count <= 200 else {
            return .failure(ProviderError(.badRequest, "\"id\" must be a non-empty string of at most 200 bytes"))
        }
        guard let rawMessages = object["messages"], rawMessages.kind == .array, rawMessages.count > 0 else {
            return .failure(ProviderError(.badRequest, "\"messages\" must be a non-empty array"))
        }
        var messages: [ChatMessage] = []
        for message in rawMessages.elements {
            guard let role = message["role"]?.string, ChatMessage.roles.contains(role) else {
                return .failure(ProviderError(.badRequest, "each message needs a \"role\" (system, user, assistant, developer or tool)"))
            }
            if let text = message["content"]?.string {
                messages.append(ChatMessage(role: role, content: text))
            } else if let parts = message["content"], parts.kind == .array {
                // OpenAI's content parts: keep the text ones.
                let text = parts.elements.compactMap { $0["type"]?.string == "text" ? $0["text"]?.string : nil }
                messages.append(ChatMessage(role: role, content: text.joined()))
            } else {
                return .failure(ProviderError(.badRequest, "each message needs a string \"content\""))
            }
        }
        var request = ChatRequest(id: id, messages: messages)
        if let provider = object["provider"] {
            guard let name = provider.string else { return .failure(ProviderError(.badRequest, "\"provider\" must be a string")) }
            request.provider = name
        }
        if let model = object["model"] {
            guard let name = model.string, ModelName.isValid(name) else { return .failure(ProviderError(.badRequest, ModelName.invalidMessage)) }
            request.model = name
        }
        if let value = object["temperature"] {
            guard let number = value.double, (0...2).contains(number) else { return .failure(ProviderError(.badRequest, "\"temperature\" must be a number from 0 to 2")) }
            request.temperature = number
        }
        if let value = object["top_p"] {
            guard let number = value.double, (0...1).contains(number) else { return .failure(ProviderError(.badRequest, "\"top_p\" must be a number from 0 to 1")) }
            request.topP = number
        }
        if let value = object["max_tokens"] {
            guard let number = value.int, number >= 1, number <= 1_000_000 else {
                return .failure(ProviderError(.badRequest, "\"max_tokens\" must be a positive integer"))
            }
            request.maxTokens = number
        }
        if let value = object["stop"] {
            if let one = value.string {
                request.stop = [one]
            } else if value.kind == .array, value.count <= 4, case let many = value.elements.compactMap(\.string), many.count == value.count {
                request.stop = many
            } else {
                return .failure(ProviderError(.badRequest, "\"stop\" must be a string or up to 4 strings"))
            }
        }
        for (field, keyPath) in [("presence_penalty", \ChatRequest.presencePenalty), ("frequency_penalty", \ChatRequest.frequencyPenalty)] {
            guard let value = object[field] else { continue }
            guard let number = value.double, (-2...2).contains(number) else {
                return .failure(ProviderError(.badRequest, "\"\(field)\" must be a number from -2 to 2"))
            }
            request[keyPath: keyPath] = number
        }
        if let value = object["seed"] {
            guard let number = value.int else { return .failure(ProviderError(.badRequest, "\"seed\" must be an integer")) }
            request.seed = number
        }
        if let value = object["reasoning_effort"] {
            guard let effort = value.string, ChatRequest.reasoningEfforts.contains(effort) else {
                return .failure(ProviderError(.badRequest, "\"reasoning_effort\" must be minimal, low, medium or high"))
            }
            request.reasoningEffort = effort
        }
        return .success(request)
    }

    /// A chat's `client_id` (what makes a resubmitted chat attach to its stream instead of
    /// calling the provider again), or `fallback` (an HTTP header) when the message has none.
    static func clientID(in object: JSONValue, fallback: String? = nil) -> Result<String?, ProviderError> {
        let value: String?
        if let field = object["client_id"] {
            guard let text = field.string else { return .failure(invalidClientID) }
            value = text
        } else {
            value = fallback
        }
        if let value, value.isEmpty || value.utf8.count > 200 { return .failure(invalidClientID) }
        return .success(value)
    }

    /// The seqs a client may resume after (`last_seq`, `Last-Event-ID`, `?after=`): -1 (from
    /// the start) up to a bound no stream reaches (2^31 events at ~100 bytes each is 200 GB).
    /// Checked where the number enters, so nothing downstream does arithmetic on `Int.max`.
    static let resumableSeqs = -1...Int(Int32.max)

    /// A `resume` message: `{"type":"resume","stream_id":"…","last_seq":42}` (`last_seq`
    /// absent: from the start).
    static func parseResume(_ object: JSONValue) -> Result<(streamID: String, lastSeq: Int), ProviderError> {
        guard let streamID = object["stream_id"]?.string, !streamID.isEmpty else {
            return .failure(ProviderError(.badRequest, "resume needs \"stream_id\""))
        }
        let lastSeq = object["last_seq"].map { $0.int ?? -2 } ?? -1
        guard resumableSeqs.contains(lastSeq) else {
            return .failure(ProviderError(.badRequest, "\"last_seq\" must be an integer from -1 to \(resumableSeqs.upperBound)"))
        }
        return .success((streamID, lastSeq))
    }

    /// The client's heartbeat `timestamp` as `heartbeat_ack` echoes it: the number, when JSON
    /// can carry it back (`1e999` parses, but as an infinite Double, which would print as
    /// `inf`), else `null`.
    static func heartbeatEcho(_ timestamp: JSONValue?) -> String {
        guard let timestamp, timestamp.kind == .number else { return "null" }
        return timestamp.int.map(String.init) ?? timestamp.double.flatMap { $0.isFinite ? String($0) : nil } ?? "null"
    }

    /// `heartbeat_ack` with the echoed timestamp and the server's clock (ms since the epoch),
    /// so the client can estimate skew and round trip.
    static func heartbeatAck(echoed: String, serverTime: Int64) -> String {
        "{\"type\":\"heartbeat_ack\",\"timestamp\":\(echoed),\"server_time\":\(serverTime)}"
    }

    /// A resume seq written as text (an HTTP header or query value), or nil when it is not
    /// a plain decimal integer in `resumableSeqs`.
    static func resumeSeq(_ text: some StringProtocol) -> Int? {
        guard let value = Int(text), resumableSeqs.contains(value) else { return nil }
        return value
    }

    private static let invalidClientID = ProviderError(.badRequest, "\"client_id\" must be a string of 1 to 200 bytes")

    static func start(id: String, streamID: String, provider: String, model: String) -> String {
        "{\"type\":\"start\",\"id\":\(JSONText.quote(id)),\"seq\":0,\"stream_id\":\(JSONText.quote(streamID)),\"provider\":\(JSONText.quote(provider)),\"model\":\(JSONText.quote(model))}"
    }

    static func chunk(id: String, seq: Int, content: String?, reasoning: String?) -> String {
        var text = "{\"type\":\"chunk\",\"id\":\(JSONText.quote(id)),\"seq\":\(seq)"
        if let content { text += ",\"content\":\(JSONText.quote(content))" }
        if let reasoning { text += ",\"reasoning\":\(JSONText.quote(reasoning))" }
        return text + "}"
    }

    static func done(id: String, seq: Int, finishReason: FinishReason, usage: Usage?) -> String {
        var text = "{\"type\":\"done\",\"id\":\(JSONText.quote(id)),\"seq\":\(seq),\"finish_reason\":\"\(finishReason.rawValue)\""
        if let usage {
            text += ",\"usage\":{\"prompt_tokens\":\(usage.promptTokens),\"completion_tokens\":\(usage.completionTokens)}"
        }
        return text + "}"
    }

    /// An `error` event; `id` and `seq` when it belongs to a chat.
    static func error(id: String?, seq: Int? = nil, _ error: ProviderError) -> String {
        var text = "{\"type\":\"error\""
        if let id { text += ",\"id\":\(JSONText.quote(id))" }
        if let seq { text += ",\"seq\":\(seq)" }
        return text + ",\"code\":\"\(error.code.rawValue)\",\"message\":\(JSONText.quote(error.message)),\"retryable\":\(error.retryable)}"
    }

    /// An unguessable stream id: 128 random bits, as 32 hex digits.
    static func newStreamID() -> String {
        var generator = SystemRandomNumberGenerator()
        return hex16(generator.next()) + hex16(generator.next())
    }

    private static func hex16(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
