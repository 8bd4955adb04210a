import Foundation
import SSE
import Testing
@testable import Upstream

@Suite("Gemini stream decoder")
struct GeminiStreamDecoderTests {
    @Test func fixturesUseCRLFAsOnTheWire() {
        let bytes = Array(Fixtures.geminiText.utf8)
        #expect(Fixtures.geminiText.hasPrefix("data: {"))
        #expect(Fixtures.geminiText.hasSuffix("}\r\n\r\n"))
        // Every LF is part of a CRLF.
        for index in bytes.indices where bytes[index] == 0x0A {
            #expect(index > 0 && bytes[index - 1] == 0x0D)
        }
    }

    @Test func textStreamWithThoughtsTokensInUsage() {
        let events = gemini(Fixtures.geminiText)
        #expect(events.content == Fixtures.geminiTextContent)
        #expect(events.contentDeltaCount == 3)
        #expect(events.reasoning.isEmpty)
        #expect(events.last == .done(.stop, Usage(promptTokens: 9, completionTokens: 26 + 1002)))
    }

    @Test func lfVariantGivesTheSameEvents() {
        let lf = Fixtures.geminiText.replacingOccurrences(of: "\r\n", with: "\n")
        #expect(gemini(lf) == gemini(Fixtures.geminiText))
    }

    @Test func thoughtPartsAreReasoning() {
        let events = gemini(Fixtures.geminiThoughts)
        #expect(events.reasoning == "**Calculating the product**\n\nI'm multiplying 27 by 453.**Verifying**\n\n27 × 453 = 12,231.")
        #expect(events.content == "27 × 453 = **12,231**")
        #expect(events.reasoningPrecedesContent)
        #expect(events.last == .done(.stop, Usage(promptTokens: 11, completionTokens: 12 + 290)))
    }

    @Test func thoughtAndTextPartsInOneChunkStayApart() {
        var decoder = GeminiStreamDecoder()
        let data = #"{"candidates": [{"content": {"parts": [{"text": "hmm","thought": true},{"text": "Yes."}],"role": "model"},"index": 0}]}"#
        #expect(decoder.decode(.event(ServerSentEvent(data: data))) == [
            .delta(content: nil, reasoning: "hmm"),
            .delta(content: "Yes.", reasoning: nil),
        ])
    }

    @Test func maxTokensIsLength() {
        let events = gemini(Fixtures.geminiMaxTokens)
        #expect(events.content == "Once upon a time, in a land far away")
        #expect(events.last == .done(.length, Usage(promptTokens: 6, completionTokens: 10)))
    }

    @Test func safetyIsContentFilter() {
        let events = gemini(Fixtures.geminiSafety)
        #expect(events.content == "To make")
        #expect(events.last == .done(.contentFilter, Usage(promptTokens: 8, completionTokens: 2)))
    }

    @Test func blockedPromptIsContentFilter() {
        let events = gemini(Fixtures.geminiPromptBlocked)
        #expect(events == [.done(.contentFilter, Usage(promptTokens: 12, completionTokens: 0))])
    }

    @Test func resourceExhaustedIsRateLimitedAndRetryable() {
        let events = gemini(Fixtures.geminiRateLimited)
        #expect(events.content == "Here is")
        expectFailure(events, .upstreamRateLimited, retryable: true)
        #expect(events.last?.error?.message == "Resource has been exhausted (e.g. check quota).")
    }

    @Test func unavailableIsUnavailableAndRetryable() {
        let events = gemini(Fixtures.geminiUnavailable)
        expectFailure(events, .upstreamUnavailable, retryable: true)
        #expect(events.last?.error?.message == "The model is overloaded. Please try again later.")
    }

    @Test func eofWithoutFinishReasonIsTruncated() {
        let events = gemini(Fixtures.geminiTruncated)
        #expect(events.content == "Here is the plan")
        expectFailure(events, .upstreamTruncated, retryable: true)
        expectFailure(gemini(""), .upstreamTruncated, retryable: true)
    }

    @Test func notFinishedUntilTheBodyEnds() {
        var decoder = GeminiStreamDecoder()
        for item in items(Fixtures.geminiText) {
            _ = decoder.decode(item)
            #expect(!decoder.isFinished) // even after finishReason: the end is the end of the body
        }
        #expect(decoder.finish() == [.done(.stop, Usage(promptTokens: 9, completionTokens: 1028))])
        #expect(decoder.isFinished)
        for item in items(Fixtures.geminiThoughts) { #expect(decoder.decode(item).isEmpty) }
        #expect(decoder.finish().isEmpty)
    }

    @Test func failedDecoderIgnoresEverything() {
        var decoder = GeminiStreamDecoder()
        var events: [ProviderEvent] = []
        for item in items(Fixtures.geminiRateLimited) { events += decoder.decode(item) }
        #expect(decoder.isFinished)
        expectFailure(events, .upstreamRateLimited, retryable: true)
        for item in items(Fixtures.geminiText) { #expect(decoder.decode(item).isEmpty) }
        #expect(decoder.finish().isEmpty)
    }

    /// Seen while writing fuzz/ProviderDecoderFuzz.swift (and reproduced with its binary):
    /// candidates + thoughts near Int.max overflowed and trapped. Counts outside 0...2^40 read as missing.
    @Test func hostileTokenCountsAreIgnored() {
        let events = gemini(crlf(#"""
        data: {"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":-3,"candidatesTokenCount":9223372036854775807,"thoughtsTokenCount":1}}

        """# + "\n"))
        #expect(events.last == .done(.stop, Usage(promptTokens: 0, completionTokens: 1)))
    }
}
