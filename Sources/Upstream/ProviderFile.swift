import Foundation
import HTTP1

/// Providers that are not presets, from a JSON file (`--providers-file`): a company's
/// gateway, LiteLLM, a self-hosted model, a second account with another provider. For
/// example:
///
/// ```json
/// {"providers": [
///   {"name": "corp", "base_url": "https://llm.corp.example/v1", "api_key_env": "CORP_LLM_KEY",
///    "models": ["corp-large", "corp-small"], "fallback": ["deepseek"]}
/// ]}
/// ```
///
/// Keys are never in the file (files get committed and copied): `api_key_env` names the
/// variable that holds one. An entry whose variable is unset is not configured, like a
/// preset without its key. Unknown fields are errors, so a typo cannot silently change what
/// relayd does.
public struct ProviderFile: Sendable {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var baseURL: UpstreamURL
        public var format: WireFormat = .openAI
        /// The variable holding the key; nil for a provider that needs none.
        public var apiKeyVariable: String?
        public var models: [String] = []
        public var defaultModel: String?
        public var fallback: [String] = []
        /// Sent with every request (e.g. OpenRouter's `HTTP-Referer`).
        public var headers: [String: String] = [:]
    }

    public var entries: [Entry]

    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    static let fields: Set<String> = ["name", "base_url", "format", "api_key_env", "models", "default_model", "fallback", "headers"]
    /// Headers relayd sets itself: framing, routing and the key.
    static let reservedHeaders: Set<String> = ["host", "content-length", "transfer-encoding", "connection", "authorization",
                                               "x-api-key", "x-goog-api-key", "proxy-authorization", "te", "upgrade"]

    public init(entries: [Entry]) { self.entries = entries }

    public init(contentsOf path: String) throws(Problem) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Problem(description: "cannot read the providers file \(path)")
        }
        try self.init(json: data, source: path)
    }

    public init(json data: Data, source: String = "the providers file") throws(Problem) {
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw Problem(description: "\(source) must be a JSON object: {\"providers\": [...]}")
        }
        guard let list = root["providers"] as? [Any], Set(root.keys) == ["providers"] else {
            throw Problem(description: "\(source) must be {\"providers\": [...]}")
        }
        var entries: [Entry] = []
        for (index, item) in list.enumerated() {
            guard let object = item as? [String: Any] else {
                throw Problem(description: "\(source): providers[\(index)] is not an object")
            }
            let entry = try Self.entry(object, at: "\(source): providers[\(index)]")
            guard !entries.contains(where: { $0.name == entry.name }) else {
                throw Problem(description: "\(source): provider \(entry.name) is defined twice")
            }
            entries.append(entry)
        }
        self.entries = entries
    }

    private static func entry(_ object: [String: Any], at place: String) throws(Problem) -> Entry {
        if object["api_key"] != nil {
            throw Problem(description: "\(place): keys do not belong in the file; put the key in an environment variable and name it in api_key_env")
        }
        if let unknown = object.keys.sorted().first(where: { !fields.contains($0) }) {
            throw Problem(description: "\(place): unknown field \(unknown) (known: \(fields.sorted().joined(separator: ", ")))")
        }
        guard let name = object["name"] as? String, isValidName(name) else {
            throw Problem(description: "\(place): name must be 1-40 lower-case letters, digits, '-' or '_'")
        }
        let here = "\(place) (\(name))"
        guard !ProviderPreset.all.contains(where: { $0.name == name }), name != "demo" else {
            throw Problem(description: "\(here): \(name) is a built-in provider; configure it with its environment variables or pick another name")
        }
        guard let text = object["base_url"] as? String, let url = UpstreamURL(text) else {
            throw Problem(description: "\(here): base_url must be an http(s) URL")
        }
        var entry = Entry(name: name, baseURL: url)
        if let value = object["format"] {
            guard let text = value as? String, let format = WireFormat(rawValue: text) else {
                throw Problem(description: "\(here): format must be openai, anthropic or gemini")
            }
            entry.format = format
        }
        if let value = object["api_key_env"] {
            guard let variable = value as? String, !variable.isEmpty,
                  variable.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw Problem(description: "\(here): api_key_env must be the name of an environment variable")
            }
            entry.apiKeyVariable = variable
        }
        entry.models = try strings(object["models"], "models", here)
        entry.fallback = try strings(object["fallback"], "fallback", here)
        if let value = object["default_model"] {
            guard let model = value as? String, !model.isEmpty else { throw Problem(description: "\(here): default_model must be a string") }
            entry.defaultModel = model
        }
        if let value = object["headers"] {
            guard let headers = value as? [String: String] else {
                throw Problem(description: "\(here): headers must be an object of strings")
            }
            for (field, value) in headers {
                guard HeaderFields.isValidName(field), HeaderFields.isValidValue(value) else {
                    throw Problem(description: "\(here): header \(field) is not a valid HTTP field")
                }
                guard !reservedHeaders.contains(field.lowercased()) else {
                    throw Problem(description: "\(here): header \(field) is set by relayd")
                }
            }
            entry.headers = headers
        }
        guard entry.defaultModel != nil || !entry.models.isEmpty else {
            throw Problem(description: "\(here): give models or default_model (there is no default to fall back on)")
        }
        return entry
    }

    private static func strings(_ value: Any?, _ field: String, _ place: String) throws(Problem) -> [String] {
        guard let value else { return [] }
        guard let list = value as? [String], list.allSatisfy({ !$0.isEmpty }) else {
            throw Problem(description: "\(place): \(field) must be a list of names")
        }
        return list
    }

    static func isValidName(_ name: String) -> Bool {
        (1...40).contains(name.utf8.count)
            && name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x5F }
    }

    /// The entries that can be used (key present, or none needed), as providers, and the
    /// fallback chains they name.
    public func providers(environment: [String: String], client: UpstreamClient,
                          retryPolicy: RetryPolicy = RetryPolicy()) -> (providers: [HTTPProvider], fallbacks: [String: [String]], skipped: [String]) {
        var providers: [HTTPProvider] = []
        var fallbacks: [String: [String]] = [:]
        var skipped: [String] = []
        for entry in entries {
            var key: String?
            if let variable = entry.apiKeyVariable {
                guard let value = environment[variable], !value.isEmpty else {
                    skipped.append(entry.name)
                    continue
                }
                key = value
            }
            var provider = HTTPProvider(name: entry.name, format: entry.format, baseURL: entry.baseURL, apiKey: key,
                                        defaultModel: entry.defaultModel ?? entry.models[0], allowedModels: entry.models, client: client)
            provider.retryPolicy = retryPolicy
            provider.extraHeaders = HeaderFields(entry.headers.sorted { $0.key < $1.key }.map { HeaderFields.Field(name: $0.key, value: $0.value) })
            providers.append(provider)
            if !entry.fallback.isEmpty { fallbacks[entry.name] = entry.fallback }
        }
        return (providers, fallbacks, skipped)
    }
}
