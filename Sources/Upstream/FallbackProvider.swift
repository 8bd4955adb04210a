import HTTP1

/// A provider with a fallback chain (`DEEPSEEK_FALLBACK=qwen,openai`): when the primary
/// fails before any chunk reached the client, with an error that may pass elsewhere (after
/// its own retries), the next provider is tried with its default model, and so on. Once a
/// chunk has been forwarded the answer stays with its provider.
public struct FallbackProvider: Provider {
    public let primary: any Provider
    public let fallbacks: [any Provider]

    public init(primary: any Provider, fallbacks: [any Provider]) {
        self.primary = primary
        self.fallbacks = fallbacks
    }

    public var name: String { primary.name }
    public var models: [String] { primary.models }
    public var defaultModel: String { primary.defaultModel }
    public func allows(model: String) -> Bool { primary.allows(model: model) }

    public func stream(_ request: ChatRequest, model: String, context: ProviderContext,
                       emit: @escaping @Sendable (ProviderEvent) -> Void) -> ChatCancellation {
        let chain: [(any Provider, String)] = [(primary, model)] + fallbacks.map { ($0, $0.defaultModel) }
        let state = ChainState()
        @Sendable func attempt(_ index: Int) {
            guard !state.cancelled else { return }
            let (provider, model) = chain[index]
            state.current = provider.stream(request, model: model, context: context) { event in
                guard !state.cancelled, state.index == index else { return }
                if case .failed(let error) = event, !state.forwarded, error.retryable, index + 1 < chain.count {
                    state.index = index + 1
                    context.observe?(.fallback(provider: provider.name, to: chain[index + 1].0.name))
                    context.schedule(0) { attempt(index + 1) }
                    return
                }
                if case .delta = event { state.forwarded = true }
                emit(event)
            }
        }
        attempt(0)
        return ChatCancellation {
            state.cancelled = true
            state.current?.cancel()
        }
    }

    /// Which provider of the chain is answering; touched on the chat's loop.
    final class ChainState: @unchecked Sendable {
        var index = 0
        var forwarded = false
        var cancelled = false
        var current: ChatCancellation?
    }
}

extension ProviderPreset {
    /// Wraps providers that have a fallback chain: `<NAME>_FALLBACK` for presets (names of
    /// other configured providers, comma-separated), `chains` for the others (the providers
    /// file's `fallback`). An unknown name is an error: a typo must not silently drop a
    /// fallback.
    public static func applyingFallbacks(to providers: [any Provider], environment: [String: String],
                                         chains: [String: [String]] = [:]) throws -> [any Provider] {
        var byName: [String: any Provider] = [:]
        for provider in providers { byName[provider.name] = provider }
        return try providers.map { provider in
            let names: [String]
            let source: String
            if let preset = all.first(where: { $0.name == provider.name }) {
                guard let list = environment["\(preset.prefix)_FALLBACK"], !list.isEmpty else { return provider }
                names = list.split(separator: ",").map { String($0.trimmingOWS()) }
                source = "\(preset.prefix)_FALLBACK"
            } else {
                guard let list = chains[provider.name], !list.isEmpty else { return provider }
                names = list
                source = "the fallback of \(provider.name)"
            }
            let chain = try names.map { name -> any Provider in
                guard name != provider.name, let fallback = byName[name] else {
                    throw Problem(description: "\(source) names \(name), which is not a configured provider")
                }
                return fallback
            }
            return FallbackProvider(primary: provider, fallbacks: chain)
        }
    }
}
