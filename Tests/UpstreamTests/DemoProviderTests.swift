import Dispatch
import Foundation
import Testing
@testable import Upstream

/// Runs a provider to completion with timers on a private queue; returns its events.
func collect(_ provider: some Provider, _ request: ChatRequest, model: String) -> [ProviderEvent] {
    let queue = DispatchQueue(label: "test.provider")
    let done = DispatchSemaphore(value: 0)
    let box = EventBox()
    let context = ProviderContext { seconds, work in queue.asyncAfter(deadline: .now() + seconds, execute: work) }
    _ = provider.stream(request, model: model, context: context) { event in
        box.append(event)
        if case .delta = event {} else { done.signal() }
    }
    _ = done.wait(timeout: .now() + 10)
    return box.events
}

final class EventBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [ProviderEvent] = []
    func append(_ event: ProviderEvent) { lock.lock(); stored.append(event); lock.unlock() }
    var events: [ProviderEvent] { lock.lock(); defer { lock.unlock() }; return stored }
}

@Suite("demo provider")
struct DemoProviderTests {
    let request = ChatRequest(id: "t", messages: [ChatMessage(role: "system", content: "be brief"), ChatMessage(role: "user", content: "what is relayd?")])

    @Test func streamsTheDeterministicAnswerTokenByToken() {
        let events = collect(DemoProvider(tokensPerSecond: 2000), request, model: "demo")
        let text = events.compactMap { if case .delta(let content, nil) = $0 { return content } else { return nil } }.joined()
        #expect(text == DemoProvider.answer(to: request))
        #expect(text.contains("what is relayd?"))
        guard case .done(.stop, let usage)? = events.last else { Issue.record("no done: \(events.last.debugDescription)"); return }
        #expect(usage == Usage(promptTokens: 5, completionTokens: events.count - 1))
        #expect(DemoProvider.tokens(text).joined() == text)
    }

    @Test func reasoningComesFirstOnItsOwnChannel() {
        let events = collect(DemoProvider(tokensPerSecond: 2000), request, model: "demo-reasoning")
        guard case .delta(nil, let first?)? = events.first else { Issue.record("first event is not reasoning"); return }
        #expect(!first.isEmpty)
        let kinds = events.map { event -> Int in
            if case .delta(nil, _?) = event { return 0 }
            if case .delta(_?, nil) = event { return 1 }
            return 2
        }
        #expect(kinds == kinds.sorted(), "reasoning, then content, then done")
    }

    @Test func maxTokensEndsWithLength() {
        var limited = request
        limited.maxTokens = 3
        let events = collect(DemoProvider(tokensPerSecond: 2000), limited, model: "demo")
        #expect(events.count == 4)
        guard case .done(.length, _)? = events.last else { Issue.record("expected length"); return }
    }

    @Test func paceIsTheConfiguredRate() {
        let start = Date()
        _ = collect(DemoProvider(tokensPerSecond: 200), request, model: "demo")
        let tokens = DemoProvider.tokens(DemoProvider.answer(to: request)).count
        // Never faster than the pace (a lower bound only: timers can be late, never early).
        #expect(Date().timeIntervalSince(start) >= Double(tokens) / 200 * 0.9)
    }

    @Test func cancellationStopsEmitting() {
        let queue = DispatchQueue(label: "test.cancel")
        let box = EventBox()
        let context = ProviderContext { seconds, work in queue.asyncAfter(deadline: .now() + seconds, execute: work) }
        let cancellation = DemoProvider(tokensPerSecond: 100).stream(request, model: "demo", context: context) { box.append($0) }
        Thread.sleep(forTimeInterval: 0.05)
        cancellation.cancel()
        let count = box.events.count
        Thread.sleep(forTimeInterval: 0.1)
        #expect(box.events.count <= count + 1)
        #expect(cancellation.isCancelled)
    }

    @Test func registryPicksByNameOrDefault() {
        let registry = ProviderRegistry([DemoProvider()])
        #expect(registry.provider(named: nil)?.name == "demo")
        #expect(registry.provider(named: "demo")?.name == "demo")
        #expect(registry.provider(named: "https://evil.example") == nil)
    }
}
