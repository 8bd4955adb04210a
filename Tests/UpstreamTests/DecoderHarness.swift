import Foundation
import SSE
import Testing
@testable import Upstream

/// One pass: the body's chunks through a fresh `EventStreamParser` and decoder, then
/// `finish()`. Returns the events and the decoder (to probe it afterwards).
func decodeOnce<D: StreamDecoder>(_ make: () -> D, _ chunks: [ArraySlice<UInt8>], finish: Bool = true,
                                  sourceLocation: SourceLocation = #_sourceLocation) -> (events: [ProviderEvent], decoder: D) {
    var parser = EventStreamParser()
    var decoder = make()
    var events: [ProviderEvent] = []
    for chunk in chunks {
        do {
            for item in try parser.parse(chunk) { events += decoder.decode(item) }
        } catch {
            Issue.record("the SSE parser rejected the fixture: \(error)", sourceLocation: sourceLocation)
        }
    }
    if finish { events += decoder.finish() }
    return (events, decoder)
}

/// Decodes `body` fed whole, one byte at a time, and split in two at every byte position (every
/// Nth for long bodies, at most ~300 cuts), plus a three-way split; all must give identical
/// event sequences (no merging of deltas: one SSE event yields at most one delta per
/// channel, so chunking cannot change them). Also checks the shape every stream must have:
/// exactly one terminal event, last, and no delta mixing content with reasoning.
@discardableResult
func decodeAllWays<D: StreamDecoder>(_ body: String, _ make: () -> D,
                                     sourceLocation: SourceLocation = #_sourceLocation) -> [ProviderEvent] {
    let bytes = Array(body.utf8)
    let whole = decodeOnce(make, [bytes[...]], sourceLocation: sourceLocation).events

    let bytewise = decodeOnce(make, bytes.indices.map { bytes[$0...$0] }, sourceLocation: sourceLocation).events
    #expect(bytewise == whole, "fed one byte at a time: \(bytewise) ≠ \(whole)", sourceLocation: sourceLocation)

    let step = max(1, bytes.count / 300)
    var cut = 0
    while cut <= bytes.count {
        let split = decodeOnce(make, [bytes[..<cut], bytes[cut...]], sourceLocation: sourceLocation).events
        if split != whole {
            Issue.record("split at byte \(cut): \(split) ≠ \(whole)", sourceLocation: sourceLocation)
            break // one report is enough
        }
        cut += step
    }
    let third = bytes.count / 3
    let threeWay = decodeOnce(make, [bytes[..<third], bytes[third..<(2 * third)], bytes[(2 * third)...]],
                              sourceLocation: sourceLocation).events
    #expect(threeWay == whole, "three-way split differs", sourceLocation: sourceLocation)

    let terminals = whole.filter(\.isTerminal)
    #expect(terminals.count == 1, "expected exactly one terminal event, got \(terminals)", sourceLocation: sourceLocation)
    #expect(whole.last?.isTerminal == true, "the last event must be terminal: \(whole)", sourceLocation: sourceLocation)
    for event in whole {
        if case .delta(let content, let reasoning) = event {
            #expect((content == nil) != (reasoning == nil), "a delta must carry exactly one channel: \(event)",
                    sourceLocation: sourceLocation)
            #expect(content?.isEmpty != true && reasoning?.isEmpty != true, "empty delta: \(event)",
                    sourceLocation: sourceLocation)
        }
    }
    return whole
}

func openAI(_ body: String, sourceLocation: SourceLocation = #_sourceLocation) -> [ProviderEvent] {
    decodeAllWays(body, { OpenAIStreamDecoder() }, sourceLocation: sourceLocation)
}

func anthropic(_ body: String, sourceLocation: SourceLocation = #_sourceLocation) -> [ProviderEvent] {
    decodeAllWays(body, { AnthropicStreamDecoder() }, sourceLocation: sourceLocation)
}

func gemini(_ body: String, sourceLocation: SourceLocation = #_sourceLocation) -> [ProviderEvent] {
    decodeAllWays(body, { GeminiStreamDecoder() }, sourceLocation: sourceLocation)
}

extension ProviderEvent {
    var isTerminal: Bool {
        if case .delta = self { return false }
        return true
    }

    var error: ProviderError? {
        if case .failed(let error) = self { return error }
        return nil
    }
}

extension Array where Element == ProviderEvent {
    /// The answer text, joined.
    var content: String {
        compactMap { if case .delta(let content?, _) = $0 { content } else { nil } }.joined()
    }

    /// The thinking text, joined.
    var reasoning: String {
        compactMap { if case .delta(_, let reasoning?) = $0 { reasoning } else { nil } }.joined()
    }

    var contentDeltaCount: Int {
        filter { if case .delta(_?, _) = $0 { true } else { false } }.count
    }

    var reasoningDeltaCount: Int {
        filter { if case .delta(_, _?) = $0 { true } else { false } }.count
    }

    /// Whether every reasoning delta comes before the first content delta.
    var reasoningPrecedesContent: Bool {
        guard let firstContent = firstIndex(where: { if case .delta(_?, _) = $0 { true } else { false } }) else { return true }
        return !self[firstContent...].contains { if case .delta(_, _?) = $0 { true } else { false } }
    }
}

/// Checks that `events` ends in `.failed` with this code and retryability.
func expectFailure(_ events: [ProviderEvent], _ code: ProviderError.Code, retryable: Bool,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    guard let error = events.last?.error else {
        Issue.record("expected .failed(\(code.rawValue)), got \(events.last.map { "\($0)" } ?? "nothing")",
                     sourceLocation: sourceLocation)
        return
    }
    #expect(error.code == code, "code", sourceLocation: sourceLocation)
    #expect(error.retryable == retryable, "retryable", sourceLocation: sourceLocation)
    #expect(!error.message.isEmpty, "message", sourceLocation: sourceLocation)
}

/// The SSE items of a body (to drive a decoder by hand).
func items(_ body: String) -> [EventStreamItem] {
    var parser = EventStreamParser()
    return (try? parser.parse(Array(body.utf8))) ?? []
}
