import Testing
@testable import HTTP1

/// One request the parser must reject, with the reason and the status the server answers.
struct Rejection: Sendable, CustomTestStringConvertible {
    let name: String
    let input: [UInt8]
    let reason: HTTPParseError.Reason
    let status: Int
    let limits: RequestParserLimits
    /// Whether the request's head is delivered before the error (errors in the body).
    let afterHead: Bool

    init(
        _ name: String, _ text: String, _ reason: HTTPParseError.Reason, _ status: Int,
        limits: RequestParserLimits = RequestParserLimits(), afterHead: Bool = false
    ) {
        self.init(name, bytes(text), reason, status, limits: limits, afterHead: afterHead)
    }

    init(
        _ name: String, _ input: [UInt8], _ reason: HTTPParseError.Reason, _ status: Int,
        limits: RequestParserLimits = RequestParserLimits(), afterHead: Bool = false
    ) {
        self.name = name
        self.input = input
        self.reason = reason
        self.status = status
        self.limits = limits
        self.afterHead = afterHead
    }

    var testDescription: String { "\(name) -> \(status) \(reason)" }
}

private let host = "Host: a\r\n"
private func get(_ headers: String) -> String { "GET / HTTP/1.1\r\n\(headers)\r\n" }
private func post(_ headers: String, body: String = "") -> String { "POST / HTTP/1.1\r\n\(host)\(headers)\r\n\(body)" }
private func chunked(_ body: String) -> String { post("Transfer-Encoding: chunked\r\n", body: body) }

private let defaults = RequestParserLimits()

/// Request-line and header-section rejections.
let headRejections: [Rejection] = [
    // Request line.
    Rejection("no spaces in request line", "GET\r\n\(host)\r\n", .malformedRequestLine, 400),
    Rejection("request line starts with space", " / HTTP/1.1\r\n\(host)\r\n", .malformedRequestLine, 400),
    Rejection("two spaces after method", "GET  / HTTP/1.1\r\n\(host)\r\n", .malformedRequestLine, 400),
    Rejection("missing version", "GET /\r\n\(host)\r\n", .malformedRequestLine, 400),
    Rejection("invalid method token", "G@T / HTTP/1.1\r\n\(host)\r\n", .invalidMethod, 400),
    Rejection("control char in target", "GET /a\u{01}b HTTP/1.1\r\n\(host)\r\n", .invalidTarget, 400),
    Rejection("non-ASCII in target", "GET /caf\u{E9} HTTP/1.1\r\n\(host)\r\n", .invalidTarget, 400),
    Rejection("HTTP/2.0", "GET / HTTP/2.0\r\n\(host)\r\n", .unsupportedVersion, 505),
    Rejection("HTTP/0.9", "GET / HTTP/0.9\r\n\(host)\r\n", .unsupportedVersion, 505),
    Rejection("HTTP/1.2", "GET / HTTP/1.2\r\n\(host)\r\n", .unsupportedVersion, 505),
    Rejection("HTTP/3.0", "GET / HTTP/3.0\r\n\(host)\r\n", .unsupportedVersion, 505),
    Rejection("HTTP/1.1x", "GET / HTTP/1.1x\r\n\(host)\r\n", .invalidVersion, 400),
    Rejection("HTP/1.1", "GET / HTP/1.1\r\n\(host)\r\n", .invalidVersion, 400),
    Rejection("lowercase http/1.1", "GET / http/1.1\r\n\(host)\r\n", .invalidVersion, 400),
    Rejection("HTTP/1", "GET / HTTP/1\r\n\(host)\r\n", .invalidVersion, 400),
    Rejection("HTTP/11.1", "GET / HTTP/11.1\r\n\(host)\r\n", .invalidVersion, 400),
    Rejection("text after version", "GET / HTTP/1.1 extra\r\n\(host)\r\n", .invalidVersion, 400),

    // Line endings.
    Rejection("bare CR in request line", "GET /\r HTTP/1.1\r\n\(host)\r\n", .bareCarriageReturn, 400),
    Rejection("bare CR ending request line", "GET / HTTP/1.1\r\(host)\r\n", .bareCarriageReturn, 400),
    Rejection("bare CR in header value", get("\(host)X-A: a\rb\r\n"), .bareCarriageReturn, 400),
    Rejection("CR CR LF after header", get("Host: a\r\r\n"), .bareCarriageReturn, 400),
    Rejection("bare CR before request line", "\rGET / HTTP/1.1\r\n\(host)\r\n", .bareCarriageReturn, 400),
    Rejection("bare LF line endings", "GET / HTTP/1.1\nHost: a\n\n", .bareLineFeed, 400),
    Rejection("bare LF after a header", get("\(host)X-A: b\n"), .bareLineFeed, 400),
    Rejection("bare LF as the empty line", "GET / HTTP/1.1\r\n\(host)\n", .bareLineFeed, 400),
    Rejection("bare LF before request line", "\nGET / HTTP/1.1\r\n\(host)\r\n", .bareLineFeed, 400),

    // Field lines.
    Rejection("space before colon", get("Host : a\r\n"), .whitespaceBeforeColon, 400),
    Rejection("tab before colon", get("\(host)X-A\t: b\r\n"), .whitespaceBeforeColon, 400),
    Rejection("@ in header name", get("\(host)X@Y: 1\r\n"), .invalidHeaderName, 400),
    Rejection("quote in header name", get("\(host)X\"Y: 1\r\n"), .invalidHeaderName, 400),
    Rejection("slash in header name", get("\(host)X/Y: 1\r\n"), .invalidHeaderName, 400),
    Rejection("non-ASCII header name", get("\(host)N\u{E4}me: 1\r\n"), .invalidHeaderName, 400),
    Rejection("empty header name", get("\(host): value\r\n"), .invalidHeaderName, 400),
    Rejection("line without colon", get("\(host)NoColonHere\r\n"), .invalidHeaderName, 400),
    Rejection("NUL in header value", get("\(host)X-A: a\u{0}b\r\n"), .invalidHeaderValue, 400),
    Rejection("NUL at end of header value", get("\(host)X-A: a\u{0}\r\n"), .invalidHeaderValue, 400),
    Rejection("SOH in header value", get("\(host)X-A: \u{01}\r\n"), .invalidHeaderValue, 400),
    Rejection("ESC in header value", get("\(host)X-A: a\u{1B}[0m\r\n"), .invalidHeaderValue, 400),
    Rejection("DEL in header value", get("\(host)X-A: a\u{7F}\r\n"), .invalidHeaderValue, 400),
    Rejection("obs-fold with space", get("\(host)X-Long: part1\r\n part2\r\n"), .obsoleteLineFolding, 400),
    Rejection("obs-fold with tab", get("\(host)X-Long: part1\r\n\tpart2\r\n"), .obsoleteLineFolding, 400),
    Rejection("whitespace before first field", get(" \(host)"), .obsoleteLineFolding, 400),

    // Host.
    Rejection("missing Host in HTTP/1.1", get("Accept: */*\r\n"), .missingHost, 400),
    Rejection("duplicate Host", get("Host: a\r\nHost: a\r\n"), .duplicateHost, 400),
    Rejection("duplicate Host, different case", get("host: a\r\nHOST: b\r\n"), .duplicateHost, 400),
    Rejection("duplicate Host in HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", .duplicateHost, 400),
    Rejection("space in Host", get("Host: a b\r\n"), .invalidHost, 400),
    Rejection("slash in Host", get("Host: a/b\r\n"), .invalidHost, 400),

    // Framing (request smuggling).
    Rejection("Content-Length and Transfer-Encoding", post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", body: "0\r\n\r\n"),
              .conflictingFraming, 400),
    Rejection("Transfer-Encoding and Content-Length", post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", body: "0\r\n\r\n"),
              .conflictingFraming, 400),
    Rejection("two different Content-Length fields", post("Content-Length: 5\r\nContent-Length: 6\r\n", body: "hello!"),
              .conflictingContentLength, 400),
    Rejection("two different Content-Length values", post("Content-Length: 5, 6\r\n", body: "hello!"), .conflictingContentLength, 400),
    Rejection("Content-Length abc", post("Content-Length: abc\r\n"), .invalidContentLength, 400),
    Rejection("Content-Length -1", post("Content-Length: -1\r\n"), .invalidContentLength, 400),
    Rejection("Content-Length +5", post("Content-Length: +5\r\n", body: "hello"), .invalidContentLength, 400),
    Rejection("Content-Length 1 2", post("Content-Length: 1 2\r\n"), .invalidContentLength, 400),
    Rejection("Content-Length empty", post("Content-Length:\r\n"), .invalidContentLength, 400),
    Rejection("Content-Length blank", post("Content-Length:   \r\n"), .invalidContentLength, 400),
    Rejection("Content-Length 5,", post("Content-Length: 5,\r\n", body: "hello"), .invalidContentLength, 400),
    Rejection("Content-Length 0x5", post("Content-Length: 0x5\r\n", body: "hello"), .invalidContentLength, 400),
    Rejection("Content-Length 5.0", post("Content-Length: 5.0\r\n", body: "hello"), .invalidContentLength, 400),
    Rejection("Content-Length 19 digits", post("Content-Length: 1234567890123456789\r\n"), .invalidContentLength, 400),
    Rejection("Content-Length 19 digits with leading zeros", post("Content-Length: 0000000000000000005\r\n", body: "hello"),
              .invalidContentLength, 400),
    Rejection("Content-Length 25 digits", post("Content-Length: 9999999999999999999999999\r\n"), .invalidContentLength, 400),
    Rejection("Transfer-Encoding gzip", post("Transfer-Encoding: gzip\r\n"), .chunkedNotFinal, 400),
    Rejection("Transfer-Encoding deflate", post("Transfer-Encoding: deflate\r\n"), .chunkedNotFinal, 400),
    Rejection("Transfer-Encoding gzip, chunked", post("Transfer-Encoding: gzip, chunked\r\n", body: "0\r\n\r\n"),
              .unsupportedTransferCoding, 501),
    Rejection("Transfer-Encoding gzip then chunked fields", post("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", body: "0\r\n\r\n"),
              .unsupportedTransferCoding, 501),
    Rejection("Transfer-Encoding chunked, gzip", post("Transfer-Encoding: chunked, gzip\r\n"), .chunkedNotFinal, 400),
    Rejection("Transfer-Encoding chunked, chunked", post("Transfer-Encoding: chunked, chunked\r\n", body: "0\r\n\r\n"),
              .chunkedNotFinal, 400),
    Rejection("Transfer-Encoding chunked twice as fields", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", body: "0\r\n\r\n"),
              .chunkedNotFinal, 400),
    Rejection("Transfer-Encoding empty", post("Transfer-Encoding:\r\n"), .chunkedNotFinal, 400),
    Rejection("Transfer-Encoding in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .transferEncodingInHTTP10, 400),
    Rejection("Transfer-Encoding and Content-Length in HTTP/1.0",
              "POST / HTTP/1.0\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", .transferEncodingInHTTP10, 400),
]

/// Rejections in a chunked body: the head is delivered first.
let bodyRejections: [Rejection] = [
    Rejection("chunk size zz", chunked("zz\r\nhello\r\n0\r\n\r\n"), .invalidChunkSize, 400, afterHead: true),
    Rejection("empty chunk size", chunked("\r\nhello\r\n0\r\n\r\n"), .invalidChunkSize, 400, afterHead: true),
    Rejection("chunk size 17 hex digits", chunked("10000000000000000\r\n"), .invalidChunkSize, 400, afterHead: true),
    Rejection("chunk size 17 hex digits, zeros", chunked("00000000000000005\r\nhello\r\n0\r\n\r\n"), .invalidChunkSize, 400, afterHead: true),
    Rejection("negative chunk size", chunked("-5\r\nhello\r\n0\r\n\r\n"), .invalidChunkSize, 400, afterHead: true),
    Rejection("chunk size 0x5", chunked("0x5\r\nhello\r\n0\r\n\r\n"), .invalidChunkSize, 400, afterHead: true),
    Rejection("chunk size with trailing space only", chunked("5 \r\nhello\r\n0\r\n\r\n"), .invalidChunkSize, 400, afterHead: true),
    Rejection("control char in chunk extension", chunked("5;a=\u{01}\r\nhello\r\n0\r\n\r\n"), .invalidChunkExtension, 400, afterHead: true),
    Rejection("bare CR in chunk line", chunked("5\rX\r\nhello\r\n0\r\n\r\n"), .bareCarriageReturn, 400, afterHead: true),
    Rejection("bare LF ending chunk line", chunked("5\nhello\r\n0\r\n\r\n"), .bareLineFeed, 400, afterHead: true),
    Rejection("chunk data longer than size", chunked("5\r\nhelloX\r\n0\r\n\r\n"), .missingChunkTerminator, 400, afterHead: true),
    Rejection("chunk data then CR without LF", chunked("5\r\nhello\rX0\r\n\r\n"), .missingChunkTerminator, 400, afterHead: true),
    Rejection("chunk data then bare LF", chunked("5\r\nhello\n0\r\n\r\n"), .missingChunkTerminator, 400, afterHead: true),
    Rejection("chunk data shorter than size", chunked("6\r\nhello\r\n0\r\n\r\n"), .missingChunkTerminator, 400, afterHead: true),
    Rejection("bare LF in trailers", chunked("0\r\nX-T: 1\n\r\n"), .bareLineFeed, 400, afterHead: true),
    Rejection("bare CR in trailers", chunked("0\r\nX-T: 1\rx\r\n\r\n"), .bareCarriageReturn, 400, afterHead: true),
    Rejection("space in trailer name", chunked("0\r\nX T: 1\r\n\r\n"), .whitespaceBeforeColon, 400, afterHead: true),
    Rejection("NUL in trailer value", chunked("0\r\nX-T: \u{0}\r\n\r\n"), .invalidHeaderValue, 400, afterHead: true),
    Rejection("obs-fold in trailers", chunked("0\r\nX-T: 1\r\n 2\r\n\r\n"), .obsoleteLineFolding, 400, afterHead: true),
    Rejection("chunk line over maxChunkLineLength", chunked("5;" + String(repeating: "e", count: defaults.maxChunkLineLength) + "\r\nhello\r\n0\r\n\r\n"),
              .invalidChunkExtension, 400, afterHead: true),
    Rejection("chunk line over maxChunkLineLength, no line end yet", chunked("5;" + String(repeating: "e", count: defaults.maxChunkLineLength)),
              .invalidChunkExtension, 400, afterHead: true),
    Rejection("chunked body over maxBodyBytes", chunked("5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n"), .contentTooLarge, 413,
              limits: RequestParserLimits(maxBodyBytes: 10), afterHead: true),
    Rejection("single chunk over maxBodyBytes", chunked("100001\r\n"), .contentTooLarge, 413, afterHead: true),
    Rejection("huge chunk size", chunked("fffffffffffffff\r\n"), .contentTooLarge, 413, afterHead: true),
]

/// Size limits (431, 414, 413) on the head; big fixtures get sampled split points.
let limitRejections: [Rejection] = {
    var list: [Rejection] = []
    let longTarget = "/" + String(repeating: "t", count: defaults.maxTargetLength)
    list.append(Rejection("target one over maxTargetLength", "GET \(longTarget) HTTP/1.1\r\n\(host)\r\n", .targetTooLong, 414))
    list.append(Rejection("target far over maxTargetLength, no line end", "GET /" + String(repeating: "t", count: defaults.maxTargetLength + 64),
                          .targetTooLong, 414))
    list.append(Rejection("target over a small limit", "GET /0123456789 HTTP/1.1\r\n\(host)\r\n", .targetTooLong, 414,
                          limits: RequestParserLimits(maxTargetLength: 10)))
    list.append(Rejection("request line without spaces over the bound", String(repeating: "G", count: defaults.maxTargetLength + 65),
                          .malformedRequestLine, 400))

    // Few long lines, so the size limit is hit long before the field-count limit.
    let filler = "X-Filler: " + String(repeating: "f", count: 988) + "\r\n" // 1 000 bytes
    let bigHead = "GET / HTTP/1.1\r\n\(host)" + String(repeating: filler, count: 17) // 17 025 bytes
    list.append(Rejection("header section over 16 KiB", bigHead + "\r\n", .headerSectionTooLarge, 431))
    list.append(Rejection("header section over 16 KiB, no end yet", bigHead, .headerSectionTooLarge, 431))
    list.append(Rejection("one header field over 16 KiB", get("\(host)X-Big: " + String(repeating: "b", count: defaults.maxHeaderBytes)),
                          .headerSectionTooLarge, 431))

    var manyFields = "GET / HTTP/1.1\r\n\(host)"
    for index in 1...100 { manyFields += "X-\(index): v\r\n" }
    list.append(Rejection("101 header fields", manyFields + "\r\n", .tooManyHeaderFields, 431))
    list.append(Rejection("101 header fields, no end yet", manyFields, .tooManyHeaderFields, 431))

    var manyTrailers = "0\r\n"
    for index in 0...100 { manyTrailers += "X-\(index): v\r\n" }
    list.append(Rejection("101 trailer fields", chunked(manyTrailers + "\r\n"), .trailerSectionTooLarge, 431, afterHead: true))
    list.append(Rejection("trailer section over 16 KiB", chunked("0\r\n" + String(repeating: filler, count: 17) + "\r\n"),
                          .trailerSectionTooLarge, 431, afterHead: true))

    list.append(Rejection("declared body over maxBodyBytes", post("Content-Length: \(defaults.maxBodyBytes + 1)\r\n"), .contentTooLarge, 413))
    list.append(Rejection("declared body over a small limit", post("Content-Length: 11\r\n", body: "hello world"), .contentTooLarge, 413,
                          limits: RequestParserLimits(maxBodyBytes: 10)))
    list.append(Rejection("declared body of 18 digits", post("Content-Length: 999999999999999999\r\n"), .contentTooLarge, 413))
    return list
}()

@Suite("RequestParser: rejections")
struct RejectionTests {
    private func check(_ rejection: Rejection, sourceLocation: SourceLocation = #_sourceLocation) {
        let outcome = parseAllWays(rejection.input, limits: rejection.limits, splitStride: sampledStride(for: rejection.input.count),
                                   sourceLocation: sourceLocation)
        #expect(outcome.error == rejection.reason, sourceLocation: sourceLocation)
        #expect(outcome.errorStatus == rejection.status, sourceLocation: sourceLocation)
        if rejection.afterHead {
            guard case .head = outcome.events.first else {
                Issue.record("expected the head before the error, got \(outcome.events)", sourceLocation: sourceLocation)
                return
            }
            #expect(!outcome.events.contains { if case .end = $0 { true } else { false } }, sourceLocation: sourceLocation)
        } else {
            #expect(outcome.events.isEmpty, "no event before a head error", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: headRejections)
    func headRejection(_ rejection: Rejection) { check(rejection) }

    @Test(arguments: bodyRejections)
    func bodyRejection(_ rejection: Rejection) { check(rejection) }

    @Test(arguments: limitRejections)
    func limitRejection(_ rejection: Rejection) { check(rejection) }

    @Test func statusOfEveryReason() {
        let expected: [HTTPParseError.Reason: Int] = [
            .unsupportedVersion: 505, .targetTooLong: 414, .headerSectionTooLarge: 431, .tooManyHeaderFields: 431,
            .trailerSectionTooLarge: 431, .unsupportedTransferCoding: 501, .contentTooLarge: 413,
            .malformedRequestLine: 400, .invalidMethod: 400, .invalidTarget: 400, .invalidVersion: 400,
            .bareCarriageReturn: 400, .bareLineFeed: 400, .whitespaceBeforeColon: 400, .invalidHeaderName: 400,
            .invalidHeaderValue: 400, .obsoleteLineFolding: 400, .missingHost: 400, .duplicateHost: 400,
            .invalidHost: 400, .conflictingFraming: 400, .invalidContentLength: 400, .conflictingContentLength: 400,
            .transferEncodingInHTTP10: 400, .chunkedNotFinal: 400, .invalidChunkSize: 400, .invalidChunkExtension: 400,
            .missingChunkTerminator: 400,
        ]
        for (reason, code) in expected {
            let error = HTTPParseError(reason)
            #expect(error.status.code == code, "\(reason)")
            #expect(error.description.hasPrefix("\(code) "))
            #expect(!error.message.isEmpty)
        }
    }

    /// Feeds `input` one byte at a time; returns how many bytes were fed when `next()` threw.
    private func bytesFedAtFirstError(
        _ input: [UInt8], limits: RequestParserLimits = RequestParserLimits()
    ) -> (count: Int, error: HTTPParseError)? {
        var parser = RequestParser(limits: limits)
        for (index, byte) in input.enumerated() {
            parser.append(CollectionOfOne(byte))
            do {
                while try parser.next() != nil {}
            } catch {
                return (index + 1, error)
            }
        }
        return nil
    }

    @Test func longTargetIsRejectedBeforeTheLineEnds() throws {
        let limits = RequestParserLimits()
        // A target that never ends: no space, no CRLF, ever.
        let input = bytes("GET /" + String(repeating: "a", count: 4 * limits.maxTargetLength))
        let (count, error) = try #require(bytesFedAtFirstError(input, limits: limits))
        #expect(error.reason == .targetTooLong)
        #expect(error.status.code == 414)
        // Not before the target is actually over the limit ("GET " + maxTargetLength bytes is fine)...
        #expect(count > 4 + limits.maxTargetLength)
        // ...and never more than the bound of maxTargetLength + 64 bytes of request line held.
        #expect(count <= limits.maxTargetLength + 64 + 1)

        // Fed whole, the same bound: maxTargetLength + 64 bytes plus one are rejected right away.
        var parser = RequestParser(limits: limits)
        parser.append(input.prefix(limits.maxTargetLength + 64 + 1))
        do {
            let event = try parser.next()
            Issue.record("expected 414, got \(String(describing: event))")
        } catch {
            #expect(error.reason == .targetTooLong)
            #expect(error.status.code == 414)
        }
    }

    @Test func largeHeaderSectionIsRejectedBeforeTheHeadEnds() throws {
        let limits = RequestParserLimits()
        var text = "GET / HTTP/1.1\r\nHost: a\r\n"
        // Lines of about 1 KB: the byte limit, not the field-count limit, is what trips.
        while text.utf8.count < 4 * limits.maxHeaderBytes {
            text += "X-Filler: \(text.utf8.count) " + String(repeating: "f", count: 1000) + "\r\n"
        }
        let (count, error) = try #require(bytesFedAtFirstError(bytes(text), limits: limits))
        #expect(error.reason == .headerSectionTooLarge)
        #expect(error.status.code == 431)
        #expect(count > limits.maxHeaderBytes)
        #expect(count <= limits.maxHeaderBytes + 2)
    }

    @Test func tooManyFieldsAreRejectedBeforeTheHeadEnds() throws {
        let limits = RequestParserLimits()
        var text = "GET / HTTP/1.1\r\nHost: a\r\n"
        for index in 1..<limits.maxHeaderFields { text += "X-\(index): v\r\n" }
        let atLimit = bytes(text).count
        for index in 0..<50 { text += "Y-\(index): v\r\n" }
        let (count, error) = try #require(bytesFedAtFirstError(bytes(text), limits: limits))
        #expect(error.reason == .tooManyHeaderFields)
        #expect(count == atLimit + "Y-0: v\r\n".utf8.count)
    }

    @Test func declaredBodyOverLimitIsRejectedWhenTheHeadCompletes() throws {
        let limits = RequestParserLimits()
        let input = bytes("PUT /upload?x=1 HTTP/1.1\r\nHost: a\r\nOrigin: https://app.example\r\nContent-Length: \(limits.maxBodyBytes + 1)\r\n\r\n")
        // Byte by byte: nothing until the last byte of the head, then 413 with no body sent.
        let (count, error) = try #require(bytesFedAtFirstError(input, limits: limits))
        #expect(count == input.count)
        #expect(error.reason == .contentTooLarge)
        #expect(error.status.code == 413)
        let head = try #require(error.head)
        #expect(head.method == .put)
        #expect(head.target == "/upload?x=1")
        #expect(head.headers["Origin"] == "https://app.example")
        #expect(head.framing == .contentLength(limits.maxBodyBytes + 1))

        // Whole, then sticky with the head still attached.
        var parser = RequestParser(limits: limits)
        parser.append(input)
        for _ in 0..<2 {
            do {
                _ = try parser.next()
                Issue.record("expected 413")
            } catch {
                #expect(error.reason == .contentTooLarge)
                #expect(error.head?.headers["Origin"] == "https://app.example")
            }
        }

        // And the same whole, byte by byte and split.
        let outcome = parseAllWays(input, limits: limits)
        #expect(outcome.error == .contentTooLarge)
        #expect(outcome.errorHasHead)
        #expect(outcome.events.isEmpty)
    }

    @Test func headErrorsCarryNoHead() throws {
        let (_, error) = try #require(bytesFedAtFirstError(bytes("GET / HTTP/1.1\r\n\r\n")))
        #expect(error.reason == .missingHost)
        #expect(error.head == nil)
    }

    @Test func chunkedBodyOverLimitIsRejectedBeforeItsData() throws {
        let limits = RequestParserLimits(maxBodyBytes: 10)
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        let input = bytes(head + "8\r\n01234567\r\n3\r\n")
        let (count, error) = try #require(bytesFedAtFirstError(input + bytes("abc\r\n0\r\n\r\n"), limits: limits))
        #expect(count == input.count) // at the chunk-size line, before the chunk's data
        #expect(error.reason == .contentTooLarge)
        #expect(error.status.code == 413)
    }

    @Test func errorIsStickyAcrossCallsAndAppends() throws {
        var parser = RequestParser()
        parser.append(bytes("GET / HTTP/2.0\r\nHost: a\r\n\r\n"))
        #expect(throws: HTTPParseError.self) { try parser.next() }
        for _ in 0..<3 {
            parser.append(bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
            do {
                _ = try parser.next()
                Issue.record("a failed parser produced an event")
            } catch {
                #expect(error.reason == .unsupportedVersion)
                #expect(error.status.code == 505)
            }
        }
        #expect(!parser.isIdle)
        #expect(!parser.isMidRequest)
    }

    @Test func validRequestBeforeAnErrorIsStillDelivered() {
        let outcome = parseAllWays("GET /ok HTTP/1.1\r\nHost: a\r\n\r\nGET /bad HTTP/1.1\r\n\r\n")
        #expect(outcome.events.count == 2)
        #expect(outcome.headSummaries.map(\.target) == ["/ok"])
        #expect(outcome.error == .missingHost)
    }
}
