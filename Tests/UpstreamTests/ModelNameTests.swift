import Testing
@testable import Upstream

/// The model name rule (a client's model travels with the operator's key) and Gemini's path
/// segment, the second line of defence.
@Suite("model names")
struct ModelNameTests {
    @Test(arguments: [
        "gpt-4o-mini", "deepseek-chat", "qwen-plus", "moonshot-v1-8k", "claude-3-5-sonnet-20241022", "gemini-1.5-flash",
        "models/gemini-2.0-flash", "accounts/fireworks/models/llama-v3p1-8b-instruct", "llama3.1:8b", "glm-4_flash", "a", "ok+bytewise",
        String(repeating: "m", count: 128),
    ])
    func realNamesAreValid(_ name: String) {
        #expect(ModelName.isValid(name))
    }

    @Test(arguments: [
        "", "../../files", "ok/../../x", "a//b", "/abs", "trailing/", ".hidden", "a/./b", "-flag", "a;b", "a@b", "a?b", "a#b",
        "a%2Fb", "a b", "a\nb", "a\u{7F}", "mödel", "a\\b", String(repeating: "m", count: 129),
    ])
    func othersAreNot(_ name: String) {
        #expect(!ModelName.isValid(name))
    }

    @Test func geminiGetsOneSegment() {
        #expect(ModelName.geminiPathSegment("gemini-1.5-flash") == "gemini-1.5-flash")
        #expect(ModelName.geminiPathSegment("models/gemini-2.0-flash") == "gemini-2.0-flash")
        #expect(ModelName.geminiPathSegment("x/../../files;a@b") == "x%2F..%2F..%2Ffiles%3Ba%40b")
        #expect(ModelName.geminiPathSegment("m:generateContent?key=1#") == "m%3AgenerateContent%3Fkey%3D1%23")
        #expect(ModelName.geminiPathSegment("..") == "%2E%2E")
        #expect(ModelName.geminiPathSegment("ok+slow") == "ok%2Bslow")
        let (path, _, _) = WireFormat.gemini.request(ChatRequest(id: "c", messages: [ChatMessage(role: "user", content: "hi")]),
                                                     model: "a/../b", apiKey: nil)
        #expect(path == "/models/a%2F..%2Fb:streamGenerateContent?alt=sse")
    }

    @Test func anyModelProviderAllowsOnlyValidNames() {
        let provider = HTTPProvider(name: "p", format: .gemini, baseURL: UpstreamURL("http://127.0.0.1:1/v1beta")!,
                                    apiKey: "k", defaultModel: "gemini-1.5-flash", client: UpstreamClient(tls: nil))
        #expect(provider.allows(model: "gemini-1.5-flash"))
        #expect(!provider.allows(model: "x/../../files"))
    }
}
