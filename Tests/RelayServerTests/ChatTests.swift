import Dispatch
import Foundation
import RelayServer
import Testing
import Upstream

/// A provider that streams nothing until cancelled, and records the cancellation.
struct HangingProvider: Provider {
    let name = "hanging"
    let models = ["hang"]
    let defaultModel = "hang"
    let counter: Counter
    func stream(_ request: ChatRequest, model: String, context: ProviderContext,
                emit: @escaping @Sendable (ProviderEvent) -> Void) -> ChatCancellation {
        counter.add("started")
        return ChatCancellation { [counter] in counter.add("cancelled") }
    }
}

func chatRoutes(tokensPerSecond: Double = 500, counter: Counter = Counter(), streams: StreamConfiguration = StreamConfiguration(),
                sse: SSEConfiguration = SSEConfiguration()) -> (HTTPServer) -> Void {
    { server in
        server.relayWebSocket("/ws", providers: ProviderRegistry([DemoProvider(tokensPerSecond: tokensPerSecond), HangingProvider(counter: counter)]),
                              streams: streams, sse: sse)
    }
}

func json(_ text: String?) throws -> [String: Any] {
    let text = try #require(text)
    return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

@Suite("chats over WebSocket with the demo provider")
struct ChatTests {
    let hello = #"{"type":"chat","id":"c1","messages":[{"role":"user","content":"hi there"}]}"#

    @Test func aChatStreamsEveryTokenInOrder() throws {
        try withServer(routes: chatRoutes()) { _, port in
            let socket = try RawWebSocket(port: port)
            try socket.send(text: hello)
            let start = try json(try socket.readText())
            #expect(start["type"] as? String == "start")
            #expect(start["id"] as? String == "c1")
            #expect(start["provider"] as? String == "demo")
            #expect(start["model"] as? String == "demo")
            let streamID = try #require(start["stream_id"] as? String)
            #expect(streamID.count == 32 && streamID.allSatisfy(\.isHexDigit))
            var text = ""
            var expectedSeq = 1
            while true {
                let event = try json(try socket.readText())
                #expect(event["id"] as? String == "c1")
                #expect(event["seq"] as? Int == expectedSeq)
                expectedSeq += 1
                if event["type"] as? String == "done" {
                    #expect(event["finish_reason"] as? String == "stop")
                    let usage = try #require(event["usage"] as? [String: Any])
                    #expect(usage["completion_tokens"] as? Int == expectedSeq - 2)
                    break
                }
                #expect(event["type"] as? String == "chunk")
                #expect(event["reasoning"] == nil)
                text += try #require(event["content"] as? String)
            }
            let request = ChatRequest(id: "c1", messages: [ChatMessage(role: "user", content: "hi there")])
            #expect(text == DemoProvider.answer(to: request))
        }
    }

    @Test func cancelStopsTheStreamWithACancelledDone() throws {
        try withServer(routes: chatRoutes(tokensPerSecond: 40)) { _, port in
            let socket = try RawWebSocket(port: port)
            try socket.send(text: hello)
            _ = try socket.readText() // start
            for _ in 0..<3 { #expect(try json(try socket.readText())["type"] as? String == "chunk") }
            try socket.send(text: #"{"type":"cancel","id":"c1"}"#)
            var done: [String: Any] = [:]
            repeat { done = try json(try socket.readText()) } while done["type"] as? String == "chunk"
            #expect(done["type"] as? String == "done")
            #expect(done["finish_reason"] as? String == "cancelled")
            // Nothing more for c1: the next thing on the wire is the answer to a heartbeat.
            Thread.sleep(forTimeInterval: 0.2)
            try socket.send(text: #"{"type":"heartbeat","timestamp":1}"#)
            #expect(try json(try socket.readText())["type"] as? String == "heartbeat_ack")
        }
    }

    @Test func severalChatsRunAtOnceEachWithItsOwnSequence() throws {
        try withServer(routes: chatRoutes()) { _, port in
            let socket = try RawWebSocket(port: port)
            for id in ["a", "b", "c"] {
                try socket.send(text: #"{"type":"chat","id":"\#(id)","model":"demo-reasoning","messages":[{"role":"user","content":"\#(id)"}]}"#)
            }
            var lastSeq: [String: Int] = ["a": 0, "b": 0, "c": 0]
            var reasoning: [String: String] = [:]
            var finished = Set<String>()
            var interleaved = false
            var previous = ""
            while finished.count < 3 {
                let event = try json(try socket.readText())
                let id = try #require(event["id"] as? String)
                if event["type"] as? String == "start" { continue }
                if !previous.isEmpty, previous != id { interleaved = true }
                previous = id
                #expect(event["seq"] as? Int == lastSeq[id]! + 1)
                lastSeq[id] = event["seq"] as? Int
                if let text = event["reasoning"] as? String { reasoning[id, default: ""] += text }
                #expect(!(event["reasoning"] != nil && event["content"] != nil), "reasoning is never mixed into content")
                if event["type"] as? String == "done" { finished.insert(id) }
            }
            #expect(interleaved)
            #expect(reasoning["a"]?.isEmpty == false)
        }
    }

    @Test(arguments: [
        (#"{"type":"chat","id":"x","provider":"nope","messages":[{"role":"user","content":"hi"}]}"#, "unknown_provider"),
        (#"{"type":"chat","id":"x","messages":[]}"#, "bad_request"),
        (#"{"type":"chat","id":"x","messages":[{"role":"wizard","content":"hi"}]}"#, "bad_request"),
        (#"{"type":"chat","id":"x","model":"gpt-9","messages":[{"role":"user","content":"hi"}]}"#, "bad_request"),
        (#"{"type":"chat","id":"x","temperature":5,"messages":[{"role":"user","content":"hi"}]}"#, "bad_request"),
        (#"{"type":"chat","messages":[{"role":"user","content":"hi"}]}"#, "bad_request"),
        (#"{"type":"cancel","id":"never-started"}"#, "bad_request"),
    ])
    func invalidChatsGetErrorEvents(message: String, code: String) throws {
        try withServer(routes: chatRoutes()) { _, port in
            let socket = try RawWebSocket(port: port)
            try socket.send(text: message)
            let event = try json(try socket.readText())
            #expect(event["type"] as? String == "error")
            #expect(event["code"] as? String == code)
            #expect(event["retryable"] as? Bool == false)
            if message.contains(#""id":"x""#) { #expect(event["id"] as? String == "x") }
            // The connection stays open.
            try socket.send(text: #"{"type":"heartbeat","timestamp":1}"#)
            #expect(try json(try socket.readText())["type"] as? String == "heartbeat_ack")
        }
    }

    @Test func aDuplicateIdWhileRunningIsRefused() throws {
        try withServer(routes: chatRoutes(tokensPerSecond: 20)) { _, port in
            let socket = try RawWebSocket(port: port)
            try socket.send(text: hello)
            try socket.send(text: hello)
            var sawError = false
            for _ in 0..<5 where !sawError {
                let event = try json(try socket.readText())
                sawError = event["type"] as? String == "error" && event["id"] as? String == "c1"
            }
            #expect(sawError)
        }
    }

    /// A chat outlives its connection; with nobody attached for the detach timeout, the
    /// provider is stopped.
    @Test func aDetachedChatIsCancelledAfterTheDetachTimeout() throws {
        let counter = Counter()
        var streams = StreamConfiguration()
        streams.detachTimeout = 0.5
        try withServer(routes: chatRoutes(counter: counter, streams: streams)) { _, port in
            let socket = try RawWebSocket(port: port)
            try socket.send(text: #"{"type":"chat","id":"h","provider":"hanging","messages":[{"role":"user","content":"hi"}]}"#)
            #expect(try json(try socket.readText())["type"] as? String == "start")
            for _ in 0..<200 where counter.value("started") == 0 { Thread.sleep(forTimeInterval: 0.01) }
            #expect(counter.value("started") == 1)
            socket.client.close()
            Thread.sleep(forTimeInterval: 0.25)
            #expect(counter.value("cancelled") == 0, "still generating while the client may come back")
            for _ in 0..<200 where counter.value("cancelled") == 0 { Thread.sleep(forTimeInterval: 0.01) }
            #expect(counter.value("cancelled") == 1)
        }
    }

    @Test func providersAreListedWithoutSecrets() throws {
        try withServer(routes: chatRoutes()) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /api/providers HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            let listing = try json(response.text)
            #expect(listing["default"] as? String == "demo")
            let providers = try #require(listing["providers"] as? [[String: Any]])
            #expect(providers.map { $0["name"] as? String } == ["demo", "hanging"])
            #expect(providers[0]["models"] as? [String] == ["demo", "demo-reasoning"])
            #expect(!response.text.lowercased().contains("key"))
        }
    }
}
