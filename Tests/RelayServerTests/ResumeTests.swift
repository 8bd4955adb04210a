import Foundation
import RelayServer
import Testing
import Upstream

/// Streams outlive connections: a client that loses its connection resumes where it left
/// off and gets the rest exactly once.
@Suite("resuming streams over WebSocket and SSE", .serialized)
struct ResumeTests {
    static let question = "resume me"
    static let expected = DemoProvider.answer(to: ChatRequest(id: "x", messages: [ChatMessage(role: "user", content: question)]))

    /// Reads one chat's events until it ends; returns them.
    static func readChat(_ socket: RawWebSocket, until stop: (([String: Any]) -> Bool)? = nil) throws -> [[String: Any]] {
        var events: [[String: Any]] = []
        while let text = try socket.readText() {
            let event = try json(text)
            events.append(event)
            if ["done", "error"].contains(event["type"] as? String) || stop?(event) == true { break }
        }
        return events
    }

    /// The chat as an HTTP body (the WebSocket message without `type`).
    static func chatBody(id: String, clientID: String? = nil, provider: String = "demo") -> String {
        let client = clientID.map { #","client_id":"\#($0)""# } ?? ""
        return #"{"id":"\#(id)","provider":"\#(provider)"\#(client),"messages":[{"role":"user","content":"\#(question)"}]}"#
    }

    static func chat(id: String, clientID: String? = nil, provider: String = "demo") -> String {
        #"{"type":"chat","# + chatBody(id: id, clientID: clientID, provider: provider).dropFirst()
    }

    /// One chat's events as a client reads them, over either transport.
    enum Transport: CaseIterable { case webSocket, sse }

    /// The property: start a chat over WebSocket or SSE, cut the connection after a random
    /// number of events (half the time also in the middle of the next frame or chunk), then
    /// come back over either transport: after the last `seq` seen (`resume`, or
    /// `Last-Event-ID`), or, when not even `start` arrived, by sending the same chat again
    /// (same `client_id` and `id`: it attaches to the running stream). The content is the
    /// uninterrupted answer, and `seq` runs on with no gap and no repeat.
    @Test func anAnswerCutAnywhereIsCompletedExactlyOnce() throws {
        try withServer({ $0.loopCount = 2 }, routes: chatRoutes(tokensPerSecond: 1000)) { _, port in
            var random = SplitMix64(state: 0xC0FFEE)
            var transports: [Transport: Int] = [:]
            for run in 0..<200 {
                let chat = Self.chat(id: "r\(run)", clientID: "tab-1")
                let body = Self.chatBody(id: "r\(run)", clientID: "tab-1")
                let cut = random.below(40)
                var events: [[String: Any]] = []
                var streamID: String?
                let start = Transport.allCases[random.below(2)]
                transports[start, default: 0] += 1
                switch start {
                case .webSocket:
                    let socket = try RawWebSocket(port: port)
                    try socket.send(text: chat)
                    while events.count < cut, let text = try socket.readText() {
                        events.append(try json(text))
                        if events.last?["type"] as? String == "done" { break }
                    }
                    if random.below(2) == 0 { _ = try socket.client.readAvailable(max: 1 + random.below(24)) }
                    socket.client.close()
                case .sse:
                    let sse = try RawSSE(port: port, method: "POST", path: "/api/chat/stream", body: body)
                    streamID = sse.head.header("X-Stream-Id")
                    while events.count < cut, let event = try sse.next() {
                        events.append(try json(event.data))
                        if event.type == "done" { break }
                    }
                    if random.below(2) == 0 { _ = try sse.client.readAvailable(max: 1 + random.below(24)) }
                    sse.client.close()
                }
                streamID = streamID ?? events.first?["stream_id"] as? String
                var content = events.compactMap { $0["content"] as? String }.joined()
                var lastSeq = events.last?["seq"] as? Int ?? -1
                if events.last?["type"] as? String != "done" {
                    var rest: [[String: Any]] = []
                    let resume = Transport.allCases[random.below(2)]
                    transports[resume, default: 0] += 1
                    switch (resume, streamID) {
                    case (.webSocket, let id):
                        let socket = try RawWebSocket(port: port)
                        try socket.send(text: id.map { #"{"type":"resume","stream_id":"\#($0)","last_seq":\#(lastSeq)}"# } ?? chat)
                        rest = try Self.readChat(socket)
                        socket.client.close()
                    case (.sse, .some(let id)):
                        let sse = try RawSSE(port: port, path: "/api/streams/\(id)", headers: ["Last-Event-ID": String(lastSeq)])
                        rest = try sse.all().map { try json($0.data) }
                    case (.sse, .none):
                        let sse = try RawSSE(port: port, method: "POST", path: "/api/chat/stream", body: body)
                        rest = try sse.all().map { try json($0.data) }
                    }
                    for event in rest {
                        let seq = try #require(event["seq"] as? Int, "\(event)")
                        #expect(seq == lastSeq + 1, "run \(run) (\(start) then \(resume)): seq \(seq) after \(lastSeq)")
                        lastSeq = seq
                        content += event["content"] as? String ?? ""
                    }
                    #expect(rest.last?["type"] as? String == "done", "run \(run)")
                }
                #expect(content == Self.expected, "run \(run) (\(start)), cut after \(cut) events")
            }
            #expect((transports[.webSocket] ?? 0) > 100 && (transports[.sse] ?? 0) > 100)
        }
    }

    @Test func anUnknownStreamIsExpired() throws {
        try withServer(routes: chatRoutes()) { _, port in
            let socket = try RawWebSocket(port: port)
            try socket.send(text: #"{"type":"resume","stream_id":"0123456789abcdef0123456789abcdef","last_seq":3}"#)
            let error = try json(try socket.readText())
            #expect(error["type"] as? String == "error")
            #expect(error["code"] as? String == "stream_expired")
            #expect(error["stream_id"] as? String == "0123456789abcdef0123456789abcdef")
            try socket.send(text: #"{"type":"resume"}"#)
            #expect(try json(try socket.readText())["code"] as? String == "bad_request")
        }
    }

    @Test func aFinishedStreamCanBeResumedUntilItsTTL() throws {
        var streams = StreamConfiguration()
        streams.ttl = 0.5
        try withServer(routes: chatRoutes(streams: streams)) { _, port in
            let socket = try RawWebSocket(port: port)
            try socket.send(text: Self.chat(id: "t"))
            let events = try Self.readChat(socket)
            let streamID = try #require(events.first?["stream_id"] as? String)
            try socket.send(text: #"{"type":"resume","stream_id":"\#(streamID)","last_seq":-1}"#)
            let replay = try Self.readChat(socket)
            #expect(replay.count == events.count, "the whole stream again, start included")
            #expect(replay.compactMap { $0["content"] as? String }.joined() == Self.expected)
            Thread.sleep(forTimeInterval: 0.8)
            try socket.send(text: #"{"type":"resume","stream_id":"\#(streamID)","last_seq":2}"#)
            #expect(try json(try socket.readText())["code"] as? String == "stream_expired")
        }
    }

    /// A chat sent again by the same client (a retried request) attaches to the stream it
    /// already has: the provider is called once.
    @Test func theSameChatFromTheSameClientCallsTheProviderOnce() throws {
        let counter = Counter()
        try withServer(routes: chatRoutes(counter: counter)) { _, port in
            let first = try RawWebSocket(port: port)
            try first.send(text: Self.chat(id: "same", clientID: "user-7", provider: "hanging"))
            let start = try json(try first.readText())
            let second = try RawWebSocket(port: port)
            try second.send(text: Self.chat(id: "same", clientID: "user-7", provider: "hanging"))
            let again = try json(try second.readText())
            #expect(again["type"] as? String == "start")
            #expect(again["stream_id"] as? String == start["stream_id"] as? String)
            let other = try RawWebSocket(port: port)
            try other.send(text: Self.chat(id: "same", clientID: "user-8", provider: "hanging"))
            #expect(try json(try other.readText())["stream_id"] as? String != start["stream_id"] as? String, "another client")
            #expect(counter.value("started") == 2)
        }
    }

    /// A cancel from another connection ends the stream for everyone attached, and stops
    /// the provider.
    @Test func aCancelFromAnotherConnectionEndsTheStreamEverywhere() throws {
        let counter = Counter()
        try withServer(routes: chatRoutes(counter: counter)) { _, port in
            let owner = try RawWebSocket(port: port)
            try owner.send(text: Self.chat(id: "c", provider: "hanging"))
            let streamID = try #require(try json(try owner.readText())["stream_id"] as? String)
            let other = try RawWebSocket(port: port)
            try other.send(text: #"{"type":"cancel","stream_id":"\#(streamID)"}"#)
            let ownerDone = try json(try owner.readText())
            let otherDone = try json(try other.readText())
            for done in [ownerDone, otherDone] {
                #expect(done["type"] as? String == "done")
                #expect(done["finish_reason"] as? String == "cancelled")
                #expect(done["seq"] as? Int == 1)
            }
            for _ in 0..<100 where counter.value("cancelled") == 0 { Thread.sleep(forTimeInterval: 0.01) }
            #expect(counter.value("cancelled") == 1)
        }
    }
}

/// The replay buffers' memory stays within the configured caps.
@Suite("stream memory caps", .serialized)
struct StreamMemoryTests {
    @Test func manyLargeStreamsStayWithinTheCaps() throws {
        var streams = StreamConfiguration()
        streams.maxStreamBytes = 4 << 10
        streams.maxTotalBytes = 64 << 10
        let question = String(repeating: "long question ", count: 14) // quoted in the demo answer: about 6 KB of events
        try withServer(routes: chatRoutes(tokensPerSecond: 5000, streams: streams)) { server, port in
            var streamIDs: [String] = []
            var lastSeqs: [Int] = []
            for index in 0..<40 {
                let socket = try RawWebSocket(port: port)
                try socket.send(text: #"{"type":"chat","id":"m\#(index)","messages":[{"role":"user","content":"\#(question)"}]}"#)
                let events = try ResumeTests.readChat(socket)
                streamIDs.append(try #require(events.first?["stream_id"] as? String))
                lastSeqs.append(try #require(events.last?["seq"] as? Int))
                #expect(server.streamBytes <= streams.maxTotalBytes + streams.maxStreamBytes, "after \(index + 1) streams: \(server.streamBytes)")
            }
            #expect(server.streamCount < 40, "the oldest finished streams were dropped")
            let socket = try RawWebSocket(port: port)
            // The oldest stream is gone; the newest is kept, but only its last 4 KiB of events.
            try socket.send(text: #"{"type":"resume","stream_id":"\#(streamIDs[0])","last_seq":-1}"#)
            #expect(try json(try socket.readText())["code"] as? String == "stream_expired")
            try socket.send(text: #"{"type":"resume","stream_id":"\#(streamIDs[39])","last_seq":-1}"#)
            #expect(try json(try socket.readText())["code"] as? String == "stream_expired", "its first events were dropped")
            try socket.send(text: #"{"type":"resume","stream_id":"\#(streamIDs[39])","last_seq":\#(lastSeqs[39] - 3)}"#)
            let tail = try ResumeTests.readChat(socket)
            #expect(tail.compactMap { $0["seq"] as? Int } == Array((lastSeqs[39] - 2)...lastSeqs[39]))
        }
    }
}

/// Streams out a burst of chunks at once, then stays open: a live stream with a full buffer.
struct BurstProvider: Provider {
    let name = "burst"
    let models = ["burst"]
    let defaultModel = "burst"
    func stream(_ request: ChatRequest, model: String, context: ProviderContext,
                emit: @escaping @Sendable (ProviderEvent) -> Void) -> ChatCancellation {
        for index in 0..<200 { emit(.delta(content: "chunk \(index) " + String(repeating: "x", count: 80), reasoning: nil)) }
        return ChatCancellation()
    }
}

extension StreamMemoryTests {
    /// Over the total cap with only live streams, the oldest live stream gives up its oldest
    /// events: its clients resuming from before them get stream_expired, live ones lose nothing.
    @Test func liveStreamsAreTrimmedWhenOnlyTheyRemain() throws {
        var streams = StreamConfiguration()
        streams.maxTotalBytes = 48 << 10 // three bursts of about 38 KiB each cannot all stay
        try withServer(routes: { $0.relayWebSocket("/ws", providers: ProviderRegistry([BurstProvider()]), streams: streams) }) { server, port in
            let socket = try RawWebSocket(port: port)
            var streamIDs: [String] = []
            for index in 0..<3 {
                try socket.send(text: #"{"type":"chat","id":"b\#(index)","messages":[{"role":"user","content":"hi"}]}"#)
                var events: [[String: Any]] = []
                while events.count < 201, let text = try socket.readText() { events.append(try json(text)) }
                #expect(events.last?["seq"] as? Int == 200, "a live client gets every chunk")
                streamIDs.append(try #require(events.first?["stream_id"] as? String))
            }
            Thread.sleep(forTimeInterval: 0.2)
            #expect(server.streamBytes <= streams.maxTotalBytes, "\(server.streamBytes)")
            #expect(server.streamBytes > streams.maxTotalBytes / 2, "no more was dropped than needed: \(server.streamBytes)")
            let other = try RawWebSocket(port: port)
            try other.send(text: #"{"type":"resume","stream_id":"\#(streamIDs[0])","last_seq":-1}"#)
            #expect(try json(try other.readText())["code"] as? String == "stream_expired", "the oldest stream was trimmed")
            try other.send(text: #"{"type":"resume","stream_id":"\#(streamIDs[2])","last_seq":195}"#)
            var seqs: [Int] = []
            while seqs.count < 5, let text = try other.readText() { seqs.append(try json(text)["seq"] as? Int ?? -1) }
            #expect(seqs == [196, 197, 198, 199, 200], "the newest stream's newest events are kept")
        }
    }
}
