// libFuzzer entry point for the providers' stream decoders (Sources/Upstream/*StreamDecoder.swift):
// a hostile or broken upstream's event stream through the SSE parser and a decoder, as
// HTTPProvider runs them. Built by fuzz/run.sh as one module with those files, the types they
// use (ProviderEvent.swift, ChatRequest.swift) and fuzz/FuzzSupport.swift, against the HTTP1,
// JSON and SSE modules: the rest of Upstream (the HTTPS client, RelayIO, TLS) is not needed.
//
// The first byte picks the decoder (OpenAI-compatible, Anthropic, Gemini); the rest is the
// response body. Checked:
//   - whole, cut at random points and byte by byte: the same events (a decoder's output must
//     not depend on how the body was read);
//   - exactly one terminal event (done or failed), last, after `finish()`; nothing after it
//     (more items and another `finish()` give nothing); `isFinished` then true;
//   - a delta carries exactly one channel, never empty; token counts are never negative;
//     error messages stay within 500 characters.

import SSE

let target = "ProviderDecoder"

func decode<D: StreamDecoder>(_ input: UnsafeBufferPointer<UInt8>, ends: [Int], _ make: () -> D) -> [ProviderEvent] {
    var parser = EventStreamParser()
    var decoder = make()
    var events: [ProviderEvent] = []
    var fed = 0
    for end in ends {
        let part = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: input[fed..<end]))
        fed = end
        guard let items = try? parser.parse(part) else { fuzzFail(target, "the SSE parser gave up on a short input", input) }
        for item in items { events += decoder.decode(item) }
    }
    events += decoder.finish()
    if !decoder.isFinished { fuzzFail(target, "not finished after finish()", input) }
    let more = decoder.decode(.event(ServerSentEvent(data: "{\"choices\":[{\"delta\":{\"content\":\"x\"}}]}")))
        + decoder.decode(.event(ServerSentEvent(type: "message_stop", data: "{\"type\":\"message_stop\"}"))) + decoder.finish()
    if !more.isEmpty { fuzzFail(target, "events after the end: \(more)", input) }
    return events
}

func check(_ events: [ProviderEvent], _ input: UnsafeBufferPointer<UInt8>) {
    func check(_ condition: Bool, _ what: @autoclosure () -> String) {
        if !condition { fuzzFail(target, "\(what()) in \(events)", input) }
    }
    for (index, event) in events.enumerated() {
        switch event {
        case .delta(let content, let reasoning):
            check(index < events.count - 1, "a delta is last")
            check((content == nil) != (reasoning == nil), "a delta with both channels or none")
            check(content?.isEmpty != true && reasoning?.isEmpty != true, "an empty delta")
        case .done(_, let usage):
            check(index == events.count - 1, "done is not last")
            if let usage { check(usage.promptTokens >= 0 && usage.completionTokens >= 0, "negative token counts") }
        case .failed(let error):
            check(index == events.count - 1, "failed is not last")
            check(error.message.count <= 500 && !error.message.isEmpty, "error message of \(error.message.count) characters")
        }
    }
    check(!events.isEmpty, "no terminal event")
}

func fuzzDecoder<D: StreamDecoder>(_ input: UnsafeBufferPointer<UInt8>, _ make: () -> D) {
    let whole = decode(input, ends: [input.count], make)
    check(whole, input)
    for (label, ends) in feedingPlans(count: input.count, seed: fnv1a(input), byteAtATimeLimit: 256) {
        let other = decode(input, ends: ends, make)
        if other != whole { fuzzFail(target, "\(label) differs from whole:\n  whole: \(whole)\n  \(label): \(other)", input) }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let input = UnsafeBufferPointer(start: data + 1, count: size - 1)
    switch data[0] {
    case UInt8(ascii: "o"): fuzzDecoder(input) { OpenAIStreamDecoder() }
    case UInt8(ascii: "a"): fuzzDecoder(input) { AnthropicStreamDecoder() }
    case UInt8(ascii: "g"): fuzzDecoder(input) { GeminiStreamDecoder() }
    default: return -1 // not a decoder: keep out of the corpus
    }
    return 0
}
