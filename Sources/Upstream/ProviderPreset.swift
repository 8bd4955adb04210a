import HTTP1

/// Known providers: base URL, wire format, and the environment variables that configure
/// them. A preset is usable only when its key is set, or, for local servers that need no
/// key (Ollama, vLLM), when its base URL is set: relayd never lists a provider it cannot use.
public struct ProviderPreset: Sendable {
    public let name: String
    public let format: WireFormat
    public let baseURL: String
    /// Variables holding the key, first set wins.
    public let keyVariables: [String]
    public let baseURLVariable: String
    public let defaultModel: String
    public let keyless: Bool

    /// `NAME_MODELS` (comma list) restricts the models a client may ask for;
    /// `NAME_DEFAULT_MODEL` changes the default.
    var prefix: String { baseURLVariable.replacingOccurrences(of: "_BASE_URL", with: "") }

    public static let all: [ProviderPreset] = [
        ProviderPreset(name: "openai", format: .openAI, baseURL: "https://api.openai.com/v1", keyVariables: ["OPENAI_API_KEY"],
                       baseURLVariable: "OPENAI_BASE_URL", defaultModel: "gpt-4o-mini", keyless: false),
        ProviderPreset(name: "anthropic", format: .anthropic, baseURL: "https://api.anthropic.com/v1", keyVariables: ["ANTHROPIC_API_KEY"],
                       baseURLVariable: "ANTHROPIC_BASE_URL", defaultModel: "claude-3-5-haiku-latest", keyless: false),
        ProviderPreset(name: "gemini", format: .gemini, baseURL: "https://generativelanguage.googleapis.com/v1beta",
                       keyVariables: ["GEMINI_API_KEY", "GOOGLE_API_KEY"], baseURLVariable: "GEMINI_BASE_URL",
                       defaultModel: "gemini-2.0-flash", keyless: false),
        ProviderPreset(name: "deepseek", format: .openAI, baseURL: "https://api.deepseek.com/v1", keyVariables: ["DEEPSEEK_API_KEY"],
                       baseURLVariable: "DEEPSEEK_BASE_URL", defaultModel: "deepseek-chat", keyless: false),
        ProviderPreset(name: "qwen", format: .openAI, baseURL: "https://dashscope.aliyuncs.com/compatible-mode/v1",
                       keyVariables: ["DASHSCOPE_API_KEY", "QWEN_API_KEY"], baseURLVariable: "QWEN_BASE_URL", defaultModel: "qwen-plus", keyless: false),
        ProviderPreset(name: "moonshot", format: .openAI, baseURL: "https://api.moonshot.cn/v1", keyVariables: ["MOONSHOT_API_KEY"],
                       baseURLVariable: "MOONSHOT_BASE_URL", defaultModel: "moonshot-v1-8k", keyless: false),
        ProviderPreset(name: "zhipu", format: .openAI, baseURL: "https://open.bigmodel.cn/api/paas/v4", keyVariables: ["ZHIPU_API_KEY", "ZHIPUAI_API_KEY"],
                       baseURLVariable: "ZHIPU_BASE_URL", defaultModel: "glm-4-flash", keyless: false),
        ProviderPreset(name: "siliconflow", format: .openAI, baseURL: "https://api.siliconflow.cn/v1", keyVariables: ["SILICONFLOW_API_KEY"],
                       baseURLVariable: "SILICONFLOW_BASE_URL", defaultModel: "Qwen/Qwen2.5-7B-Instruct", keyless: false),
        ProviderPreset(name: "openrouter", format: .openAI, baseURL: "https://openrouter.ai/api/v1", keyVariables: ["OPENROUTER_API_KEY"],
                       baseURLVariable: "OPENROUTER_BASE_URL", defaultModel: "openai/gpt-4o-mini", keyless: false),
        ProviderPreset(name: "groq", format: .openAI, baseURL: "https://api.groq.com/openai/v1", keyVariables: ["GROQ_API_KEY"],
                       baseURLVariable: "GROQ_BASE_URL", defaultModel: "llama-3.1-8b-instant", keyless: false),
        ProviderPreset(name: "ollama", format: .openAI, baseURL: "http://127.0.0.1:11434/v1", keyVariables: [],
                       baseURLVariable: "OLLAMA_BASE_URL", defaultModel: "llama3.2", keyless: true),
        ProviderPreset(name: "vllm", format: .openAI, baseURL: "http://127.0.0.1:8000/v1", keyVariables: ["VLLM_API_KEY"],
                       baseURLVariable: "VLLM_BASE_URL", defaultModel: "default", keyless: true),
    ]

    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    /// The usable providers, in preset order. A malformed base URL is an error (a typo must
    /// not silently disable a provider).
    public static func configured(environment: [String: String], client: UpstreamClient,
                                  retryPolicy: RetryPolicy = RetryPolicy()) throws -> [HTTPProvider] {
        var providers: [HTTPProvider] = []
        for preset in all {
            let key = preset.keyVariables.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
            let customBase = environment[preset.baseURLVariable].flatMap { $0.isEmpty ? nil : $0 }
            guard key != nil || (preset.keyless && customBase != nil) else { continue }
            let text = customBase ?? preset.baseURL
            guard let url = UpstreamURL(text) else {
                throw Problem(description: "\(preset.baseURLVariable) is not an http(s) URL: \(text)")
            }
            let allowed = (environment["\(preset.prefix)_MODELS"] ?? "").split(separator: ",").map { String($0.trimmingOWS()) }.filter { !$0.isEmpty }
            let defaultModel = environment["\(preset.prefix)_DEFAULT_MODEL"].flatMap { $0.isEmpty ? nil : $0 } ?? allowed.first ?? preset.defaultModel
            var provider = HTTPProvider(name: preset.name, format: preset.format, baseURL: url, apiKey: key,
                                        defaultModel: defaultModel, allowedModels: allowed, client: client)
            provider.retryPolicy = retryPolicy
            providers.append(provider)
        }
        return providers
    }
}
