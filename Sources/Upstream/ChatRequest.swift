/// One message of a conversation, as every provider's wire format has it.
public struct ChatMessage: Sendable, Equatable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }

    public static let roles: Set<String> = ["system", "user", "assistant", "developer", "tool"]
}

/// A chat as the client asked for it, validated, before a provider is chosen.
public struct ChatRequest: Sendable, Equatable {
    /// The client's id for this chat; every event about it carries it.
    public var id: String
    public var provider: String?
    public var model: String?
    public var messages: [ChatMessage]
    public var temperature: Double?
    public var topP: Double?
    public var maxTokens: Int?
    public var stop: [String]?
    /// OpenAI-compatible and Gemini only; others do not take them.
    public var presencePenalty: Double?
    public var frequencyPenalty: Double?
    public var seed: Int?
    /// OpenAI-format reasoning models (o-series, gpt-5): minimal, low, medium or high.
    public var reasoningEffort: String?

    public static let reasoningEfforts: Set<String> = ["minimal", "low", "medium", "high"]

    public init(id: String, provider: String? = nil, model: String? = nil, messages: [ChatMessage],
                temperature: Double? = nil, topP: Double? = nil, maxTokens: Int? = nil, stop: [String]? = nil) {
        self.id = id
        self.provider = provider
        self.model = model
        self.messages = messages
        self.temperature = temperature
        self.topP = topP
        self.maxTokens = maxTokens
        self.stop = stop
    }
}
