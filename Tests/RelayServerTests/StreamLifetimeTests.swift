import Foundation
@testable import RelayServer
import Testing
import Upstream

/// What a chat leaves behind once its stream has expired: nothing. Real chats, relayed from
/// a real (fake) upstream over real sockets, on WebSocket and SSE; the test keeps weak
/// references to their `LiveStream`s and checks that every one is freed after the TTL.
/// Each stream holds its events, so a reference cycle through it (the upstream exchange's
/// callbacks, an SSE subscription's rollover closure) leaks a whole answer per chat.
@Suite("what a chat leaves behind")
struct StreamLifetimeTests {
    final class WeakStream {
        weak var stream: LiveStream?
        init(_ stream: LiveStream) { self.stream = stream }
    }

    @Test func streamsAreFreedOnceTheyExpire() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        // The default upstream timeouts (60 s): a timer armed for them must not hold the
        // chat either.
        let client = UpstreamClient(tls: nil)
        let provider = HTTPProvider(name: "openai", format: .openAI, baseURL: UpstreamURL("http://127.0.0.1:\(upstream.port)/v1")!,
                                    apiKey: "sk-test", defaultModel: "ok", client: client)
        var streams = StreamConfiguration()
        streams.ttl = 0.5
        try withServer({ $0.loopCount = 2 }, routes: {
            $0.relayWebSocket("/ws", providers: ProviderRegistry([provider]), streams: streams)
        }) { server, port in
            let store = try #require(server.relay).store
            var kept: [WeakStream] = []
            let rounds = 10

            let socket = try RawWebSocket(port: port)
            for index in 0..<rounds {
                try socket.send(text: #"{"type":"chat","id":"w\#(index)","messages":[{"role":"user","content":"hi"}]}"#)
                var types: [String] = []
                while types.last != "done" && types.last != "error" && types.count < 100 {
                    let event = try json(try socket.readText())
                    types.append(event["type"] as? String ?? "?")
                    if types.count == 1, let id = event["stream_id"] as? String {
                        kept.append(WeakStream(try #require(store.stream(id))))
                    }
                }
                #expect(types.first == "start" && types.last == "done")
            }

            for index in 0..<rounds {
                let body = #"{"id":"s\#(index)","messages":[{"role":"user","content":"hi"}]}"#
                let sse = try RawSSE(port: port, method: "POST", path: "/api/chat/stream", body: body)
                #expect(sse.status == 200)
                let id = try #require(sse.head.header("X-Stream-Id"))
                if let stream = store.stream(id) { kept.append(WeakStream(stream)) }
                let events = try sse.all()
                #expect(events.first?.type == "start" && events.last?.type == "done")
            }
            #expect(kept.count >= rounds + rounds / 2)

            // Expired after 0.5 s; freed as soon as nothing else holds them.
            let deadline = Date().addingTimeInterval(5)
            while Date() < deadline, store.count > 0 || kept.contains(where: { $0.stream != nil }) {
                Thread.sleep(forTimeInterval: 0.05)
            }
            #expect(store.count == 0)
            let alive = kept.filter { $0.stream != nil }.count
            #expect(alive == 0, "\(alive) of \(kept.count) streams outlived their expiry")
            _ = socket
        }
    }
}
