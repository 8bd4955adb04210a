import Foundation
import RelayServer
import SSE
import Testing
import Upstream

/// The HTTP fallback: the same chats and events as the WebSocket, as SSE or one JSON answer.
@Suite("chats over HTTP (SSE fallback)", .serialized)
struct StreamHTTPTests {
    static let body = #"{"id":"s1","messages":[{"role":"user","content":"\#(ResumeTests.question)"}]}"#

    @Test func aChatStreamsAsSSEWithTheSameEventsAsTheWebSocket() throws {
        try withServer(routes: chatRoutes()) { _, port in
            let sse = try RawSSE(port: port, method: "POST", path: "/api/chat/stream", body: Self.body)
            #expect(sse.status == 200)
            #expect(sse.head.header("Content-Type")?.hasPrefix("text/event-stream") == true)
            #expect(sse.head.header("Cache-Control") == "no-cache, no-transform")
            #expect(sse.head.header("X-Accel-Buffering") == "no")
            #expect(sse.head.header("Content-Length") == nil)
            let streamID = try #require(sse.head.header("X-Stream-Id"))
            let events = try sse.all()
            #expect(events.first?.type == "start")
            #expect(events.last?.type == "done")
            #expect(events.dropFirst().dropLast().allSatisfy { $0.type == "chunk" })
            for (index, event) in events.enumerated() {
                let object = try json(event.data)
                #expect(event.lastEventID == String(index), "id: is the seq")
                #expect(object["seq"] as? Int == index)
                #expect(object["type"] as? String == event.type)
                #expect(object["id"] as? String == "s1")
            }
            #expect(try json(events[0].data)["stream_id"] as? String == streamID)
            #expect(events.compactMap { try? json($0.data)["content"] as? String }.joined() == ResumeTests.expected)
        }
    }

    @Test func curlReadsTheStream() throws {
        let curl = try #require(which("curl"))
        try withServer(routes: chatRoutes()) { _, port in
            let (status, output) = try run(curl, ["-sN", "--max-time", "10", "-X", "POST", "-H", "Content-Type: application/json",
                                                  "--data", Self.body, "http://127.0.0.1:\(port)/api/chat/stream"])
            #expect(status == 0)
            #expect(output.hasPrefix("event: start\nid: 0\ndata: {\"type\":\"start\""), "\(output.prefix(200))")
            #expect(output.contains("\n\nevent: done\n"))
            #expect(output.hasSuffix("}\n\n"))
        }
    }

    /// Python's httpx as a real HTTP client reading the stream, dropping it, resuming.
    @Test func httpxReadsAndResumesTheStream() throws {
        try withServer(routes: chatRoutes()) { _, port in
            let script = PeerProcess.directory.appendingPathComponent("sse_peer.py").path
            let (status, output) = try run(which("python3") ?? "/usr/bin/python3", [script, String(port)])
            #expect(status == 0, "\(output)")
            #expect(output.contains("ALL OK"), "\(output)")
        }
    }

    @Test func aStreamResumesAfterLastEventIDOrAfter() throws {
        try withServer(routes: chatRoutes()) { _, port in
            let first = try RawSSE(port: port, method: "POST", path: "/api/chat/stream", body: Self.body)
            let streamID = try #require(first.head.header("X-Stream-Id"))
            let all = try first.all()
            for (headers, path, after) in [(["Last-Event-ID": "5"], "/api/streams/\(streamID)", 5),
                                           ([:], "/api/streams/\(streamID)?after=9", 9),
                                           ([:], "/api/streams/\(streamID)", -1)] {
                let again = try RawSSE(port: port, path: path, headers: headers)
                #expect(again.status == 200)
                let rest = try again.all()
                #expect(rest.map(\.lastEventID) == all.dropFirst(after + 1).map(\.lastEventID))
                #expect(rest.map(\.data) == all.dropFirst(after + 1).map(\.data))
            }
        }
    }

    @Test func anUnknownStreamIsGone() throws {
        try withServer(routes: chatRoutes()) { _, port in
            for request in ["GET /api/streams/feedbeef HTTP/1.1\r\nHost: t\r\n\r\n", "DELETE /api/streams/feedbeef HTTP/1.1\r\nHost: t\r\n\r\n"] {
                let client = try RawClient(port: port)
                try client.send(request)
                let response = try client.readResponse()
                #expect(response.status == 410)
                #expect(response.text.contains("stream_expired"))
            }
        }
    }

    @Test func deleteCancelsTheStreamForItsReaderAndIsIdempotent() throws {
        let counter = Counter()
        try withServer(routes: chatRoutes(counter: counter)) { _, port in
            let sse = try RawSSE(port: port, method: "POST", path: "/api/chat/stream",
                                 body: #"{"id":"d","provider":"hanging","messages":[{"role":"user","content":"hi"}]}"#)
            let streamID = try #require(sse.head.header("X-Stream-Id"))
            #expect(try sse.next()?.type == "start")
            for _ in 0..<2 {
                let client = try RawClient(port: port)
                try client.send("DELETE /api/streams/\(streamID) HTTP/1.1\r\nHost: t\r\n\r\n")
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.text.contains("\"cancelled\":true"))
            }
            let done = try #require(try sse.next())
            #expect(done.type == "done")
            #expect(try json(done.data)["finish_reason"] as? String == "cancelled")
            #expect(try sse.next() == nil, "the response ends")
            #expect(counter.value("cancelled") == 1)
        }
    }

    @Test func aChatCanBeAnsweredAsOneJSONDocument() throws {
        try withServer(routes: chatRoutes()) { _, port in
            let client = try RawClient(port: port)
            try client.send("POST /api/chat HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: \(Self.body.utf8.count)\r\n\r\n\(Self.body)")
            let response = try client.readResponse()
            #expect(response.status == 200)
            let answer = try json(response.text)
            #expect(answer["content"] as? String == ResumeTests.expected)
            #expect(answer["finish_reason"] as? String == "stop")
            #expect((answer["usage"] as? [String: Any])?["completion_tokens"] as? Int != nil)
            #expect((answer["stream_id"] as? String)?.count == 32)
            try client.send("POST /api/chat HTTP/1.1\r\nHost: t\r\nContent-Length: 8\r\n\r\n{\"id\":1}")
            let bad = try client.readResponse()
            #expect(bad.status == 400)
            #expect(bad.text.contains("bad_request"))
        }
    }

    @Test func silenceIsFilledWithPingComments() throws {
        var sse = SSEConfiguration()
        sse.pingInterval = 0.2
        try withServer(routes: chatRoutes(sse: sse)) { _, port in
            let stream = try RawSSE(port: port, method: "POST", path: "/api/chat/stream",
                                    body: #"{"id":"p","provider":"hanging","messages":[{"role":"user","content":"hi"}]}"#)
            var text = ""
            let deadline = Date().addingTimeInterval(3)
            while text.components(separatedBy: ": ping\n\n").count < 3, Date() < deadline, let chunk = try stream.client.readChunk() {
                text += String(decoding: chunk, as: UTF8.self)
            }
            #expect(text.components(separatedBy: ": ping\n\n").count >= 3, "\(text)")
        }
    }

    /// Past `maxSeconds` the response ends with `event: resume`; the client picks up with
    /// `Last-Event-ID` and the answer is whole.
    @Test func aLongAnswerRollsOverAndResumes() throws {
        var sse = SSEConfiguration()
        sse.maxSeconds = 0.3
        try withServer(routes: chatRoutes(tokensPerSecond: 40, sse: sse)) { _, port in
            let first = try RawSSE(port: port, method: "POST", path: "/api/chat/stream", body: Self.body)
            let streamID = try #require(first.head.header("X-Stream-Id"))
            var events = try first.all()
            var rollovers = 0
            while let last = events.last, last.type == "resume", rollovers < 20 {
                events.removeLast()
                rollovers += 1
                let lastSeq = try #require(try json(last.data)["last_seq"] as? Int)
                #expect(lastSeq == events.count - 1, "the resume event names the last seq sent")
                let next = try RawSSE(port: port, path: "/api/streams/\(streamID)", headers: ["Last-Event-ID": String(lastSeq)])
                events += try next.all()
            }
            #expect(rollovers >= 2, "about 1.2 s of answer in 0.3 s responses")
            #expect(events.last?.type == "done")
            #expect(events.map(\.lastEventID) == (0..<events.count).map(String.init))
            #expect(events.compactMap { try? json($0.data)["content"] as? String }.joined() == ResumeTests.expected)
        }
    }

    @Test func corsPreflightAndExposedHeaders() throws {
        try withServer({ $0.cors = CORSPolicy(parsing: "https://app.example") }, routes: chatRoutes()) { _, port in
            let client = try RawClient(port: port)
            try client.send("OPTIONS /api/chat/stream HTTP/1.1\r\nHost: t\r\nOrigin: https://app.example\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type, last-event-id\r\n\r\n")
            let preflight = try client.readResponse()
            #expect(preflight.status == 204)
            #expect(preflight.header("Access-Control-Allow-Methods")?.contains("POST") == true)
            #expect(preflight.header("Access-Control-Allow-Headers")?.contains("Last-Event-ID") == true)
            let sse = try RawSSE(port: port, method: "POST", path: "/api/chat/stream", headers: ["Origin": "https://app.example"], body: Self.body)
            #expect(sse.head.header("Access-Control-Allow-Origin") == "https://app.example")
            #expect(sse.head.header("Access-Control-Expose-Headers")?.contains("X-Stream-Id") == true)
        }
    }
}
