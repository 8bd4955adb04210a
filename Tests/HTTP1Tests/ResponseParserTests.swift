import Testing
@testable import HTTP1

/// `ResponseParser`: every fixture goes through `parseResponseAllWays` (whole, byte by byte,
/// split at every position), then the whole run's events are checked.
@Suite("ResponseParser")
struct ResponseParserTests {
    private func head(
        _ status: Int, _ reason: String, _ headers: [Field], _ framing: ResponseBodyFraming,
        version: HTTPVersion = .http1_1
    ) -> ResponseEvent {
        .head(ResponseSummary(status, reason, version, headers, framing))
    }

    // MARK: - Bodies

    @Test func contentLengthBody() throws {
        let outcome = parseResponseAllWays(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}"
        )
        #expect(outcome.error == nil)
        #expect(outcome.events == [
            head(200, "OK", [Field("Content-Type", "application/json"), Field("Content-Length", "11")], .contentLength(11)),
            .body(bytes("{\"ok\":true}")),
            .end(trailers: []),
        ])
        #expect(!outcome.midResponse)
        #expect(outcome.bufferedByteCount == 0)
        let response = try #require(outcome.heads.first)
        #expect(response.keepAlive)
        #expect(response.httpStatus == .ok)
    }

    @Test func contentLengthBodyWaitsForItsLastByte() {
        let outcome = parseResponseAllWays("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhell")
        #expect(outcome.error == nil)
        #expect(outcome.events == [head(200, "OK", [Field("Content-Length", "5")], .contentLength(5)), .body(bytes("hell"))])
        #expect(outcome.midResponse)
    }

    @Test func chunkedBodyWithExtensionsAndTrailers() {
        let outcome = parseResponseAllWays(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n5;name=value\r\nhello\r\n7 ; quoted=\"a b\";flag\r\n, world\r\nA\r\n0123456789\r\n0;last\r\nX-Checksum: abc123\r\nServer-Timing: total;dur=12\r\n\r\n"
        )
        #expect(outcome.error == nil)
        #expect(outcome.events == [
            head(200, "OK", [Field("Transfer-Encoding", "chunked"), Field("Trailer", "X-Checksum")], .chunked),
            .body(bytes("hello, world0123456789")),
            .end(trailers: [Field("X-Checksum", "abc123"), Field("Server-Timing", "total;dur=12")]),
        ])
        #expect(!outcome.midResponse)
    }

    /// A streamed chat completion as OpenAI sends it: chunked `text/event-stream`, one
    /// chunk per flushed event, ended by `data: [DONE]` and the last chunk.
    static let openAIEvents = [
        "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n",
        "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n",
        "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo ✓\"}}]}\n\n",
        "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
        "data: [DONE]\n\n",
    ]

    static let openAIHead = "HTTP/1.1 200 OK\r\n"
        + "Date: Mon, 02 Jun 2025 10:00:00 GMT\r\n"
        + "Content-Type: text/event-stream; charset=utf-8\r\n"
        + "Transfer-Encoding: chunked\r\n"
        + "Connection: keep-alive\r\n"
        + "access-control-expose-headers: X-Request-ID\r\n"
        + "openai-organization: user-abc\r\n"
        + "openai-processing-ms: 187\r\n"
        + "openai-version: 2020-10-01\r\n"
        + "x-ratelimit-limit-requests: 10000\r\n"
        + "x-ratelimit-remaining-tokens: 29999\r\n"
        + "x-request-id: req_0123456789abcdef\r\n"
        + "strict-transport-security: max-age=31536000; includeSubDomains; preload\r\n"
        + "CF-Cache-Status: DYNAMIC\r\n"
        + "Server: cloudflare\r\n"
        + "CF-RAY: 8f0000000000abcd-AMS\r\n"
        + "alt-svc: h3=\":443\"; ma=86400\r\n"
        + "\r\n"

    static func chunk(_ text: String) -> String {
        String(text.utf8.count, radix: 16) + "\r\n" + text + "\r\n"
    }

    @Test func openAIServerSentEventsStream() throws {
        let wire = Self.openAIHead + Self.openAIEvents.map(Self.chunk).joined() + "0\r\n\r\n"
        let outcome = parseResponseAllWays(wire)
        #expect(outcome.error == nil)
        #expect(outcome.events.count == 3)
        let response = try #require(outcome.heads.first)
        #expect(response.status == 200)
        #expect(response.framing == .chunked)
        #expect(response.headers["content-type"] == "text/event-stream; charset=utf-8")
        #expect(response.headers["X-Request-Id"] == "req_0123456789abcdef")
        #expect(response.headers.count == 16)
        #expect(response.keepAlive)
        #expect(outcome.bodies == [bytes(Self.openAIEvents.joined())])
        #expect(!outcome.midResponse)
        #expect(outcome.bufferedByteCount == 0)
    }

    /// Each event must come out as soon as its chunk arrives, not when the stream ends.
    @Test func streamedChunksAreDeliveredAsTheyArrive() throws {
        var parser = ResponseParser()
        parser.append(bytes(Self.openAIHead))
        guard case .head(let response) = try parser.next() else { Issue.record("expected the head"); return }
        #expect(response.headers["Content-Type"] == "text/event-stream; charset=utf-8")
        #expect(try parser.next() == nil)
        for event in Self.openAIEvents {
            let wire = bytes(Self.chunk(event))
            // Half a chunk: its first half is delivered already.
            parser.append(wire[..<(wire.count / 2)])
            var received: [UInt8] = []
            while let next = try parser.next() {
                guard case .body(let piece) = next else { Issue.record("expected body, got \(next)"); return }
                received += piece
            }
            parser.append(wire[(wire.count / 2)...])
            while let next = try parser.next() {
                guard case .body(let piece) = next else { Issue.record("expected body, got \(next)"); return }
                received += piece
            }
            #expect(received == bytes(event))
            #expect(parser.isMidResponse)
        }
        parser.append(bytes("0\r\n\r\n"))
        guard case .end(let trailers) = try parser.next() else { Issue.record("expected the end"); return }
        #expect(trailers.isEmpty)
        #expect(try parser.next() == nil)
        #expect(parser.isIdle)
    }

    @Test func closeDelimitedBodyEndsAtFinish() throws {
        let wire = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\nevent: ping\ndata: 1\n\n"
        let outcome = parseResponseAllWays(wire, finish: true)
        #expect(outcome.error == nil)
        #expect(outcome.events == [
            head(200, "OK", [Field("Content-Type", "text/event-stream"), Field("Connection", "close")], .untilClose),
            .body(bytes("event: ping\ndata: 1\n\n")),
            .end(trailers: []),
        ])
        #expect(!outcome.midResponse)
        let response = try #require(outcome.heads.first)
        #expect(!response.keepAlive)

        // Until the connection closes, the body is still open.
        let open = parseResponseAllWays(wire)
        #expect(open.error == nil)
        #expect(open.events.count == 2)
        #expect(open.midResponse)
    }

    @Test func closeDelimitedEmptyBodyAndHTTP10() {
        let outcome = parseResponseAllWays("HTTP/1.0 200 OK\r\nServer: old\r\n\r\n", finish: true)
        #expect(outcome.error == nil)
        #expect(outcome.events == [
            head(200, "OK", [Field("Server", "old")], .untilClose, version: .http1_0),
            .end(trailers: []),
        ])
    }

    // MARK: - Responses without a body

    @Test func headResponseWithContentLengthHasNoBody() throws {
        // The second response's bytes must not be taken for the first one's 1234-byte body.
        let wire = "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"
        let outcome = parseResponseAllWays(wire, expecting: [.head, .get])
        #expect(outcome.error == nil)
        #expect(outcome.events == [
            head(200, "OK", [Field("Content-Length", "1234")], .noBody),
            .end(trailers: []),
            head(200, "OK", [Field("Content-Length", "2")], .contentLength(2)),
            .body(bytes("hi")),
            .end(trailers: []),
        ])
        #expect(!outcome.midResponse)
        #expect(outcome.heads.first?.keepAlive == true)

        // Without the expectation the same bytes read as one response with a body still coming.
        let asGet = parseResponseAllWays(wire)
        #expect(asGet.statuses == [200])
        #expect(asGet.midResponse)
    }

    @Test func noContentAndNotModifiedHaveNoBody() {
        let wire = "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n"
            + "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
        let outcome = parseResponseAllWays(wire)
        #expect(outcome.error == nil)
        #expect(outcome.events == [
            head(204, "No Content", [Field("Content-Length", "10")], .noBody),
            .end(trailers: []),
            head(304, "Not Modified", [Field("ETag", "\"x\""), Field("Transfer-Encoding", "chunked")], .noBody),
            .end(trailers: []),
            head(200, "OK", [Field("Content-Length", "3")], .contentLength(3)),
            .body(bytes("abc")),
            .end(trailers: []),
        ])
        #expect(!outcome.midResponse)
    }

    @Test func interimResponsesAreSkipped() {
        let wire = "HTTP/1.1 100 Continue\r\n\r\n"
            + "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        // The interim responses do not use up the HEAD expectation either: the 200 has no body.
        let outcome = parseResponseAllWays(wire, expecting: [.post])
        #expect(outcome.error == nil)
        #expect(outcome.events == [
            head(200, "OK", [Field("Content-Length", "2")], .contentLength(2)),
            .body(bytes("ok")),
            .end(trailers: []),
        ])
        let headRequest = parseResponseAllWays(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", expecting: [.head]
        )
        #expect(headRequest.events == [head(200, "OK", [Field("Content-Length", "2")], .noBody), .end(trailers: [])])
        // A broken interim response is still an error.
        #expect(parseResponseAllWays("HTTP/1.1 100 Continue\r\nbad header\r\n\r\n").error == .invalidHeader)
    }

    /// Seen while writing fuzz/HTTP1ResponseParserFuzz.swift (and reproduced with its binary):
    /// each interim response was skipped by a recursive call, so a few megabytes of
    /// `100 Continue` in the buffer overflowed the stack.
    @Test func manyInterimResponsesInOneReadDoNotGrowTheStack() throws {
        var parser = ResponseParser()
        parser.append(Array((String(repeating: "HTTP/1.1 100 Continue\r\n\r\n", count: 200_000)
            + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").utf8))
        guard case .head(let head) = try parser.next() else { Issue.record("no head"); return }
        #expect(head.status == 200)
        guard case .end = try parser.next() else { Issue.record("no end"); return }
        #expect(parser.isIdle)
    }

    @Test func keepAliveResponsesBackToBack() {
        let wire = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"
            + "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nsecond\r\n0\r\n\r\n"
            + "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        let outcome = parseResponseAllWays(wire)
        #expect(outcome.error == nil)
        #expect(outcome.statuses == [200, 201, 404])
        #expect(outcome.bodies == [bytes("first"), bytes("second"), []])
        #expect(!outcome.midResponse)
        #expect(outcome.bufferedByteCount == 0)
    }

    // MARK: - Truncation at EOF

    @Test func truncatedContentLengthBodyThrowsAtFinish() {
        let outcome = parseResponseAllWays("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", finish: true)
        #expect(outcome.error == .truncated)
        #expect(outcome.events == [head(200, "OK", [Field("Content-Length", "10")], .contentLength(10)), .body(bytes("short"))])
        #expect(outcome.errorHead?.status == 200)
    }

    @Test func truncatedChunkedBodyThrowsAtFinish() {
        // Cut in the data, in a size line, after the last chunk (no trailer end), after the data CRLF.
        for wire in [
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        ] {
            let outcome = parseResponseAllWays(wire, finish: true)
            #expect(outcome.error == .truncated, "\(wire)")
            #expect(outcome.errorHead?.framing == .chunked, "\(wire)")
        }
    }

    @Test func truncatedHeadThrowsAtFinishButAnIdleCloseDoesNot() throws {
        let cut = parseResponseAllWays("HTTP/1.1 200 OK\r\nContent-Len", finish: true)
        #expect(cut.error == .truncated)
        #expect(cut.events.isEmpty)
        #expect(cut.errorHead == nil)

        let idle = parseResponseAllWays("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", finish: true)
        #expect(idle.error == nil)
        #expect(idle.statuses == [200])
        #expect(!idle.midResponse)

        var parser = ResponseParser()
        #expect(parser.isIdle)
        #expect(try parser.finish() == nil)
    }

    // MARK: - Framing rules and errors

    @Test func contentLengthValidation() {
        let same = parseResponseAllWays("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3, 3\r\n\r\nabc")
        #expect(same.error == nil)
        #expect(same.bodies == [bytes("abc")])

        let conflicting = parseResponseAllWays("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")
        #expect(conflicting.error == .conflictingContentLength)
        #expect(conflicting.events.isEmpty)
        #expect(conflicting.errorHead?.status == 200)

        for value in ["-1", "+3", "3a", "0x10", "", "1 2", "1234567890123456789"] {
            let outcome = parseResponseAllWays("HTTP/1.1 200 OK\r\nContent-Length: \(value)\r\n\r\n")
            #expect(outcome.error == .invalidContentLength, "Content-Length: \(value)")
        }
    }

    @Test func transferEncodingWinsOverContentLengthButTheConnectionIsNotReused() throws {
        let outcome = parseResponseAllWays(
            "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
        )
        #expect(outcome.error == nil)
        #expect(outcome.bodies == [bytes("abc")])
        let response = try #require(outcome.heads.first)
        #expect(response.framing == .chunked)
        #expect(!response.keepAlive)
    }

    @Test func transferCodingsOtherThanFinalChunked() {
        let gzipOnly = parseResponseAllWays("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n\u{1f}raw", finish: true)
        #expect(gzipOnly.error == nil)
        #expect(gzipOnly.heads.first?.framing == .untilClose)
        #expect(gzipOnly.bodies == [bytes("\u{1f}raw")])

        let gzipThenChunked = parseResponseAllWays("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n")
        #expect(gzipThenChunked.error == nil)
        #expect(gzipThenChunked.heads.first?.framing == .chunked)

        let twice = parseResponseAllWays("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n")
        #expect(twice.error == .invalidTransferEncoding)

        let http10 = parseResponseAllWays("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n", finish: true)
        #expect(http10.error == nil)
        #expect(http10.heads.first?.framing == .untilClose)
        #expect(http10.bodies == [bytes("1\r\nz\r\n0\r\n\r\n")])
    }

    /// Found by fuzz/HTTP1ResponseParserFuzz.swift: a chunk-size line at the length limit whose
    /// CR is followed by another CR failed as a bare CR fed whole, but as too long fed byte by
    /// byte (the lone CR at the end of the buffer was counted before its next byte came).
    @Test func chunkLineAtTheLimitFailsTheSameHoweverSplit() {
        let limits = ResponseParserLimits(maxChunkLineLength: 8)
        let prefix = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(parseResponseAllWays(prefix + "5;abcdef\r\r\n", limits: limits).error == .invalidLineEnding)
        #expect(parseResponseAllWays(prefix + "5;abcdef\r\nhello\r\n0\r\n\r\n", limits: limits).error == .invalidChunkExtension)
        #expect(parseResponseAllWays(prefix + "5;abcde\r\nhello\r\n0\r\n\r\n", limits: limits).error == nil)
    }

    @Test func badChunks() {
        let prefix = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        let cases: [(String, ResponseParseError.Reason)] = [
            ("zz\r\n", .invalidChunkSize),
            ("\r\n", .invalidChunkSize),
            ("-5\r\n", .invalidChunkSize),
            ("5 \r\nhello\r\n", .invalidChunkSize),
            ("1000000000000000\r\n", .invalidChunkSize),
            ("5;a\u{1}b\r\nhello\r\n", .invalidChunkExtension),
            ("5\r\nhelloXX", .missingChunkTerminator),
            ("5\nhello\r\n", .invalidLineEnding),
            ("5\r\nhello\r\n0\r\nbad trailer\r\n\r\n", .invalidHeader),
        ]
        for (body, reason) in cases {
            let outcome = parseResponseAllWays(prefix + body)
            #expect(outcome.error == reason, "\(body.debugDescription)")
            #expect(outcome.errorHead?.status == 200, "\(body.debugDescription)")
        }
    }

    @Test func statusLineVariants() {
        let cases: [(String, Int, String, HTTPVersion)] = [
            ("HTTP/1.1 200 OK\r\n", 200, "OK", .http1_1),
            ("HTTP/1.1 200 \r\n", 200, "", .http1_1),
            ("HTTP/1.1 200\r\n", 200, "", .http1_1),
            ("HTTP/1.0 404 Not Found\r\n", 404, "Not Found", .http1_0),
            ("HTTP/1.1 429 Too Many Requests\r\n", 429, "Too Many Requests", .http1_1),
            ("HTTP/1.1 529 Site is overloaded\r\n", 529, "Site is overloaded", .http1_1),
            ("HTTP/1.1 200 Ok\tfine \u{e9}\r\n", 200, "Ok\tfine \u{e9}", .http1_1),
        ]
        for (line, status, reason, version) in cases {
            let outcome = parseResponseAllWays(line + "Content-Length: 0\r\n\r\n")
            #expect(outcome.error == nil, "\(line.debugDescription)")
            #expect(outcome.events == [head(status, reason, [Field("Content-Length", "0")], .contentLength(0), version: version), .end(trailers: [])],
                    "\(line.debugDescription)")
        }
    }

    @Test func malformedStatusLines() {
        let cases: [(String, ResponseParseError.Reason)] = [
            ("HTTP/1.1 20 OK\r\n\r\n", .malformedStatusLine),
            ("HTTP/1.1 2000 OK\r\n\r\n", .malformedStatusLine),
            ("HTTP/1.1  200 OK\r\n\r\n", .malformedStatusLine),
            ("HTTP/1.1 099 Low\r\n\r\n", .malformedStatusLine),
            ("HTTP/1.1 200 O\u{1}K\r\n\r\n", .malformedStatusLine),
            ("HTTP/1.1\r\n\r\n", .malformedStatusLine),
            ("http/1.1 200 OK\r\n\r\n", .malformedStatusLine),
            ("\r\nHTTP/1.1 200 OK\r\n\r\n", .malformedStatusLine),
            ("HTTP/2 200\r\n\r\n", .malformedStatusLine),
            ("HTTP/2.0 200 OK\r\n\r\n", .unsupportedVersion),
            ("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", .invalidLineEnding),
            ("HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", .invalidLineEnding),
            ("HTTP/1.1 200 OK\r\nA: b\n\n", .invalidLineEnding),
            ("HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", .invalidHeader),
            ("HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n", .invalidHeader),
            ("HTTP/1.1 200 OK\r\nA: b\u{0}\r\n\r\n", .invalidHeader),
        ]
        for (wire, reason) in cases {
            let outcome = parseResponseAllWays(wire)
            #expect(outcome.error == reason, "\(wire.debugDescription)")
            #expect(outcome.events.isEmpty, "\(wire.debugDescription)")
        }
    }

    /// A server answering in another protocol is caught at its first bytes, with no CRLF.
    @Test func nonHTTPBytesFailImmediately() throws {
        let tlsAlert: [UInt8] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]
        #expect(parseResponseAllWays(tlsAlert).error == .malformedStatusLine)
        var parser = ResponseParser()
        parser.append(bytes("HTTP/"))
        #expect(try parser.next() == nil)
        var http2 = ResponseParser()
        http2.append([0x00, 0x00, 0x12, 0x04]) // an HTTP/2 SETTINGS frame header
        #expect(throws: ResponseParseError.self) { try http2.next() }
    }

    // MARK: - Limits

    @Test func headOverTheLimitFailsBeforeItsEndArrives() {
        let limits = ResponseParserLimits(maxHeadBytes: 256)
        var wire = "HTTP/1.1 200 OK\r\n"
        while wire.utf8.count < 400 { wire += "x-filler: 0123456789abcdef\r\n" }
        #expect(!wire.contains("\r\n\r\n"))
        let outcome = parseResponseAllWays(wire, limits: limits)
        #expect(outcome.error == .headTooLarge)

        // Exactly at the limit is fine, one byte over is not (the final CRLF counts).
        let base = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX: "
        let fitting = base + String(repeating: "a", count: 256 - base.utf8.count - 4) + "\r\n\r\n"
        #expect(fitting.utf8.count == 256)
        #expect(parseResponseAllWays(fitting, limits: limits).error == nil)
        let over = base + String(repeating: "a", count: 256 - base.utf8.count - 3) + "\r\n\r\n"
        #expect(parseResponseAllWays(over, limits: limits).error == .headTooLarge)

        // A line that never ends is caught too.
        let endless = "HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: 300)
        #expect(parseResponseAllWays(endless, limits: limits).error == .headTooLarge)
    }

    @Test func tooManyHeaderFields() {
        let limits = ResponseParserLimits(maxHeaderFields: 4)
        let four = "HTTP/1.1 200 OK\r\n" + (1...4).map { "X-\($0): v\r\n" }.joined()
        #expect(parseResponseAllWays(four + "\r\n", limits: limits).error == nil)
        let five = "HTTP/1.1 200 OK\r\n" + (1...5).map { "X-\($0): v\r\n" }.joined()
        // Rejected at the fifth field's CRLF, before the end of the head.
        #expect(parseResponseAllWays(five, limits: limits).error == .tooManyFields)
        let trailers = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + (1...5).map { "T-\($0): v\r\n" }.joined()
        #expect(parseResponseAllWays(trailers, limits: limits).error == .trailersTooLarge)
    }

    @Test func optionalBodyLimit() throws {
        let limits = ResponseParserLimits(maxBodyBytes: 8)
        let declared = parseResponseAllWays("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", limits: limits)
        #expect(declared.error == .bodyTooLarge)
        #expect(declared.events.isEmpty)
        #expect(declared.errorHead?.framing == .contentLength(9))
        #expect(parseResponseAllWays("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n12345678", limits: limits).error == nil)

        let chunked = parseResponseAllWays(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n12345\r\n4\r\n6789\r\n0\r\n\r\n", limits: limits
        )
        #expect(chunked.error == .bodyTooLarge)
        #expect(chunked.events.last == .body(bytes("12345")))

        let untilClose = parseResponseAllWays("HTTP/1.1 200 OK\r\n\r\n123456789", limits: limits, finish: true)
        #expect(untilClose.error == .bodyTooLarge)
        #expect(untilClose.events.last == .body(bytes("12345678")))
        let fits = parseResponseAllWays("HTTP/1.1 200 OK\r\n\r\n12345678", limits: limits, finish: true)
        #expect(fits.error == nil)
        #expect(fits.bodies == [bytes("12345678")])

        // No limit by default.
        let big = [UInt8](repeating: 0x61, count: 100_000)
        var parser = ResponseParser()
        parser.append(bytes("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n") + big)
        var received = 0
        while let event = try parser.next() { if case .body(let piece) = event { received += piece.count } }
        #expect(received == big.count)
    }

    // MARK: - Switching protocols

    @Test func connectTunnelBytesAreHandedOver() throws {
        let tunnel: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03] + bytes("HTTP/1.1 200 OK\r\n\r\n")
        let wire = bytes("HTTP/1.1 200 Connection established\r\nVia: 1.1 proxy\r\n\r\n") + tunnel
        let outcome = parseResponseAllWays(wire, expecting: [.connect], finish: true)
        #expect(outcome.error == nil)
        #expect(outcome.events == [head(200, "Connection established", [Field("Via", "1.1 proxy")], .switchedProtocols), .end(trailers: [])])
        #expect(outcome.switchedProtocols)
        #expect(outcome.tunnelBytes == tunnel)
        #expect(!outcome.midResponse)
        #expect(outcome.heads.first?.keepAlive == false)

        // A refused CONNECT has an ordinary body and no tunnel.
        let refused = parseResponseAllWays(
            "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 4\r\n\r\ndeny", expecting: [.connect]
        )
        #expect(refused.events.map(\.description).count == 3)
        #expect(refused.bodies == [bytes("deny")])
        #expect(!refused.switchedProtocols)

        // Not expecting CONNECT, the same bytes are a close-delimited body.
        let asGet = parseResponseAllWays(wire)
        #expect(!asGet.switchedProtocols)
        #expect(asGet.midResponse)
    }

    @Test func switchingProtocolsEndsParsing() {
        let wire = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\u{81}\u{5}hello"
        let outcome = parseResponseAllWays(wire)
        #expect(outcome.error == nil)
        #expect(outcome.events == [
            head(101, "Switching Protocols", [Field("Upgrade", "websocket"), Field("Connection", "Upgrade")], .switchedProtocols),
            .end(trailers: []),
        ])
        #expect(outcome.switchedProtocols)
        #expect(outcome.tunnelBytes == bytes("\u{81}\u{5}hello"))
    }

    // MARK: - Other

    @Test func keepAliveRules() {
        let cases: [(String, Bool)] = [
            ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true),
            ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive, Close\r\n\r\n", false),
            ("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false),
            ("HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: Keep-Alive\r\n\r\n", true),
            ("HTTP/1.1 200 OK\r\n\r\n", false),
        ]
        for (wire, keepAlive) in cases {
            let outcome = parseResponseAllWays(wire)
            #expect(outcome.heads.first?.keepAlive == keepAlive, "\(wire.debugDescription)")
        }
    }

    @Test func rawBufferAppendAndTakeBufferedBytes() throws {
        var parser = ResponseParser()
        let wire = bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 2")
        wire.withUnsafeBytes { parser.append($0) }
        #expect(parser.bufferedByteCount == wire.count)
        guard case .head = try parser.next() else { Issue.record("expected head"); return }
        #expect(try parser.next().map { if case .body(let piece) = $0 { return piece } else { return [] } } == bytes("ok"))
        guard case .end = try parser.next() else { Issue.record("expected end"); return }
        #expect(try parser.next() == nil)
        #expect(parser.isMidResponse)
        #expect(parser.takeBufferedBytes() == bytes("HTTP/1.1 2"))
        #expect(parser.isIdle)
    }

    /// Fixed-seed mutants of valid responses: the three feedings must agree (the harness
    /// checks that), the parser never emits an empty piece, and errors are sticky.
    @Test func mutantsParseTheSameHoweverSplit() {
        let seeds = [
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: v\r\n\r\n",
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\n\r\nrest",
        ].map(bytes)
        let limits = ResponseParserLimits(maxHeadBytes: 96, maxHeaderFields: 4, maxChunkLineLength: 16, maxBodyBytes: 32)
        var state: UInt64 = 0x5EED
        func random(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
        let inserted: [UInt8] = [ASCII.cr, ASCII.lf, 0, ASCII.space, ASCII.colon, UInt8(ascii: "0")]
        var errors = 0
        for index in 0..<150 {
            var input = seeds[index % seeds.count]
            for _ in 0...random(3) {
                switch random(4) {
                case 0: input[random(input.count)] ^= UInt8(1) << UInt8(random(8))
                case 1: input.insert(inserted[random(inserted.count)], at: random(input.count + 1))
                case 2 where input.count > 1: input.remove(at: random(input.count))
                default:
                    let start = random(input.count)
                    input.insert(contentsOf: input[start...], at: input.count)
                }
            }
            let outcome = parseResponseAllWays(input, limits: limits, finish: index % 2 == 0)
            if outcome.error != nil { errors += 1 }
        }
        // The mutants exercise both acceptance and rejection.
        #expect(errors > 10 && errors < 140)
    }
}
