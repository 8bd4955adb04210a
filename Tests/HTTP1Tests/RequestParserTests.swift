import Testing
@testable import HTTP1

/// Valid requests: every fixture goes through `parseAllWays` (whole, byte by byte, split at
/// every position), then the whole run's events are checked.
@Suite("RequestParser: valid requests")
struct RequestParserTests {
    private func head(
        _ method: String, _ target: String, _ version: HTTPVersion = .http1_1,
        _ headers: [Field], _ framing: BodyFraming = .none
    ) -> Event {
        var summary = HeadSummary(RequestHead(method: HTTPMethod(rawValue: method), target: target, version: version))
        summary.headers = headers
        summary.framing = framing
        return .head(summary)
    }

    @Test func simpleGet() {
        let outcome = parseAllWays("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.events == [
            head("GET", "/", .http1_1, [Field("Host", "a")]),
            .end(trailers: []),
        ])
        #expect(!outcome.midRequest)
        #expect(outcome.bufferedByteCount == 0)
        guard let request = outcome.heads.first else { Issue.record("no head"); return }
        #expect(request.method == .get)
        #expect(request.path == "/")
        #expect(request.query == nil)
        #expect(request.keepAlive)
        #expect(!request.expectsContinue)
    }

    @Test func incompleteHeadWaitsForMoreBytes() {
        let outcome = parseAllWays("GET / HTTP/1.1\r\nHost: a\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.events.isEmpty)
        #expect(outcome.midRequest)
    }

    @Test func parserStateBetweenRequests() throws {
        var parser = RequestParser()
        #expect(parser.isIdle)
        #expect(!parser.isMidRequest)
        parser.append(bytes("GET / HTTP/1.1\r\n"))
        #expect(try parser.next() == nil)
        #expect(!parser.isIdle)
        #expect(parser.isMidRequest)
        parser.append(bytes("Host: a\r\n\r\n"))
        guard case .head = try parser.next() else { Issue.record("expected head"); return }
        guard case .end = try parser.next() else { Issue.record("expected end"); return }
        #expect(try parser.next() == nil)
        #expect(parser.isIdle)
        #expect(!parser.isMidRequest)
        #expect(parser.bufferedByteCount == 0)
    }

    @Test func headerNamesKeepTheirCaseAndLookUpCaseInsensitively() throws {
        let outcome = parseAllWays("GET / HTTP/1.1\r\nhOsT: a\r\nX-Custom-Thing: 1\r\nx-custom-thing: 2\r\n\r\n")
        #expect(outcome.error == nil)
        let request = try #require(outcome.heads.first)
        #expect(fields(request.headers) == [Field("hOsT", "a"), Field("X-Custom-Thing", "1"), Field("x-custom-thing", "2")])
        #expect(request.headers["HOST"] == "a")
        #expect(request.headers.values("X-CUSTOM-THING") == ["1", "2"])
    }

    @Test func anyMethodTokenIsAccepted() throws {
        let outcome = parseAllWays("PURGE /cache HTTP/1.1\r\nHost: a\r\n\r\nOPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.headSummaries.map(\.method) == ["PURGE", "OPTIONS"])
        #expect(outcome.headSummaries.map(\.target) == ["/cache", "*"])
    }

    @Test func http10WithoutHost() throws {
        let outcome = parseAllWays("GET /legacy HTTP/1.0\r\n\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.events == [head("GET", "/legacy", .http1_0, []), .end(trailers: [])])
        let request = try #require(outcome.heads.first)
        #expect(request.version == .http1_0)
        #expect(!request.keepAlive)
    }

    struct KeepAliveCase: Sendable, CustomTestStringConvertible {
        let request: String
        let keepAlive: Bool
        var testDescription: String { "\(request.debugDescription) -> \(keepAlive)" }
    }

    @Test(arguments: [
        KeepAliveCase(request: "GET / HTTP/1.1\r\nHost: a\r\n\r\n", keepAlive: true),
        KeepAliveCase(request: "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", keepAlive: false),
        KeepAliveCase(request: "GET / HTTP/1.1\r\nHost: a\r\nConnection: CLOSE\r\n\r\n", keepAlive: false),
        KeepAliveCase(request: "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n", keepAlive: false),
        KeepAliveCase(request: "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", keepAlive: true),
        KeepAliveCase(request: "GET / HTTP/1.0\r\n\r\n", keepAlive: false),
        KeepAliveCase(request: "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", keepAlive: true),
        KeepAliveCase(request: "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", keepAlive: true),
        KeepAliveCase(request: "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", keepAlive: false),
    ])
    func keepAlive(_ testCase: KeepAliveCase) throws {
        let outcome = parseAllWays(testCase.request)
        #expect(outcome.error == nil)
        let request = try #require(outcome.heads.first)
        #expect(request.keepAlive == testCase.keepAlive)
    }

    @Test func postWithContentLength() throws {
        let outcome = parseAllWays("POST /submit HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world")
        #expect(outcome.error == nil)
        #expect(outcome.events == [
            head("POST", "/submit", .http1_1, [Field("Host", "a"), Field("Content-Length", "11")], .contentLength(11)),
            .body(bytes("hello world")),
            .end(trailers: []),
        ])
        #expect(!outcome.midRequest)
    }

    @Test func bodyBytesThatLookLikeARequestAreBody() {
        // The body ends exactly at Content-Length, whatever it contains; the next bytes are
        // the next request.
        let body = "GET /inner HTTP/1.1\r\nHost: b\r\n\r\n"
        let outcome = parseAllWays(
            "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)GET /b HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.headSummaries.map(\.target) == ["/a", "/b"])
        #expect(outcome.bodies == [bytes(body), []])
    }

    @Test func contentLengthZero() {
        let outcome = parseAllWays("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.events == [
            head("POST", "/", .http1_1, [Field("Host", "a"), Field("Content-Length", "0")], .contentLength(0)),
            .end(trailers: []),
        ])
    }

    @Test func incompleteBodyWaits() {
        let outcome = parseAllWays("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello")
        #expect(outcome.error == nil)
        #expect(outcome.events.count == 2)
        #expect(outcome.bodies.isEmpty) // no .end yet
        #expect(outcome.events.last == .body(bytes("hello")))
        #expect(outcome.midRequest)
    }

    @Test func chunkedBodyWithExtensionsAndTrailers() throws {
        let outcome = parseAllWays(
            "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n"
                + "1;name=value\r\n \r\n"
                + "A ; ext1; ext2=\"quoted value\"\r\n0123456789\r\n"
                + "0003\r\n!!!\r\n"
                + "0;last\r\n"
                + "X-Checksum: abc123\r\nX-Other:  padded \t\r\n\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.events == [
            head("POST", "/upload", .http1_1, [Field("Host", "a"), Field("Transfer-Encoding", "chunked")], .chunked),
            .body(bytes("hello 0123456789!!!")),
            .end(trailers: [Field("X-Checksum", "abc123"), Field("X-Other", "padded")]),
        ])
        #expect(!outcome.midRequest)
        #expect(outcome.bufferedByteCount == 0)
    }

    @Test func chunkedBodyWithoutTrailersThenNextRequest() {
        let outcome = parseAllWays(
            "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
                + "GET /b HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.headSummaries.map(\.target) == ["/a", "/b"])
        #expect(outcome.headSummaries.map(\.framing) == [.chunked, .none])
        #expect(outcome.bodies == [bytes("abcde"), []])
        #expect(outcome.trailers == [[], []])
    }

    @Test func emptyChunkedBody() {
        let outcome = parseAllWays("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.bodies == [[]])
        #expect(outcome.events.count == 2)
    }

    @Test func incompleteTrailerSectionWaits() {
        let outcome = parseAllWays("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nX-T: 1\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.events.count == 2) // head, body; no end yet
        #expect(outcome.midRequest)
    }

    @Test func leadingCRLFBeforeRequestLineIsIgnored() {
        let outcome = parseAllWays("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.events == [head("GET", "/", .http1_1, [Field("Host", "a")]), .end(trailers: [])])
        #expect(outcome.bufferedByteCount == 0)
    }

    @Test func extraCRLFAfterPostBodyIsIgnored() {
        let outcome = parseAllWays(
            "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(outcome.error == nil)
        #expect(outcome.headSummaries.map(\.target) == ["/a", "/b"])
        #expect(outcome.bodies == [bytes("hi"), []])
    }

    @Test func twoPipelinedRequests() {
        let outcome = parseAllWays(
            "GET /first HTTP/1.1\r\nHost: a\r\n\r\nPOST /second HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nxyz")
        #expect(outcome.error == nil)
        #expect(outcome.events == [
            head("GET", "/first", .http1_1, [Field("Host", "a")]),
            .end(trailers: []),
            head("POST", "/second", .http1_1, [Field("Host", "a"), Field("Content-Length", "3")], .contentLength(3)),
            .body(bytes("xyz")),
            .end(trailers: []),
        ])
        #expect(outcome.bufferedByteCount == 0)
    }

    @Test func hundredPipelinedRequestsInOrder() {
        var text = ""
        var expected: [Event] = []
        for index in 0..<100 {
            switch index % 3 {
            case 0:
                text += "GET /r\(index) HTTP/1.1\r\nHost: a\r\n\r\n"
                expected += [head("GET", "/r\(index)", .http1_1, [Field("Host", "a")]), .end(trailers: [])]
            case 1:
                let body = "body-\(index)"
                text += "POST /r\(index) HTTP/1.1\r\nHost: a\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                expected += [
                    head("POST", "/r\(index)", .http1_1,
                         [Field("Host", "a"), Field("Content-Length", "\(body.utf8.count)")], .contentLength(body.utf8.count)),
                    .body(bytes(body)), .end(trailers: []),
                ]
            default:
                text += "PUT /r\(index) HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n\(index % 10)\(index % 10)\r\n0\r\nX-N: \(index)\r\n\r\n"
                expected += [
                    head("PUT", "/r\(index)", .http1_1, [Field("Host", "a"), Field("Transfer-Encoding", "chunked")], .chunked),
                    .body(bytes("\(index % 10)\(index % 10)")), .end(trailers: [Field("X-N", "\(index)")]),
                ]
            }
        }
        let input = bytes(text)
        let outcome = parseAllWays(input, splitStride: sampledStride(for: input.count))
        #expect(outcome.error == nil)
        #expect(outcome.headSummaries.count == 100)
        #expect(outcome.events == expected)
        #expect(outcome.bufferedByteCount == 0)
        #expect(!outcome.midRequest)
    }

    struct TargetCase: Sendable, CustomTestStringConvertible {
        let target: String
        let path: String
        let query: String?
        var testDescription: String { target }
    }

    @Test(arguments: [
        TargetCase(target: "/", path: "/", query: nil),
        TargetCase(target: "/search?q=swift&page=2", path: "/search", query: "q=swift&page=2"),
        TargetCase(target: "/a/b/c?", path: "/a/b/c", query: ""),
        TargetCase(target: "/p%20q?x=%2F", path: "/p%20q", query: "x=%2F"),
        TargetCase(target: "http://example.com:8080/a/b?x=1&y=2", path: "/a/b", query: "x=1&y=2"),
        TargetCase(target: "https://example.com/", path: "/", query: nil),
        TargetCase(target: "http://example.com", path: "/", query: nil),
        TargetCase(target: "http://example.com?x=1", path: "/", query: "x=1"),
        TargetCase(target: "http://example.com?next=/elsewhere", path: "/", query: "next=/elsewhere"),
        TargetCase(target: "*", path: "*", query: nil),
    ])
    func targetPathAndQuery(_ testCase: TargetCase) throws {
        let outcome = parseAllWays("GET \(testCase.target) HTTP/1.1\r\nHost: example.com\r\n\r\n")
        #expect(outcome.error == nil)
        let request = try #require(outcome.heads.first)
        #expect(request.target == testCase.target)
        #expect(request.path == testCase.path)
        #expect(request.query.map(String.init) == testCase.query)
    }

    @Test func headerValueOWSIsTrimmed() throws {
        let outcome = parseAllWays(
            "GET / HTTP/1.1\r\nHost:a\r\nX-A:   inner  spaces stay \t \r\nX-B:\tv\t\r\nX-Empty:\r\nX-Blank: \t \r\n\r\n")
        #expect(outcome.error == nil)
        let request = try #require(outcome.heads.first)
        #expect(fields(request.headers) == [
            Field("Host", "a"), Field("X-A", "inner  spaces stay"), Field("X-B", "v"), Field("X-Empty", ""), Field("X-Blank", ""),
        ])
    }

    @Test func obsTextInHeaderValueIsAccepted() throws {
        // UTF-8 is obs-text on the wire (every byte >= 0x80).
        let utf8 = parseAllWays("GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf\u{E9} \u{2603}\r\n\r\n")
        #expect(utf8.error == nil)
        #expect(try #require(utf8.heads.first).headers["X-Name"] == "caf\u{E9} \u{2603}")

        // Raw Latin-1 / arbitrary high bytes, not valid UTF-8.
        let raw = bytes("GET / HTTP/1.1\r\nHost: a\r\nX-Raw: a") + [0xFF, 0x80, 0xE9] + bytes("b\r\n\r\n")
        let outcome = parseAllWays(raw)
        #expect(outcome.error == nil)
        #expect(outcome.events.count == 2)
        let request = try #require(outcome.heads.first)
        let value = try #require(request.headers["X-Raw"])
        #expect(value.hasPrefix("a"))
        #expect(value.hasSuffix("b"))
    }

    @Test(arguments: [
        "Content-Length: 5, 5\r\n",
        "Content-Length: 5,5\r\n",
        "Content-Length: 5\r\nContent-Length: 5\r\n",
        "Content-Length: 005\r\n",
    ])
    func identicalDuplicateContentLengthIsAccepted(_ field: String) {
        let outcome = parseAllWays("POST / HTTP/1.1\r\nHost: a\r\n\(field)\r\nhello")
        #expect(outcome.error == nil)
        #expect(outcome.headSummaries.map(\.framing) == [.contentLength(5)])
        #expect(outcome.bodies == [bytes("hello")])
    }

    struct ContinueCase: Sendable, CustomTestStringConvertible {
        let request: String
        let expectsContinue: Bool
        var testDescription: String { "\(request.debugDescription) -> \(expectsContinue)" }
    }

    @Test(arguments: [
        ContinueCase(request: "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", expectsContinue: true),
        ContinueCase(request: "POST / HTTP/1.1\r\nHost: a\r\nExpect:  100-Continue \r\nTransfer-Encoding: chunked\r\n\r\n", expectsContinue: true),
        ContinueCase(request: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", expectsContinue: false),
        ContinueCase(request: "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n", expectsContinue: false),
        ContinueCase(request: "GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n", expectsContinue: false),
        ContinueCase(request: "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", expectsContinue: false),
    ])
    func expectContinue(_ testCase: ContinueCase) throws {
        let outcome = parseAllWays(testCase.request)
        #expect(outcome.error == nil)
        let request = try #require(outcome.heads.first)
        #expect(request.expectsContinue == testCase.expectsContinue)
    }

    @Test func takeBufferedBytesHandsOverTheBytesAfterAnUpgradeRequest() throws {
        let request = bytes("GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
        // A masked WebSocket text frame (not HTTP), and more after it.
        let frames: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58, 0x0D, 0x0A, 0x00]
        let input = request + frames
        for split in 0...input.count {
            var parser = RequestParser()
            var events: [String] = []
            var ended = false
            for part in [input[..<split], input[split...]] {
                parser.append(part)
                while !ended, let event = try parser.next() {
                    switch event {
                    case .head(let head):
                        events.append("head")
                        #expect(head.headers.containsToken("Connection", "upgrade"))
                    case .body: events.append("body")
                    case .end:
                        events.append("end")
                        ended = true
                    }
                }
            }
            #expect(events == ["head", "end"], "split \(split)")
            #expect(parser.bufferedByteCount == frames.count, "split \(split)")
            #expect(parser.takeBufferedBytes() == frames, "split \(split)")
            #expect(parser.bufferedByteCount == 0)
            #expect(parser.isIdle)
            #expect(parser.takeBufferedBytes() == [])
        }
    }

    @Test func takeBufferedBytesWithNothingLeft() throws {
        var parser = RequestParser()
        parser.append(bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        _ = try parser.next()
        _ = try parser.next()
        #expect(parser.takeBufferedBytes() == [])
    }

    @Test func exactlyMaxHeaderFieldsIsAccepted() throws {
        var text = "GET / HTTP/1.1\r\nHost: a\r\n"
        for index in 1..<100 { text += "X-\(index): \(index)\r\n" }
        let outcome = parseAllWays(text + "\r\n")
        #expect(outcome.error == nil)
        #expect(try #require(outcome.heads.first).headers.count == 100)
    }

    @Test func targetOfExactlyMaxLengthIsAccepted() throws {
        let limits = RequestParserLimits()
        let target = "/" + String(repeating: "a", count: limits.maxTargetLength - 1)
        let input = bytes("GET \(target) HTTP/1.1\r\nHost: a\r\n\r\n")
        let outcome = parseAllWays(input, splitStride: sampledStride(for: input.count))
        #expect(outcome.error == nil)
        #expect(try #require(outcome.heads.first).target == target)
    }

    @Test func headSectionOfExactlyMaxHeaderBytesIsAccepted() throws {
        let limits = RequestParserLimits()
        let prefix = "GET / HTTP/1.1\r\nHost: a\r\nX-Fill: "
        let suffix = "\r\n\r\n"
        let fill = String(repeating: "f", count: limits.maxHeaderBytes - prefix.utf8.count - suffix.utf8.count)
        let input = bytes(prefix + fill + suffix)
        #expect(input.count == limits.maxHeaderBytes)
        let outcome = parseAllWays(input, splitStride: sampledStride(for: input.count))
        #expect(outcome.error == nil)
        #expect(try #require(outcome.heads.first).headers["X-Fill"] == fill)
    }

    @Test func declaredBodyOfExactlyMaxBodyBytesIsAccepted() {
        let limits = RequestParserLimits(maxBodyBytes: 16)
        let outcome = parseAllWays("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 16\r\n\r\n0123456789abcdef", limits: limits)
        #expect(outcome.error == nil)
        #expect(outcome.bodies == [bytes("0123456789abcdef")])
    }

    @Test func chunkedBodyOfExactlyMaxBodyBytesIsAccepted() {
        let limits = RequestParserLimits(maxBodyBytes: 16)
        let outcome = parseAllWays(
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\na\r\n6789abcdef\r\n0\r\n\r\n",
            limits: limits)
        #expect(outcome.error == nil)
        #expect(outcome.bodies == [bytes("0123456789abcdef")])
    }

    @Test func chunkSizeLimitIsPerRequest() {
        // Each chunked request gets the whole body budget; it does not accumulate.
        let limits = RequestParserLimits(maxBodyBytes: 8)
        let one = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n01234567\r\n0\r\n\r\n"
        let outcome = parseAllWays(one + one + one, limits: limits)
        #expect(outcome.error == nil)
        #expect(outcome.bodies == Array(repeating: bytes("01234567"), count: 3))
    }
}
