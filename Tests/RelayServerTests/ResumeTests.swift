import Foundation
import RelayServer
import Testing
import Upstream

/// Streams outlive connections: a client that loses its connection resumes where it left
/// off and gets the rest exactly once.
@Suite("resuming streams over WebSocket", .serialized)
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

    static func chat(id: String, clientID: String? = nil, provider: String = "demo") -> String {
        let client = clientID.map { #","client_id":"\#($0)""# } ?? ""
        return #"{"type":"chat","id":"\#(id)","provider":"\#(provider)"\#(client),"messages":[{"role":"user","content":"\#(question)"}]}"#
    }

    /// The property: cut the connection after a random number of events (sometimes also in
    /// the middle of the next frame), then come back on a new connection: with `resume` from
    /// the last `seq` seen, or, when not even `start` arrived, by sending the same chat again
    /// (same `client_id` and `id`: it attaches to the running stream). The content is the
    /// uninterrupted answer, and `seq` runs on with no gap or repeat.
    @Test func anAnswerCutAnywhereIsCompletedExactlyOnce() throws {
        try withServer({ $0.loopCount = 2 }, routes: chatRoutes(tokensPerSecond: 1000)) { _, port in
            var random = SplitMix64(state: 0xC0FFEE)
            for run in 0..<120 {
                let first = try RawWebSocket(port: port)
                try first.send(text: Self.chat(id: "r\(run)", clientID: "tab-1"))
                let cut = random.below(40)
                var events: [[String: Any]] = []
                while events.count < cut, let text = try first.readText() {
                    events.append(try json(text))
                    if events.last?["type"] as? String == "done" { break }
                }
                if random.below(2) == 0 { _ = try first.client.readAvailable(max: 1 + random.below(24)) } // part of the next frame
                first.client.close()
                var content = events.compactMap { $0["content"] as? String }.joined()
                var lastSeq = events.last?["seq"] as? Int ?? -1
                if events.last?["type"] as? String != "done" {
                    let second = try RawWebSocket(port: port)
                    if let streamID = events.first?["stream_id"] as? String {
                        try second.send(text: #"{"type":"resume","stream_id":"\#(streamID)","last_seq":\#(lastSeq)}"#)
                    } else {
                        try second.send(text: Self.chat(id: "r\(run)", clientID: "tab-1"))
                    }
                    for event in try Self.readChat(second) {
                        let seq = try #require(event["seq"] as? Int, "\(event)")
                        #expect(seq == lastSeq + 1, "run \(run): seq \(seq) after \(lastSeq)")
                        lastSeq = seq
                        content += event["content"] as? String ?? ""
                    }
                    second.client.close()
                }
                #expect(content == Self.expected, "run \(run), cut after \(cut) events")
            }
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
