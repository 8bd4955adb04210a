import Foundation
import SSE
import Testing
@testable import Upstream

@Suite("Anthropic stream decoder")
struct AnthropicStreamDecoderTests {
    @Test func fullTextStream() {
        let events = anthropic(Fixtures.anthropicText)
        #expect(events.content == Fixtures.anthropicTextContent)
        #expect(events.contentDeltaCount == 3)
        #expect(events.reasoning.isEmpty)
        #expect(events.last == .done(.stop, Usage(promptTokens: 472, completionTokens: 21)))
    }

    @Test func crlfLineEndsGiveTheSameEvents() {
        #expect(anthropic(crlf(Fixtures.anthropicText)) == anthropic(Fixtures.anthropicText))
    }

    @Test func thinkingIsReasoningAndTheSignatureIsNeverEmitted() {
        let events = anthropic(Fixtures.anthropicThinking)
        #expect(events.reasoning == "Let me solve this step by step:\n\n1. First break down 27 * 453\n2. 453 = 400 + 50 + 3")
        #expect(events.content == "27 * 453 = 12,231")
        #expect(events.reasoningDeltaCount == 2)
        #expect(events.contentDeltaCount == 1)
        #expect(events.reasoningPrecedesContent)
        #expect(!(events.content + events.reasoning).contains("EqQBCgIYAhIM"))
        #expect(events.last == .done(.stop, Usage(promptTokens: 85, completionTokens: 192)))
    }

    @Test func maxTokensIsLength() {
        let events = anthropic(Fixtures.anthropicMaxTokens)
        #expect(events.content == "In the beginning")
        #expect(events.last == .done(.length, Usage(promptTokens: 14, completionTokens: 4)))
    }

    @Test func toolUseEmitsNoJSONAsText() {
        let events = anthropic(Fixtures.anthropicToolUse)
        #expect(events.content == "Okay, let's check the weather for San Francisco, CA:")
        #expect(!events.content.contains("location"))
        #expect(events.contentDeltaCount == 1)
        #expect(events.last == .done(.toolCalls, Usage(promptTokens: 472, completionTokens: 89)))
    }

    @Test func overloadedErrorIsUnavailableAndRetryable() {
        let events = anthropic(Fixtures.anthropicOverloaded)
        #expect(events.content == "Working on")
        expectFailure(events, .upstreamUnavailable, retryable: true)
        #expect(events.last?.error?.message == "Overloaded")
    }

    @Test func rateLimitError() {
        let events = anthropic(Fixtures.anthropicRateLimited)
        expectFailure(events, .upstreamRateLimited, retryable: true)
        #expect(events.last?.error?.message.hasPrefix("This request would exceed the rate limit") == true)
    }

    @Test func noMessageStopIsTruncated() {
        let events = anthropic(Fixtures.anthropicTruncated)
        #expect(events.content == "Working on")
        expectFailure(events, .upstreamTruncated, retryable: true)
        expectFailure(anthropic(""), .upstreamTruncated, retryable: true)
    }

    @Test func pingAndCommentsYieldNothing() {
        var decoder = AnthropicStreamDecoder()
        #expect(decoder.decode(.event(ServerSentEvent(type: "ping", data: #"{"type": "ping"}"#))).isEmpty)
        #expect(decoder.decode(.comment("keep-alive")).isEmpty)
        #expect(!decoder.isFinished)
    }

    @Test func finishedDecoderIgnoresEverything() {
        var decoder = AnthropicStreamDecoder()
        let all = items(Fixtures.anthropicText)
        var events: [ProviderEvent] = []
        for item in all.dropLast() {
            events += decoder.decode(item)
            #expect(!decoder.isFinished)
        }
        events += decoder.decode(all.last!)
        #expect(decoder.isFinished)
        #expect(events.last == .done(.stop, Usage(promptTokens: 472, completionTokens: 21)))
        for item in items(Fixtures.anthropicThinking) + items(Fixtures.anthropicOverloaded) {
            #expect(decoder.decode(item).isEmpty)
        }
        #expect(decoder.finish().isEmpty)
    }

    @Test func failedDecoderIgnoresEverything() {
        var decoder = AnthropicStreamDecoder()
        var events: [ProviderEvent] = []
        for item in items(Fixtures.anthropicOverloaded) { events += decoder.decode(item) }
        #expect(decoder.isFinished)
        expectFailure(events, .upstreamUnavailable, retryable: true)
        for item in items(Fixtures.anthropicText) { #expect(decoder.decode(item).isEmpty) }
        #expect(decoder.finish().isEmpty)
    }

    /// Negative or absurd token counts from a provider read as missing.
    @Test func hostileTokenCountsAreIgnored() {
        let events = anthropic(#"""
        event: message_start
        data: {"type":"message_start","message":{"usage":{"input_tokens":-7,"output_tokens":9223372036854775807}}}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":-1}}

        event: message_stop
        data: {"type":"message_stop"}

        """# + "\n")
        #expect(events.last == .done(.stop, nil))
    }
}
