import Foundation
import Testing
@testable import Upstream

@Suite("custom providers from a file")
struct ProviderFileTests {
    let client = UpstreamClient(tls: nil)

    func parse(_ json: String) throws(ProviderFile.Problem) -> ProviderFile {
        try ProviderFile(json: Data(json.utf8))
    }

    @Test func aFullEntryIsRead() throws {
        let file = try parse(#"""
        {"providers": [
          {"name": "corp", "base_url": "https://llm.corp.example/v1/", "api_key_env": "CORP_KEY", "format": "openai",
           "models": ["big", "small"], "default_model": "small", "fallback": ["deepseek"], "headers": {"X-Team": "chat"}},
          {"name": "local-claude", "base_url": "http://127.0.0.1:4000", "format": "anthropic", "default_model": "claude"}
        ]}
        """#)
        #expect(file.entries.count == 2)
        let corp = file.entries[0]
        #expect(corp.baseURL.description == "https://llm.corp.example/v1")
        #expect(corp.apiKeyVariable == "CORP_KEY")
        #expect(corp.fallback == ["deepseek"])
        #expect(file.entries[1].format == .anthropic)
        #expect(file.entries[1].apiKeyVariable == nil)

        let (providers, fallbacks, skipped) = file.providers(environment: ["CORP_KEY": "k"], client: client)
        #expect(providers.map(\.name) == ["corp", "local-claude"])
        #expect(providers[0].defaultModel == "small")
        #expect(providers[0].allows(model: "big") && !providers[0].allows(model: "other"))
        #expect(providers[0].extraHeaders["x-team"] == "chat")
        #expect(providers[1].allows(model: "anything"), "no list: any model name")
        #expect(fallbacks == ["corp": ["deepseek"]])
        #expect(skipped.isEmpty)
    }

    @Test func anEntryWithoutItsKeyIsOff() throws {
        let file = try parse(#"{"providers":[{"name":"corp","base_url":"https://x.example/v1","api_key_env":"CORP_KEY","models":["m"]}]}"#)
        let (providers, _, skipped) = file.providers(environment: ["CORP_KEY": ""], client: client)
        #expect(providers.isEmpty)
        #expect(skipped == ["corp"])
    }

    @Test(arguments: [
        (#"[]"#, "must be"),
        (#"{"providers":[{"name":"corp","base_url":"https://x/v1","models":["m"],"api_key":"sk-123"}]}"#, "api_key_env"),
        (#"{"providers":[{"name":"corp","base_url":"https://x/v1","models":["m"],"modles":["m"]}]}"#, "unknown field modles"),
        (#"{"providers":[{"name":"Corp!","base_url":"https://x/v1","models":["m"]}]}"#, "name must be"),
        (#"{"providers":[{"name":"openai","base_url":"https://x/v1","models":["m"]}]}"#, "built-in"),
        (#"{"providers":[{"name":"demo","base_url":"https://x/v1","models":["m"]}]}"#, "built-in"),
        (#"{"providers":[{"name":"corp","base_url":"ftp://x/v1","models":["m"]}]}"#, "base_url"),
        (#"{"providers":[{"name":"corp","base_url":"https://x/v1","format":"cohere","models":["m"]}]}"#, "format"),
        (#"{"providers":[{"name":"corp","base_url":"https://x/v1"}]}"#, "default_model"),
        (#"{"providers":[{"name":"corp","base_url":"https://x/v1","models":["m"],"headers":{"Authorization":"x"}}]}"#, "set by relayd"),
        (#"{"providers":[{"name":"corp","base_url":"https://x/v1","models":["m"],"headers":{"X-A":"a\r\nb"}}]}"#, "not a valid"),
        (#"{"providers":[{"name":"c","base_url":"https://x/v1","models":["m"]},{"name":"c","base_url":"https://y/v1","models":["m"]}]}"#, "twice"),
        (#"{"providers":[{"name":"corp","base_url":"https://x/v1","api_key_env":"MY KEY","models":["m"]}]}"#, "api_key_env"),
    ])
    func mistakesAreExplained(json: String, expected: String) {
        do {
            _ = try parse(json)
            Issue.record("accepted: \(json)")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
            #expect(!error.description.contains("sk-123"), "a key in the file is never echoed")
        }
    }

    @Test func fallbacksFromTheFileNameConfiguredProviders() throws {
        let file = try parse(#"{"providers":[{"name":"corp","base_url":"https://x.example/v1","models":["m"],"fallback":["deepseek"]}]}"#)
        let environment = ["DEEPSEEK_API_KEY": "d"]
        let (custom, chains, _) = file.providers(environment: environment, client: client)
        let all: [any Provider] = try ProviderPreset.configured(environment: environment, client: client) + custom
        let wrapped = try ProviderPreset.applyingFallbacks(to: all, environment: environment, chains: chains)
        #expect((wrapped[1] as? FallbackProvider)?.fallbacks.map(\.name) == ["deepseek"])
        #expect(throws: ProviderPreset.Problem.self) {
            _ = try ProviderPreset.applyingFallbacks(to: custom, environment: [:], chains: ["corp": ["qwen"]])
        }
    }
}
