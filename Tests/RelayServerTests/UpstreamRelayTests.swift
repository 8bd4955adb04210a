import Dispatch
import Foundation
import HTTP1
import RelayServer
import Testing
import RelayIO
import Upstream

/// A fake OpenAI-compatible upstream on relayd's own HTTP server. The model name picks the
/// behaviour: "ok" streams 5 chunks and [DONE]; "unauthorized" answers 401; "ratelimit"
/// 429; "truncate" ends the body after 2 chunks without [DONE] or finish_reason; "hang"
/// never answers. It records what it saw.
final class FakeUpstream: @unchecked Sendable {
    let server: HTTPServer
    let seen = Counter()
    private let lock = NSLock()
    private var authorizations: [String] = []
    private var connections: [UInt64] = []
    var port: Int { server.localAddress!.port }

    init() throws {
        var configuration = ServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        server = HTTPServer(configuration: configuration)
        server.route(.post, "/v1/chat/completions") { [unowned self] request, responder in
            self.lock.lock()
            self.authorizations.append(request.headers["Authorization"] ?? "")
            self.connections.append(request.connectionID)
            self.lock.unlock()
            let body = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] ?? [:]
            let model = body["model"] as? String ?? ""
            self.seen.add("request")
            switch model {
            case "unauthorized":
                responder.respond(.json(.unauthorized, #"{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}"#))
            case "echokey":
                let quoted = (request.headers["Authorization"] ?? "").replacingOccurrences(of: "Bearer ", with: "")
                responder.respond(.json(.unauthorized, #"{"error":{"message":"Incorrect API key provided: \#(quoted)","type":"invalid_request_error"}}"#))
            case "ratelimit":
                responder.respond(.json(.tooManyRequests, #"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#, headers: ["Retry-After": "1"]))
            case "hang":
                responder.onEnd { self.seen.add("hang-closed") }
            case "flaky" where self.seen.value("flaky") == 0:
                self.seen.add("flaky")
                responder.respond(.json(.serviceUnavailable, #"{"error":{"message":"overloaded","type":"server_error"}}"#))
            case "retryafter" where self.seen.value("retryafter") == 0:
                self.seen.add("retryafter")
                responder.respond(.json(.tooManyRequests, #"{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}"#,
                                        headers: ["retry-after-ms": "150"]))
            case "quota":
                responder.respond(.json(.tooManyRequests, #"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#))
            case "always503":
                responder.respond(.json(.serviceUnavailable, #"{"error":{"message":"down","type":"server_error"}}"#))
            case "badreq":
                responder.respond(.json(.badRequest, #"{"error":{"message":"bad","type":"invalid_request_error"}}"#))
            default:
                responder.startStream(headers: ["Content-Type": "text/event-stream"])
                let count = model == "truncate" ? 2 : 5
                for index in 0..<count {
                    producerQueue.asyncAfter(deadline: .now() + .milliseconds(5 * (index + 1))) {
                        responder.write(#"data: {"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"w\#(index) "},"finish_reason":null}]}"# + "\n\n")
                        guard index == count - 1 else { return }
                        if model != "truncate" {
                            responder.write(#"data: {"id":"x","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"# + "\n\n")
                            responder.write(#"data: {"id":"x","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}"# + "\n\n")
                            responder.write("data: [DONE]\n\n")
                        }
                        responder.finish()
                    }
                }
            }
        }
        try server.start()
    }

    var seenAuthorizations: [String] { lock.lock(); defer { lock.unlock() }; return authorizations }
    var seenConnections: [UInt64] { lock.lock(); defer { lock.unlock() }; return connections }
    func stop() { shutdownAndWait(server, drainSeconds: 0) }
}

@Suite("relaying an OpenAI-compatible upstream")
struct UpstreamRelayTests {
    static let key = "sk-test-secret-123"

    func withRelay(firstByteTimeout: Double = 60, port: Int? = nil, _ body: (FakeUpstream, RawWebSocket) throws -> Void) throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        var timeouts = UpstreamClient.Timeouts()
        timeouts.firstByte = firstByteTimeout
        let client = UpstreamClient(tls: nil, timeouts: timeouts)
        var provider = HTTPProvider(name: "openai", format: .openAI, baseURL: UpstreamURL("http://127.0.0.1:\(port ?? upstream.port)/v1")!,
                                    apiKey: Self.key, defaultModel: "ok", client: client)
        provider.retryPolicy.baseDelay = 0.05
        try withServer({ $0.loopCount = 1 }, routes: { $0.relayWebSocket("/ws", providers: ProviderRegistry([provider])) }) { _, relayPort in
            try body(upstream, try RawWebSocket(port: relayPort))
        }
    }

    func chat(_ socket: RawWebSocket, id: String, model: String) throws -> (events: [[String: Any]], raw: String) {
        try socket.send(text: #"{"type":"chat","id":"\#(id)","model":"\#(model)","messages":[{"role":"user","content":"hi"}]}"#)
        var events: [[String: Any]] = []
        var raw = ""
        while true {
            let text = try #require(try socket.readText())
            raw += text
            let event = try json(text)
            events.append(event)
            if event["type"] as? String == "done" || event["type"] as? String == "error" { return (events, raw) }
        }
    }

    @Test func chunksAreRelayedInOrderAndTheKeyStaysOnTheServer() throws {
        try withRelay { upstream, socket in
            let (events, raw) = try chat(socket, id: "r1", model: "ok")
            #expect(events.first?["type"] as? String == "start")
            let chunks = events.filter { $0["type"] as? String == "chunk" }
            #expect(chunks.compactMap { $0["content"] as? String }.joined() == "w0 w1 w2 w3 w4 ")
            #expect(chunks.compactMap { $0["seq"] as? Int } == [1, 2, 3, 4, 5])
            let done = try #require(events.last)
            #expect(done["type"] as? String == "done")
            #expect(done["seq"] as? Int == 6)
            #expect(done["finish_reason"] as? String == "stop")
            #expect((done["usage"] as? [String: Any])?["completion_tokens"] as? Int == 5)
            #expect(upstream.seenAuthorizations == ["Bearer \(Self.key)"])
            #expect(!raw.contains(Self.key))
        }
    }

    /// The keep-alive pool is bounded: after a burst of concurrent chats at most
    /// `maxIdlePerOrigin` connections stay open to the provider, and those close once idle
    /// for `poolIdle` (the provider sees them go).
    @Test func theUpstreamPoolKeepsABoundedNumberForABoundedTime() throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        var timeouts = UpstreamClient.Timeouts()
        timeouts.poolIdle = 0.5
        let client = UpstreamClient(tls: nil, timeouts: timeouts, maxIdlePerOrigin: 3)
        let provider = HTTPProvider(name: "openai", format: .openAI, baseURL: UpstreamURL("http://127.0.0.1:\(upstream.port)/v1")!,
                                    apiKey: Self.key, defaultModel: "ok", client: client)
        try withServer({ $0.loopCount = 1 }, routes: { $0.relayWebSocket("/ws", providers: ProviderRegistry([provider])) }) { _, port in
            let socket = try RawWebSocket(port: port)
            for index in 0..<10 {
                try socket.send(text: #"{"type":"chat","id":"p\#(index)","messages":[{"role":"user","content":"hi"}]}"#)
            }
            var done = 0
            while done < 10 {
                let event = try json(try #require(try socket.readText()))
                if event["type"] as? String == "done" { done += 1 }
            }
            #expect(Set(upstream.seenConnections).count == 10, "ten chats at once, ten connections")
            func openAtUpstream(becomes expected: Int) -> Bool {
                let deadline = Date().addingTimeInterval(3)
                while Date() < deadline {
                    // The fake upstream's own count (its request connections only: nothing else connects).
                    if upstream.server.connectionCount == expected { return true }
                    Thread.sleep(forTimeInterval: 0.02)
                }
                return false
            }
            #expect(openAtUpstream(becomes: 3), "\(upstream.server.connectionCount) kept open, not 3")
            #expect(openAtUpstream(becomes: 0), "\(upstream.server.connectionCount) still open after the pool's idle time")
        }
    }

    @Test func aSecondChatReusesTheUpstreamConnection() throws {
        try withRelay { upstream, socket in
            _ = try chat(socket, id: "a", model: "ok")
            _ = try chat(socket, id: "b", model: "ok")
            let connections = upstream.seenConnections
            #expect(connections.count == 2)
            #expect(Set(connections).count == 1, "one keep-alive connection for both: \(connections)")
        }
    }

    @Test(arguments: [("unauthorized", "upstream_auth", false), ("ratelimit", "upstream_rate_limited", true), ("truncate", "upstream_truncated", true),
                      ("echokey", "upstream_auth", false)])
    func upstreamFailuresBecomeErrorEvents(model: String, code: String, retryable: Bool) throws {
        try withRelay { _, socket in
            let (events, raw) = try chat(socket, id: "e", model: model)
            let error = try #require(events.last)
            #expect(error["type"] as? String == "error")
            #expect(error["id"] as? String == "e")
            #expect(error["code"] as? String == code)
            #expect(error["retryable"] as? Bool == retryable)
            #expect(!raw.contains(Self.key))
        }
    }

    @Test func cancelClosesTheUpstreamConnection() throws {
        try withRelay { upstream, socket in
            try socket.send(text: #"{"type":"chat","id":"h","model":"hang","messages":[{"role":"user","content":"hi"}]}"#)
            _ = try socket.readText() // start
            for _ in 0..<200 where upstream.seen.value("request") == 0 { Thread.sleep(forTimeInterval: 0.01) }
            try socket.send(text: #"{"type":"cancel","id":"h"}"#)
            let done = try json(try socket.readText())
            #expect(done["finish_reason"] as? String == "cancelled")
            for _ in 0..<200 where upstream.seen.value("hang-closed") == 0 { Thread.sleep(forTimeInterval: 0.01) }
            #expect(upstream.seen.value("hang-closed") == 1, "the provider saw its connection close")
        }
    }

    @Test func aSilentUpstreamTimesOut() throws {
        try withRelay(firstByteTimeout: 0.3) { _, socket in
            let start = Date()
            let (events, _) = try chat(socket, id: "t", model: "hang")
            #expect(events.last?["code"] as? String == "upstream_timeout")
            #expect(Date().timeIntervalSince(start) < 3)
        }
    }

    @Test func anUnreachableUpstreamIsUnavailable() throws {
        let listener = try Listener(host: "127.0.0.1", port: 0)
        let closedPort = listener.localAddress.port
        listener.stop()
        try withRelay(port: closedPort) { _, socket in
            let (events, _) = try chat(socket, id: "u", model: "ok")
            #expect(events.last?["code"] as? String == "upstream_unavailable")
            #expect(events.last?["retryable"] as? Bool == true)
        }
    }

    /// A body delimited by the close of the connection (no Content-Length, not chunked), as
    /// some proxies and old servers send it: every event up to the close is relayed.
    @Test func aCloseDelimitedStreamIsRelayedToTheEnd() throws {
        let listener = try Listener(host: "127.0.0.1", port: 0)
        defer { listener.stop() }
        listener.start { fd, _ in
            DispatchQueue.global().async {
                var request = [UInt8](repeating: 0, count: 8192)
                var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                _ = poll(&pollFD, 1, 2000)
                _ = request.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                var response = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
                for word in ["one ", "two ", "three"] {
                    response += #"data: {"choices":[{"index":0,"delta":{"content":"\#(word)"},"finish_reason":null}]}"# + "\n\n"
                }
                response += #"data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"# + "\n\ndata: [DONE]\n\n"
                let bytes = Array(response.utf8)
                var offset = 0
                while offset < bytes.count {
                    var out = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&out, 1, 2000)
                    let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    if sent <= 0 { break }
                    offset += sent
                }
                close(fd)
            }
        }
        try withRelay(port: listener.localAddress.port) { _, socket in
            let (events, _) = try chat(socket, id: "c", model: "ok")
            let text = events.compactMap { $0["content"] as? String }.joined()
            #expect(text == "one two three")
            #expect(events.last?["type"] as? String == "done")
            #expect(events.last?["finish_reason"] as? String == "stop")
        }
    }

    @Test(arguments: [("flaky", 2), ("retryafter", 2)])
    func aFailureBeforeTheFirstChunkIsRetried(model: String, requests: Int) throws {
        try withRelay { upstream, socket in
            let start = Date()
            let (events, _) = try chat(socket, id: "r", model: model)
            #expect(events.last?["type"] as? String == "done", "\(events.last ?? [:])")
            #expect(events.compactMap { $0["content"] as? String }.joined() == "w0 w1 w2 w3 w4 ")
            #expect(upstream.seen.value("request") == requests)
            if model == "retryafter" { #expect(Date().timeIntervalSince(start) >= 0.14, "retry-after-ms honoured") }
        }
    }

    @Test(arguments: [("quota", 1, "upstream_rate_limited", false), ("badreq", 1, "bad_request", false), ("always503", 3, "upstream_unavailable", true)])
    func whatIsNotRetriedAndWhenRetriesRunOut(model: String, requests: Int, code: String, retryable: Bool) throws {
        try withRelay { upstream, socket in
            let (events, _) = try chat(socket, id: "n", model: model)
            #expect(events.last?["code"] as? String == code)
            #expect(events.last?["retryable"] as? Bool == retryable)
            #expect(upstream.seen.value("request") == requests, "requests the provider saw")
        }
    }

    @Test(arguments: [("always503", 4, "done"), ("badreq", 1, "error")])
    func aFallbackChainIsTriedBeforeTheFirstChunk(primaryModel: String, requests: Int, outcome: String) throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let client = UpstreamClient(tls: nil)
        let url = UpstreamURL("http://127.0.0.1:\(upstream.port)/v1")!
        var primary = HTTPProvider(name: "deepseek", format: .openAI, baseURL: url, apiKey: "k1", defaultModel: primaryModel, client: client)
        primary.retryPolicy.baseDelay = 0.02
        let fallback = HTTPProvider(name: "qwen", format: .openAI, baseURL: url, apiKey: "k2", defaultModel: "ok", client: client)
        let chained = FallbackProvider(primary: primary, fallbacks: [fallback])
        try withServer(routes: { $0.relayWebSocket("/ws", providers: ProviderRegistry([chained, fallback])) }) { server, port in
            let socket = try RawWebSocket(port: port)
            let (events, _) = try chat(socket, id: "f", model: primaryModel)
            #expect(events.first?["provider"] as? String == "deepseek")
            #expect(events.last?["type"] as? String == outcome)
            if outcome == "done" { #expect(events.compactMap { $0["content"] as? String }.joined() == "w0 w1 w2 w3 w4 ") }
            #expect(upstream.seen.value("request") == requests)
            // The retries and the fallback show in the metrics.
            let metrics = String(decoding: server.metrics.exposition(), as: UTF8.self)
            if outcome == "done" {
                #expect(metrics.contains("relayd_upstream_retries_total{provider=\"deepseek\"} 2\n"), "\(metrics)")
                #expect(metrics.contains("relayd_upstream_fallbacks_total{provider=\"deepseek\",to=\"qwen\"} 1\n"), "\(metrics)")
            } else {
                #expect(metrics.contains("relayd_upstream_errors_total{provider=\"deepseek\",code=\"bad_request\"} 1\n"), "\(metrics)")
                #expect(!metrics.contains("relayd_upstream_retries_total"))
            }
        }
    }

    @Test func fallbacksAreConfiguredByName() throws {
        let client = UpstreamClient(tls: nil)
        let environment = ["DEEPSEEK_API_KEY": "a", "DASHSCOPE_API_KEY": "b", "DEEPSEEK_FALLBACK": "qwen"]
        let providers = try ProviderPreset.applyingFallbacks(to: try ProviderPreset.configured(environment: environment, client: client),
                                                             environment: environment)
        #expect(providers.map(\.name) == ["deepseek", "qwen"])
        #expect((providers[0] as? FallbackProvider)?.fallbacks.map(\.name) == ["qwen"])
        #expect(throws: ProviderPreset.Problem.self) {
            _ = try ProviderPreset.applyingFallbacks(to: providers, environment: ["DEEPSEEK_FALLBACK": "nope"])
        }
    }
}
