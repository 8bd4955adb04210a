/// The built-in `demo` provider: no key, no network. It streams a deterministic answer,
/// derived from the last user message, token by token at a steady pace, so relayd works out
/// of the box and tests are reproducible. `demo-reasoning` thinks aloud first, on the
/// `reasoning` channel, as reasoning models do.
public struct DemoProvider: Provider {
    public let name = "demo"
    public let models = ["demo", "demo-reasoning"]
    public let defaultModel = "demo"
    /// Tokens per second (about 30, like a fast hosted model).
    public var tokensPerSecond: Double

    public init(tokensPerSecond: Double = 30) {
        self.tokensPerSecond = tokensPerSecond
    }

    /// The answer's tokens: words with their following space, so they join back exactly.
    public static func answer(to request: ChatRequest) -> String {
        let question = request.messages.last { $0.role == "user" }?.content ?? ""
        let quoted = question.count > 200 ? String(question.prefix(200)) + "…" : question
        return "Hello! This is relayd's demo provider, streaming without any API key. You said: \"\(quoted)\". "
            + "Each word arrives as its own chunk with a sequence number, so a client that loses its connection "
            + "can resume where it left off."
    }

    public static func reasoning(for request: ChatRequest) -> String {
        "The user wrote \(request.messages.last { $0.role == "user" }?.content.count ?? 0) characters. I will answer briefly."
    }

    public static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        for character in text {
            current.append(character)
            if character == " " {
                tokens.append(current)
                current = ""
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    public func stream(_ request: ChatRequest, model: String, context: ProviderContext,
                       emit: @escaping @Sendable (ProviderEvent) -> Void) -> ChatCancellation {
        let cancellation = ChatCancellation()
        var plan: [(reasoning: Bool, token: String)] = []
        if model == "demo-reasoning" { plan += Self.tokens(Self.reasoning(for: request)).map { (true, $0) } }
        var answerTokens = Self.tokens(Self.answer(to: request)).map { (false, $0) }
        let truncated = request.maxTokens.map { $0 < answerTokens.count } ?? false
        if truncated { answerTokens = Array(answerTokens.prefix(max(0, request.maxTokens!))) }
        let finish: FinishReason = truncated ? .length : .stop
        plan += answerTokens
        let promptTokens = request.messages.reduce(0) { $0 + Self.tokens($1.content).count }
        let completionTokens = plan.count
        let interval = 1 / max(tokensPerSecond, 0.001)
        let steps = plan
        @Sendable func step(_ index: Int) {
            guard !cancellation.isCancelled else { return }
            guard index < steps.count else {
                emit(.done(finish, Usage(promptTokens: promptTokens, completionTokens: completionTokens)))
                return
            }
            let (isReasoning, token) = steps[index]
            emit(isReasoning ? .delta(content: nil, reasoning: token) : .delta(content: token, reasoning: nil))
            context.schedule(interval) { step(index + 1) }
        }
        context.schedule(interval) { step(0) }
        return cancellation
    }
}
