import Foundation
import Testing
import TLS
import Upstream

/// The relay against a separate HTTP implementation (Python's asyncio) speaking the OpenAI,
/// Anthropic and Gemini streaming formats over real sockets, misbehaving on demand.
@Suite("relaying the three wire formats from a fake provider", .serialized)
struct ProviderPeerTests {
    @Test(arguments: PeerRelay.formats)
    func anAnswerIsRelayedChunkByChunkWithUsage(provider: String) throws {
        try PeerRelay.run { relay in
            let chat = try relay.chat(provider, model: "ok")
            #expect(chat.events.first?["type"] as? String == "start")
            #expect(chat.events.first?["provider"] as? String == provider)
            #expect(chat.content == PeerRelay.answer)
            #expect(chat.chunks.count == 7, "one chunk per upstream piece")
            #expect(chat.sequenceIsContiguous)
            #expect(chat.outcome == "done")
            #expect(chat.last["finish_reason"] as? String == "stop")
            #expect(chat.usage?["prompt_tokens"] as? Int == 11)
            #expect(chat.usage?["completion_tokens"] as? Int == 7)
            #expect(!chat.raw.contains(PeerRelay.key), "the key never reaches the client")
            let headers = try #require(try relay.stats()["last_headers"] as? [String: String])
            switch provider {
            case "openai": #expect(headers["authorization"] == "Bearer \(PeerRelay.key)")
            case "anthropic":
                #expect(headers["x-api-key"] == PeerRelay.key)
                #expect(headers["anthropic-version"] == "2023-06-01")
            default: #expect(headers["x-goog-api-key"] == PeerRelay.key)
            }
        }
    }

    /// The same answer whatever the provider's framing: every byte in its own packet,
    /// keep-alive comments and pings between events, a connection closed after the answer.
    @Test(arguments: PeerRelay.formats, ["ok+bytewise", "keepalive", "ok+close"])
    func framingDoesNotChangeTheAnswer(provider: String, model: String) throws {
        try PeerRelay.run { relay in
            let chat = try relay.chat(provider, model: model)
            #expect(chat.outcome == "done", "\(chat.last)")
            #expect(chat.content == PeerRelay.answer)
            #expect(chat.chunks.count == 7)
            #expect(chat.sequenceIsContiguous)
            #expect(chat.usage?["completion_tokens"] as? Int == 7)
        }
    }

    @Test(arguments: PeerRelay.formats)
    func thinkingComesAsReasoningNeverAsContent(provider: String) throws {
        try PeerRelay.run { relay in
            let chat = try relay.chat(provider, model: "reasoning")
            #expect(chat.reasoning == PeerRelay.thinking)
            #expect(chat.content == PeerRelay.answer)
            #expect(chat.chunks.allSatisfy { ($0["content"] == nil) != ($0["reasoning"] == nil) }, "never both in one chunk")
            let firstContent = try #require(chat.chunks.firstIndex { $0["content"] != nil })
            #expect(chat.chunks[..<firstContent].allSatisfy { $0["reasoning"] != nil }, "thinking first")
            #expect(chat.sequenceIsContiguous)
        }
    }

    /// Moonshot puts usage in `choices[0].usage`, Groq in `x_groq.usage`.
    @Test(arguments: ["usage-choice", "usage-xgroq"])
    func usageIsFoundWhereverTheProviderPutsIt(model: String) throws {
        try PeerRelay.run { relay in
            let chat = try relay.chat("openai", model: model)
            #expect(chat.outcome == "done")
            #expect(chat.usage?["prompt_tokens"] as? Int == 11)
            #expect(chat.usage?["completion_tokens"] as? Int == 7)
        }
    }

    @Test(arguments: PeerRelay.formats)
    func aLengthCutIsReported(provider: String) throws {
        try PeerRelay.run { relay in
            let chat = try relay.chat(provider, model: "length")
            #expect(chat.content == "Hello! How")
            #expect(chat.last["finish_reason"] as? String == "length")
        }
    }

    /// After chunks reached the client nothing is retried (the answer would repeat): the
    /// client gets the chunks, then the error.
    @Test(arguments: PeerRelay.formats, [("inband-error", ["upstream_error", "upstream_unavailable"]), ("truncate", ["upstream_truncated"]),
                                         ("reset", ["upstream_truncated"])])
    func failuresMidStreamEndTheChatWithAnError(provider: String, scenario: (String, [String])) throws {
        try PeerRelay.run { relay in
            let chat = try relay.chat(provider, model: scenario.0)
            #expect(chat.content == "Hello!")
            #expect(chat.outcome == "error")
            #expect(scenario.1.contains(chat.code ?? ""), "\(chat.last)")
            #expect(chat.last["id"] as? String == "c1")
            #expect(try relay.statsCount("requests") == 1, "not retried after a chunk was forwarded")
            #expect(!chat.raw.contains(PeerRelay.key))
        }
    }

    @Test(arguments: PeerRelay.formats)
    func aStallMidStreamTimesOutAndClosesTheUpstream(provider: String) throws {
        var options = PeerRelay.Options()
        options.timeouts.idle = 0.5
        try PeerRelay.run(options) { relay in
            let start = Date()
            let chat = try relay.chat(provider, model: "stall")
            #expect(chat.content == "Hello!")
            #expect(chat.code == "upstream_timeout")
            #expect(Date().timeIntervalSince(start) < 5)
            #expect(try relay.waitForStat("closed_early", toReach: 1) == 1, "the provider saw the connection close")
        }
    }

    /// An answer that keeps trickling (a byte at a time, never idle) still ends at the total
    /// timeout.
    @Test func aTricklingAnswerEndsAtTheTotalTimeout() throws {
        var options = PeerRelay.Options()
        options.timeouts.total = 0.4
        options.retries = 0
        try PeerRelay.run(options) { relay in
            let start = Date()
            let chat = try relay.chat("openai", model: "ok+bytewise")
            #expect(chat.code == "upstream_timeout")
            #expect((chat.last["message"] as? String ?? "").contains("longer than"))
            #expect(Date().timeIntervalSince(start) < 1.0, "before the 1.1 s answer was complete")
            #expect(try relay.waitForStat("closed_early", toReach: 1) == 1)
        }
    }

    @Test func aSlowFirstByteIsWaitedForOrTimedOut() throws {
        try PeerRelay.run { relay in
            let chat = try relay.chat("anthropic", model: "ok+slow")
            #expect(chat.content == PeerRelay.answer, "a 1 s first byte is within the default 60 s")
        }
        var options = PeerRelay.Options()
        options.timeouts.firstByte = 0.4
        options.retries = 0
        try PeerRelay.run(options) { relay in
            let chat = try relay.chat("anthropic", model: "ok+slow")
            #expect(chat.code == "upstream_timeout")
            #expect(chat.last["retryable"] as? Bool == true)
        }
    }

    @Test(arguments: PeerRelay.formats)
    func aRejectedKeyIsNotRetried(provider: String) throws {
        try PeerRelay.run { relay in
            let chat = try relay.chat(provider, model: "unauthorized")
            #expect(chat.code == "upstream_auth")
            #expect(chat.last["retryable"] as? Bool == false)
            #expect(try relay.statsCount("requests") == 1)
            #expect(!chat.raw.contains(PeerRelay.key))
        }
    }

    /// A 429 (with retry-after-ms) or an overload (503, Anthropic's 529) before the first
    /// chunk is retried, and the client sees one clean answer.
    @Test(arguments: PeerRelay.formats, ["ratelimit-once", "overloaded-once"])
    func aPassingFailureBeforeTheFirstChunkIsRetried(provider: String, model: String) throws {
        try PeerRelay.run { relay in
            let chat = try relay.chat(provider, model: model)
            #expect(chat.outcome == "done", "\(chat.last)")
            #expect(chat.content == PeerRelay.answer)
            #expect(chat.sequenceIsContiguous)
            #expect(try relay.statsCount("requests") == 2)
        }
    }

    @Test func quotaAndPersistentRateLimits() throws {
        try PeerRelay.run { relay in
            let quota = try relay.chat("openai", model: "quota", id: "q")
            #expect(quota.code == "upstream_rate_limited")
            #expect(quota.last["retryable"] as? Bool == false)
            #expect(try relay.statsCount("requests") == 1, "a quota 429 is never retried")
        }
        var options = PeerRelay.Options()
        options.retries = 1
        try PeerRelay.run(options) { relay in
            let limited = try relay.chat("openai", model: "ratelimit", id: "r")
            #expect(limited.code == "upstream_rate_limited")
            #expect(limited.last["retryable"] as? Bool == true)
            #expect(try relay.statsCount("requests") == 2, "one retry, then the error")
        }
    }

    /// A provider listening on IPv6 only.
    @Test(arguments: ["[::1]"])
    func anIPv6OnlyProviderIsReached(host: String) throws {
        var options = PeerRelay.Options()
        options.listenHost = "::1"
        options.urlHost = host
        try PeerRelay.run(options) { relay in
            let chat = try relay.chat("gemini", model: "ok")
            #expect(chat.content == PeerRelay.answer, "\(chat.last)")
        }
    }

    @Test func chatsReuseOneKeepAliveConnection() throws {
        try PeerRelay.run { relay in
            for (index, provider) in (PeerRelay.formats + PeerRelay.formats).enumerated() {
                let chat = try relay.chat(provider, model: "ok", id: "k\(index)")
                #expect(chat.content == PeerRelay.answer)
                // `done` leaves at the format's end marker, which may come a moment before the
                // body's last bytes; until those arrive the connection is still busy.
                Thread.sleep(forTimeInterval: 0.3)
            }
            #expect(try relay.statsCount("requests") == 6)
            #expect(try relay.statsCount("chat_connections") == 1, "one connection for six chats")
        }
    }

    @Test func severalChatsRunAtOnceOnOneWebSocket() throws {
        try PeerRelay.run { relay in
            var expected: [String: String] = [:]
            for (index, provider) in (PeerRelay.formats + PeerRelay.formats).enumerated() {
                let model = index % 2 == 0 ? "ok" : "reasoning"
                try relay.send(provider, model: model, id: "p\(index)")
                expected["p\(index)"] = model
            }
            let transcripts = try relay.read(until: Set(expected.keys))
            for (id, model) in expected {
                let chat = try #require(transcripts[id])
                #expect(chat.outcome == "done", "\(id)")
                #expect(chat.content == PeerRelay.answer, "\(id)")
                #expect(chat.reasoning == (model == "reasoning" ? PeerRelay.thinking : ""), "\(id)")
                #expect(chat.sequenceIsContiguous, "\(id)")
            }
            // They overlapped: more than one connection was needed.
            #expect(try relay.statsCount("chat_connections") > 1)
        }
    }

    /// The common parameters reach each provider under its own names; those a format does
    /// not take are left out rather than sent to be rejected.
    @Test(arguments: PeerRelay.formats)
    func parametersPassThroughInEachFormat(provider: String) throws {
        try PeerRelay.run { relay in
            let extra: [String: Any] = ["temperature": 0.5, "top_p": 0.9, "max_tokens": 64, "stop": ["END"], "presence_penalty": 0.5,
                                        "frequency_penalty": -0.5, "seed": 42, "reasoning_effort": "low",
                                        "messages": [["role": "system", "content": "be brief"], ["role": "user", "content": "hi"]]]
            let chat = try relay.chat(provider, model: "ok", extra: extra)
            #expect(chat.outcome == "done")
            let body = try #require(try relay.stats()["last_body"] as? [String: Any])
            switch provider {
            case "openai":
                for (key, value) in [("temperature", 0.5), ("top_p", 0.9), ("presence_penalty", 0.5), ("frequency_penalty", -0.5)] {
                    #expect(body[key] as? Double == value, "\(key)")
                }
                #expect(body["max_tokens"] as? Int == 64 && body["seed"] as? Int == 42)
                #expect(body["stop"] as? [String] == ["END"] && body["reasoning_effort"] as? String == "low")
                #expect(body["stream"] as? Bool == true)
                #expect((body["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
                #expect((body["messages"] as? [[String: Any]])?.first?["role"] as? String == "system")
            case "anthropic":
                #expect(body["temperature"] as? Double == 0.5 && body["max_tokens"] as? Int == 64)
                #expect(body["stop_sequences"] as? [String] == ["END"] && body["system"] as? String == "be brief")
                #expect(body["seed"] == nil && body["presence_penalty"] == nil && body["reasoning_effort"] == nil)
                #expect((body["messages"] as? [[String: Any]])?.count == 1, "the system prompt is not a message")
            default:
                let generation = try #require(body["generationConfig"] as? [String: Any])
                #expect(generation["temperature"] as? Double == 0.5 && generation["topP"] as? Double == 0.9)
                #expect(generation["maxOutputTokens"] as? Int == 64 && generation["seed"] as? Int == 42)
                #expect(generation["stopSequences"] as? [String] == ["END"] && generation["presencePenalty"] as? Double == 0.5)
                #expect(((body["systemInstruction"] as? [String: Any])?["parts"] as? [[String: Any]])?.first?["text"] as? String == "be brief")
            }
        }
    }

    @Test(arguments: [("presence_penalty", "3"), ("seed", "1.5"), ("reasoning_effort", "\"max\""), ("frequency_penalty", "\"a\"")])
    func anOutOfRangeParameterIsABadRequest(field: String, value: String) throws {
        try PeerRelay.run { relay in
            try relay.socket.send(text: #"{"type":"chat","id":"b","messages":[{"role":"user","content":"hi"}],"\#(field)":\#(value)}"#)
            let error = try json(try relay.socket.readText())
            #expect(error["type"] as? String == "error")
            #expect(error["code"] as? String == "bad_request")
            #expect((error["message"] as? String ?? "").contains(field))
            #expect(try relay.statsCount("requests") == 0)
        }
    }

    /// The client's connection drops: the provider keeps streaming into the stream, and a
    /// new connection gets the whole answer.
    @Test func generationGoesOnWhileNoClientIsAttached() throws {
        try PeerRelay.run { relay in
            try relay.send("openai", model: "ok+bytewise", id: "g")
            let start = try json(try relay.socket.readText())
            let streamID = try #require(start["stream_id"] as? String)
            relay.socket.client.close()
            Thread.sleep(forTimeInterval: 1.5)
            #expect(try relay.statsCount("closed_early") == 0, "the provider was not cut off")
            let again = try RawWebSocket(port: relay.port)
            try again.send(text: #"{"type":"resume","stream_id":"\#(streamID)","last_seq":0}"#)
            let rest = try ResumeTests.readChat(again)
            #expect(rest.compactMap { $0["content"] as? String }.joined() == PeerRelay.answer)
            #expect(rest.first?["seq"] as? Int == 1)
        }
    }

    @Test func theDetachTimeoutClosesTheUpstream() throws {
        var options = PeerRelay.Options()
        options.streams.detachTimeout = 0.4
        try PeerRelay.run(options) { relay in
            try relay.send("anthropic", model: "stall", id: "d")
            #expect(try json(try relay.socket.readText())["type"] as? String == "start")
            #expect(try relay.waitForStat("requests", toReach: 1) == 1)
            relay.socket.client.close()
            Thread.sleep(forTimeInterval: 0.2)
            #expect(try relay.statsCount("closed_early") == 0)
            #expect(try relay.waitForStat("closed_early", toReach: 1) == 1, "stopped once nobody came back")
        }
    }

    @Test func cancelClosesTheUpstreamConnectionAtOnce() throws {
        try PeerRelay.run { relay in
            try relay.send("gemini", model: "hang", id: "h")
            #expect(try json(try relay.socket.readText())["type"] as? String == "start")
            #expect(try relay.waitForStat("requests", toReach: 1) == 1)
            try relay.socket.send(text: #"{"type":"cancel","id":"h"}"#)
            let done = try json(try relay.socket.readText())
            #expect(done["type"] as? String == "done")
            #expect(done["finish_reason"] as? String == "cancelled")
            #expect(try relay.waitForStat("closed_early", toReach: 1) == 1, "the provider saw its connection close")
        }
    }
}
