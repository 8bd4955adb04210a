import Foundation
import SSE
import Testing
@testable import Upstream

@Suite("OpenAI-compatible stream decoder")
struct OpenAIStreamDecoderTests {
    @Test func plainStreamWithIncludeUsage() {
        let events = openAI(Fixtures.openAIPlain)
        #expect(events.content == Fixtures.openAIPlainText)
        #expect(events.reasoning.isEmpty)
        #expect(events.contentDeltaCount == 8) // the role-only first delta (content "") yields nothing
        #expect(events.first == .delta(content: "Hello", reasoning: nil))
        #expect(events.last == .done(.stop, Usage(promptTokens: 19, completionTokens: 18)))
    }

    @Test func crlfLineEndsGiveTheSameEvents() {
        let lf = openAI(Fixtures.openAIPlain)
        let crlfBody = crlf(Fixtures.openAIPlain)
        #expect(crlfBody.utf8.count > Fixtures.openAIPlain.utf8.count)
        #expect(openAI(crlfBody) == lf)
        // Bare CR line ends are legal SSE too.
        #expect(openAI(Fixtures.openAIPlain.replacingOccurrences(of: "\n", with: "\r")) == lf)
    }

    @Test func lengthFinishReason() {
        let events = openAI(Fixtures.openAILength)
        #expect(events.content == "Once upon a time,")
        #expect(events.last == .done(.length, Usage(promptTokens: 14, completionTokens: 5)))
    }

    @Test func toolCallsEmitNoTextFromArgumentJSON() {
        let events = openAI(Fixtures.openAIToolCalls)
        #expect(events == [.done(.toolCalls, Usage(promptTokens: 81, completionTokens: 17))])
    }

    @Test func deepSeekReasoningComesFirstAndNeverMixesIntoContent() {
        let events = openAI(Fixtures.deepSeekReasoner)
        #expect(events.reasoning == "Okay, the user asks whether 9.11 > 9.8.\n0.8 > 0.11, so 9.8 is larger.")
        #expect(events.content == "**9.8** is greater than 9.11.")
        #expect(events.reasoningDeltaCount == 4)
        #expect(events.contentDeltaCount == 3)
        #expect(events.reasoningPrecedesContent)
        #expect(!events.content.contains("Okay"))
        #expect(events.last == .done(.stop, Usage(promptTokens: 17, completionTokens: 212)))
    }

    @Test func openRouterCommentsAndReasoningField() {
        let parsed = items(Fixtures.openRouterReasoning)
        #expect(parsed.filter { $0 == .comment("OPENROUTER PROCESSING") }.count == 3)
        var decoder = OpenAIStreamDecoder()
        #expect(decoder.decode(.comment("OPENROUTER PROCESSING")).isEmpty)
        #expect(!decoder.isFinished)

        let events = openAI(Fixtures.openRouterReasoning)
        #expect(events.reasoning == "The user wants a haiku.")
        #expect(events.content == "Autumn moonlight—\na worm digs silently\ninto the chestnut.")
        #expect(events.reasoningPrecedesContent)
        // The usage chunk after the finishing one (with `finish_reason: null`) keeps `.stop`.
        #expect(events.last == .done(.stop, Usage(promptTokens: 12, completionTokens: 96)))
    }

    @Test func moonshotUsageInsideTheChoice() {
        let events = openAI(Fixtures.moonshot)
        #expect(events.content == "你好，我是 Kimi。")
        #expect(events.last == .done(.stop, Usage(promptTokens: 19, completionTokens: 7)))
    }

    @Test func groqUsageInXGroq() {
        let events = openAI(Fixtures.groq)
        #expect(events.content == "Fast inference matters.")
        #expect(events.last == .done(.stop, Usage(promptTokens: 42, completionTokens: 4)))
    }

    @Test func ollamaCompatibleStream() {
        let events = openAI(Fixtures.ollama)
        #expect(events.reasoning == "Simple greeting.")
        #expect(events.content == "Hi there!")
        #expect(events.reasoningPrecedesContent)
        #expect(events.last == .done(.stop, Usage(promptTokens: 31, completionTokens: 12)))
    }

    // MARK: in-band errors

    @Test func errorObjectWithRateLimitType() {
        let events = openAI(Fixtures.openAIRateLimitError)
        #expect(events.content == "The answer is")
        expectFailure(events, .upstreamRateLimited, retryable: true)
        #expect(events.last?.error?.message.hasPrefix("Rate limit reached for gpt-4o") == true)
    }

    @Test func openAIRateLimitKindIsInCode() {
        // OpenAI's `type` names the limited resource ("tokens"); the kind is `code`.
        expectFailure(openAI(Fixtures.openAIRateLimitTokens), .upstreamRateLimited, retryable: true)
    }

    @Test func insufficientQuotaIsNotRetryable() {
        let events = openAI(Fixtures.openAIInsufficientQuota)
        expectFailure(events, .upstreamRateLimited, retryable: false)
        #expect(events.last?.error?.message.contains("You exceeded your current quota") == true)
    }

    @Test func vLLMObjectError() {
        let events = openAI(Fixtures.vLLMError)
        #expect(events.content.isEmpty)
        expectFailure(events, .badRequest, retryable: false)
        #expect(events.last?.error?.message.hasPrefix("This model's maximum context length") == true)
    }

    @Test func openRouterErrorObjectWithFinishReasonError() {
        let events = openAI(Fixtures.openRouterProviderError)
        #expect(events.content == "Sure, here")
        expectFailure(events, .upstreamUnavailable, retryable: true) // code 502
        #expect(events.last?.error?.message == "Provider disconnected unexpectedly")
    }

    @Test func finishReasonErrorAlone() {
        let events = openAI(Fixtures.openRouterFinishReasonError)
        // The text that came with the failing chunk is still relayed, before the failure.
        #expect(events.content == "Partial answ")
        expectFailure(events, .upstreamError, retryable: true)
    }

    @Test func errorEventWithJSONData() {
        let events = openAI(Fixtures.openAIEventError)
        #expect(events.content == "The answer is")
        expectFailure(events, .upstreamUnavailable, retryable: true)
        #expect(events.last?.error?.message == "upstream service temporarily unavailable, please retry")
    }

    @Test func errorEventWithTextData() {
        let events = openAI(Fixtures.openAIEventErrorText)
        expectFailure(events, .upstreamError, retryable: false)
        #expect(events.last?.error?.message == "internal proxy error")
    }

    @Test func zhipuArrearsIsNotRetryable() {
        let events = openAI(Fixtures.zhipuArrears)
        #expect(events.content == "好的")
        expectFailure(events, .upstreamRateLimited, retryable: false)
        #expect(events.last?.error?.message.contains("您的账户已欠费") == true)
    }

    @Test func zhipuNumericCodeIsAlsoRecognized() {
        var decoder = OpenAIStreamDecoder()
        let events = decoder.decode(.event(ServerSentEvent(data: #"{"error":{"code":1113,"message":"余额不足"}}"#)))
        expectFailure(events, .upstreamRateLimited, retryable: false)
    }

    /// In-band error bodies as the providers write them: the kind may be in `type`, in `code`
    /// (string or number), or in both.
    @Test(arguments: [
        (#"{"error":{"message":"Incorrect API key provided: sk-proj-****abcd.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#, ProviderError.Code.upstreamAuth, false),
        (#"{"error":{"message":"This model's maximum context length is 128000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"#, .badRequest, false),
        (#"{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}"#, .upstreamError, true),
        (#"{"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#, .upstreamRateLimited, true),
        (#"{"error":{"code":"1113","message":"余额不足或无可用资源包,请充值。"}}"#, .upstreamRateLimited, false),
        (#"{"error":{"code":"11130","message":"not the arrears code"}}"#, .upstreamError, false),
        (#"{"error":{"code":429,"message":"Provider returned error","metadata":{"provider_name":"Chutes"}}}"#, .upstreamRateLimited, true),
        (#"{"object":"error","message":"The model `llama-9` does not exist.","type":"NotFoundError","param":null,"code":404}"#, .badRequest, false),
    ])
    func inBandErrorBodies(_ data: String, _ code: ProviderError.Code, _ retryable: Bool) {
        var decoder = OpenAIStreamDecoder()
        let events = decoder.decode(.event(ServerSentEvent(data: data)))
        #expect(events.count == 1)
        expectFailure(events, code, retryable: retryable)
        #expect(decoder.isFinished)
    }

    @Test func nonJSONNoiseIsIgnored() {
        var decoder = OpenAIStreamDecoder()
        #expect(decoder.decode(.event(ServerSentEvent(data: "keep-alive"))).isEmpty)
        #expect(decoder.decode(.retry(3000)).isEmpty)
        #expect(!decoder.isFinished)
    }

    // MARK: truncation and the end

    @Test func contentThenEOFIsTruncated() {
        let events = openAI(Fixtures.openAITruncated)
        #expect(events.content == "The answer is")
        expectFailure(events, .upstreamTruncated, retryable: true)
    }

    @Test func eofInsideAnEventIsTruncated() {
        let events = openAI(Fixtures.openAITruncatedMidEvent)
        #expect(events.content == "The answer is")
        expectFailure(events, .upstreamTruncated, retryable: true)
    }

    @Test func emptyBodyIsTruncated() {
        expectFailure(openAI(""), .upstreamTruncated, retryable: true)
    }

    @Test func finishReasonWithoutDoneIsLenientlyDone() {
        let events = openAI(Fixtures.openAIFinishWithoutDone)
        #expect(events.content == "The answer is 42.")
        #expect(events.last == .done(.stop, nil)) // the usage chunk never came
    }

    @Test func finishReasonAndUsageWithoutDoneKeepUsage() {
        // Drop only the final `data: [DONE]` event from the full fixture.
        let body = Fixtures.openAILength.replacingOccurrences(of: "data: [DONE]\n\n", with: "")
        #expect(body != Fixtures.openAILength)
        #expect(openAI(body).last == .done(.length, Usage(promptTokens: 14, completionTokens: 5)))
    }

    @Test func eventsAfterDoneAreIgnored() {
        let events = openAI(Fixtures.openAIAfterDone)
        #expect(events == openAI(Fixtures.openAIPlain))
        #expect(!events.content.contains("LEAKED"))
    }

    @Test func finishedDecoderIgnoresEverything() {
        let (events, finished) = decodeOnce({ OpenAIStreamDecoder() }, [Array(Fixtures.openAIPlain.utf8)[...]], finish: false)
        #expect(events.last == .done(.stop, Usage(promptTokens: 19, completionTokens: 18)))
        var decoder = finished
        #expect(decoder.isFinished)
        for item in items(Fixtures.openAIPlain) + items(Fixtures.openAIRateLimitError) {
            #expect(decoder.decode(item).isEmpty)
        }
        #expect(decoder.finish().isEmpty)
        #expect(decoder.isFinished)
    }

    @Test func failedDecoderIgnoresEverything() {
        var decoder = OpenAIStreamDecoder()
        var events: [ProviderEvent] = []
        for item in items(Fixtures.openAIRateLimitError) { events += decoder.decode(item) }
        #expect(decoder.isFinished)
        expectFailure(events, .upstreamRateLimited, retryable: true)
        for item in items(Fixtures.openAIPlain) { #expect(decoder.decode(item).isEmpty) }
        #expect(decoder.finish().isEmpty)
    }

    @Test func notFinishedUntilTheEnd() {
        var decoder = OpenAIStreamDecoder()
        let all = items(Fixtures.openAIPlain)
        for item in all.dropLast() {
            _ = decoder.decode(item)
            #expect(!decoder.isFinished)
        }
        #expect(decoder.decode(all.last!) == [.done(.stop, Usage(promptTokens: 19, completionTokens: 18))])
        #expect(decoder.isFinished)
    }

    @Test func finishAfterTruncationOnlyOnce() {
        var decoder = OpenAIStreamDecoder()
        for item in items(Fixtures.openAITruncated) { _ = decoder.decode(item) }
        #expect(!decoder.isFinished)
        expectFailure(decoder.finish(), .upstreamTruncated, retryable: true)
        #expect(decoder.isFinished)
        #expect(decoder.finish().isEmpty)
    }

    @Test func aNullErrorKeyIsNotAnError() {
        var decoder = OpenAIStreamDecoder()
        var parser = EventStreamParser()
        let body = #"data: {"id":"x","error":null,"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":null}]}"# + "\n\n"
        let events = ((try? parser.parse(Array(body.utf8))) ?? []).flatMap { decoder.decode($0) }
        #expect(events == [.delta(content: "ok", reasoning: nil)])
        #expect(!decoder.isFinished)
    }

    @Test func zhipuConcurrencyCodesAreRetryableRateLimits() {
        for code in ["1302", "1303", "1305"] {
            let error = UpstreamErrorMapping.error(type: code, message: "busy")
            #expect(error.code == .upstreamRateLimited, "\(code)")
            #expect(error.retryable, "\(code)")
        }
    }

    /// Negative or absurd token counts from a provider are not passed on as usage.
    @Test func hostileTokenCountsAreIgnored() {
        let events = openAI(#"""
        data: {"choices":[{"delta":{"content":"a"},"finish_reason":"stop"}],"usage":{"prompt_tokens":-5,"completion_tokens":1}}

        data: [DONE]

        """# + "\n")
        #expect(events.last == .done(.stop, nil))
        let huge = openAI(#"""
        data: {"choices":[{"delta":{"content":"a"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1e300}}

        data: [DONE]

        """# + "\n")
        #expect(huge.last == .done(.stop, nil))
    }
}
