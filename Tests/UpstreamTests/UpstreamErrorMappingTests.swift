import Foundation
import SSE
import Testing
@testable import Upstream

struct MappingCase: Sendable, CustomTestStringConvertible {
    var status: Int?
    var type: String?
    var code: ProviderError.Code
    var retryable: Bool

    var testDescription: String { "status \(status.map(String.init) ?? "-") type \(type ?? "-")" }
}

@Suite("upstream error mapping")
struct UpstreamErrorMappingTests {
    static let cases: [MappingCase] = [
        MappingCase(status: 401, type: nil, code: .upstreamAuth, retryable: false),
        MappingCase(status: 403, type: nil, code: .upstreamAuth, retryable: false),
        MappingCase(status: nil, type: "authentication_error", code: .upstreamAuth, retryable: false),
        MappingCase(status: nil, type: "permission_error", code: .upstreamAuth, retryable: false),
        MappingCase(status: nil, type: "invalid_api_key", code: .upstreamAuth, retryable: false),
        MappingCase(status: 429, type: nil, code: .upstreamRateLimited, retryable: true),
        MappingCase(status: nil, type: "rate_limit_error", code: .upstreamRateLimited, retryable: true),
        MappingCase(status: nil, type: "RESOURCE_EXHAUSTED", code: .upstreamRateLimited, retryable: true),
        MappingCase(status: 429, type: "RESOURCE_EXHAUSTED", code: .upstreamRateLimited, retryable: true),
        MappingCase(status: 529, type: nil, code: .upstreamUnavailable, retryable: true),
        MappingCase(status: 500, type: nil, code: .upstreamUnavailable, retryable: true),
        MappingCase(status: 502, type: nil, code: .upstreamUnavailable, retryable: true),
        MappingCase(status: 503, type: nil, code: .upstreamUnavailable, retryable: true),
        MappingCase(status: 504, type: nil, code: .upstreamUnavailable, retryable: true),
        MappingCase(status: nil, type: "overloaded_error", code: .upstreamUnavailable, retryable: true),
        MappingCase(status: 503, type: "UNAVAILABLE", code: .upstreamUnavailable, retryable: true),
        MappingCase(status: 400, type: nil, code: .badRequest, retryable: false),
        MappingCase(status: 404, type: nil, code: .badRequest, retryable: false),
        MappingCase(status: 413, type: nil, code: .badRequest, retryable: false),
        MappingCase(status: 422, type: nil, code: .badRequest, retryable: false),
        MappingCase(status: nil, type: "invalid_request_error", code: .badRequest, retryable: false),
        MappingCase(status: nil, type: "not_found_error", code: .badRequest, retryable: false),
        MappingCase(status: 400, type: "INVALID_ARGUMENT", code: .badRequest, retryable: false),
        MappingCase(status: nil, type: "insufficient_quota", code: .upstreamRateLimited, retryable: false),
        MappingCase(status: 429, type: "insufficient_quota", code: .upstreamRateLimited, retryable: false),
        MappingCase(status: nil, type: "1113", code: .upstreamRateLimited, retryable: false),
        MappingCase(status: 429, type: "1113", code: .upstreamRateLimited, retryable: false),
        MappingCase(status: 402, type: "billing_hard_limit_reached", code: .upstreamRateLimited, retryable: false),
        MappingCase(status: nil, type: "api_error", code: .upstreamError, retryable: true),
        MappingCase(status: nil, type: "server_error", code: .upstreamError, retryable: true),
        MappingCase(status: nil, type: "something_new", code: .upstreamError, retryable: false),
        MappingCase(status: nil, type: nil, code: .upstreamError, retryable: false),
        MappingCase(status: 418, type: nil, code: .upstreamError, retryable: false),
    ]

    @Test(arguments: cases)
    func mapsStatusAndType(_ row: MappingCase) {
        let error = UpstreamErrorMapping.error(status: row.status, type: row.type, message: "boom")
        #expect(error.code == row.code)
        #expect(error.retryable == row.retryable)
        #expect(error.message.contains("boom"))
    }

    @Test(arguments: cases)
    func messagesAreCappedAt500Characters(_ row: MappingCase) {
        let long = String(repeating: "é", count: 2000) // multi-byte, so characters ≠ bytes
        let error = UpstreamErrorMapping.error(status: row.status, type: row.type, message: long)
        #expect(error.message.count <= 500)
        #expect(error.message.count >= 400) // still carries the provider's text
    }

    @Test func shortMessagesAreKeptWholeAndCappedOnesArePrefixes() {
        let long = String((0..<2000).map { Character(UnicodeScalar(UInt8(0x61 + $0 % 26))) })
        let error = UpstreamErrorMapping.error(status: 503, message: long)
        #expect(error.message == String(long.prefix(500)))
        #expect(UpstreamErrorMapping.error(status: 503, message: "exactly this").message == "exactly this")
    }

    @Test func missingOrEmptyMessageGetsADefault() {
        #expect(!UpstreamErrorMapping.error(status: 500, message: nil).message.isEmpty)
        #expect(!UpstreamErrorMapping.error(status: 500, message: "").message.isEmpty)
    }
}

@Suite("fixtures")
struct FixtureSanityTests {
    static let complete: [(String, String)] = [
        ("openAIPlain", Fixtures.openAIPlain), ("openAILength", Fixtures.openAILength),
        ("openAIToolCalls", Fixtures.openAIToolCalls), ("deepSeekReasoner", Fixtures.deepSeekReasoner),
        ("openRouterReasoning", Fixtures.openRouterReasoning), ("moonshot", Fixtures.moonshot),
        ("groq", Fixtures.groq), ("ollama", Fixtures.ollama), ("anthropicText", Fixtures.anthropicText),
        ("anthropicThinking", Fixtures.anthropicThinking), ("anthropicMaxTokens", Fixtures.anthropicMaxTokens),
        ("anthropicToolUse", Fixtures.anthropicToolUse), ("geminiText", Fixtures.geminiText),
        ("geminiThoughts", Fixtures.geminiThoughts), ("geminiMaxTokens", Fixtures.geminiMaxTokens),
        ("geminiSafety", Fixtures.geminiSafety), ("geminiPromptBlocked", Fixtures.geminiPromptBlocked),
        ("openAIRateLimitError", Fixtures.openAIRateLimitError), ("openAIRateLimitTokens", Fixtures.openAIRateLimitTokens),
        ("openAIInsufficientQuota", Fixtures.openAIInsufficientQuota), ("vLLMError", Fixtures.vLLMError),
        ("openRouterProviderError", Fixtures.openRouterProviderError),
        ("openRouterFinishReasonError", Fixtures.openRouterFinishReasonError),
        ("openAIEventError", Fixtures.openAIEventError), ("zhipuArrears", Fixtures.zhipuArrears),
        ("openAIFinishWithoutDone", Fixtures.openAIFinishWithoutDone), ("openAIAfterDone", Fixtures.openAIAfterDone),
        ("anthropicOverloaded", Fixtures.anthropicOverloaded), ("anthropicRateLimited", Fixtures.anthropicRateLimited),
        ("anthropicTruncated", Fixtures.anthropicTruncated), ("geminiRateLimited", Fixtures.geminiRateLimited),
        ("geminiUnavailable", Fixtures.geminiUnavailable), ("geminiTruncated", Fixtures.geminiTruncated),
    ]

    /// Every body ends with the blank line that dispatches its last event, and every
    /// `data:` payload (other than `[DONE]`) is valid JSON: a typo in a fixture would
    /// otherwise be silently skipped by the decoders.
    @Test func completeBodiesEndWithABlankLineAndCarryValidJSON() {
        for (name, body) in Self.complete {
            #expect(body.hasSuffix("}\n\n") || body.hasSuffix("]\n\n") || body.hasSuffix("}\r\n\r\n"), "\(name) must end with a dispatching blank line")
            var parser = EventStreamParser()
            let parsed = (try? parser.parse(Array(body.utf8))) ?? []
            #expect(!parser.hasPartialEvent, "\(name) leaves a partial event")
            var count = 0
            for case .event(let event) in parsed where event.data != "[DONE]" {
                count += 1
                #expect((try? JSONSerialization.jsonObject(with: Data(event.data.utf8))) is [String: Any],
                        "\(name): not a JSON object: \(event.data.prefix(80))")
            }
            #expect(count > 0, "\(name) has no events")
        }
    }

    @Test func truncatedBodiesReallyEndEarly() {
        var parser = EventStreamParser()
        _ = try? parser.parse(Array(Fixtures.openAITruncatedMidEvent.utf8))
        #expect(parser.hasPartialEvent)
        #expect(!Fixtures.openAITruncated.contains("[DONE]") && !Fixtures.openAITruncated.contains(#""finish_reason":"#
            + #""stop""#))
        #expect(!Fixtures.anthropicTruncated.contains("message_stop"))
        #expect(!Fixtures.geminiTruncated.contains("finishReason"))
    }
}
