import Testing
@testable import HTTP1

@Suite("Encoders: ResponseHead, ChunkedEncoder, HTTPWire, HTTPDate")
struct EncoderTests {
    private func text(_ output: [UInt8]) -> String { String(decoding: output, as: UTF8.self) }

    // MARK: ResponseHead

    @Test func responseHeadExactBytes() {
        var headers = HeaderFields()
        headers.add("Content-Type", "application/json")
        headers.add("Content-Length", "17")
        headers.add("Set-Cookie", "a=1")
        headers.add("Set-Cookie", "b=2")
        let head = ResponseHead(status: .ok, headers: headers)
        #expect(head.encoded() == bytes(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n"))
    }

    @Test func responseHeadWithoutHeadersAndHTTP10() {
        #expect(ResponseHead(status: .noContent).encoded() == bytes("HTTP/1.1 204 No Content\r\n\r\n"))
        #expect(ResponseHead(status: .notFound, version: .http1_0).encoded() == bytes("HTTP/1.0 404 Not Found\r\n\r\n"))
        #expect(ResponseHead(status: .httpVersionNotSupported).encoded() == bytes("HTTP/1.1 505 HTTP Version Not Supported\r\n\r\n"))
        #expect(ResponseHead(status: HTTPStatus(code: 599, reasonPhrase: "Custom")).encoded() == bytes("HTTP/1.1 599 Custom\r\n\r\n"))
    }

    @Test func encodeIntoAppends() {
        var output = bytes("prefix|")
        ResponseHead(status: .switchingProtocols, headers: ["Upgrade": "websocket"]).encode(into: &output)
        #expect(output == bytes("prefix|HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"))
    }

    @Test(arguments: [
        ("a\r\nSet-Cookie: evil=1", "a  Set-Cookie: evil=1"),
        ("a\nSet-Cookie: evil=1", "a Set-Cookie: evil=1"),
        ("a\rSet-Cookie: evil=1", "a Set-Cookie: evil=1"),
        ("x\r\n\r\nHTTP/1.1 200 OK", "x    HTTP/1.1 200 OK"),
        ("nul\u{0}byte", "nul byte"),
    ])
    func headerValueCannotInjectLines(_ value: String, _ sent: String) {
        let encoded = ResponseHead(status: .ok, headers: ["X-Echo": value, "X-After": "1"]).encoded()
        #expect(text(encoded) == "HTTP/1.1 200 OK\r\nX-Echo: \(sent)\r\nX-After: 1\r\n\r\n")
        // Exactly: status line, two fields, empty line.
        #expect(text(encoded).split(separator: "\r\n", omittingEmptySubsequences: false).count == 5)
        #expect(!encoded.contains(0))
        // No CR or LF other than the line ends.
        let lineEnds = encoded.indices.filter { encoded[$0] == ASCII.lf }
        #expect(lineEnds.count == 4)
        #expect(lineEnds.allSatisfy { encoded[$0 - 1] == ASCII.cr })
        #expect(encoded.filter { $0 == ASCII.cr }.count == 4)
    }

    @Test func continueResponseBytes() {
        #expect(HTTPWire.continueResponse == bytes("HTTP/1.1 100 Continue\r\n\r\n"))
        #expect(HTTPWire.crlf == [0x0D, 0x0A])
    }

    @Test func statusForbidsBody() {
        #expect(HTTPStatus.continue.forbidsBody)
        #expect(HTTPStatus.switchingProtocols.forbidsBody)
        #expect(HTTPStatus.noContent.forbidsBody)
        #expect(HTTPStatus.notModified.forbidsBody)
        #expect(!HTTPStatus.ok.forbidsBody)
        #expect(!HTTPStatus.notFound.forbidsBody)
    }

    // MARK: ChunkedEncoder

    @Test func chunkFraming() {
        var output: [UInt8] = []
        ChunkedEncoder.appendChunk(bytes("hello"), to: &output)
        #expect(output == bytes("5\r\nhello\r\n"))

        ChunkedEncoder.appendChunk(bytes(String(repeating: "z", count: 26)), to: &output)
        #expect(output == bytes("5\r\nhello\r\n1a\r\n" + String(repeating: "z", count: 26) + "\r\n"))
    }

    @Test(arguments: [(1, "1"), (10, "a"), (15, "f"), (16, "10"), (255, "ff"), (4096, "1000"), (65_535, "ffff"), (1_000_000, "f4240")])
    func chunkSizeIsLowercaseHex(_ size: Int, _ hex: String) {
        var output: [UInt8] = []
        let data = [UInt8](repeating: 0x41, count: size)
        ChunkedEncoder.appendChunk(data, to: &output)
        #expect(output == bytes(hex + "\r\n") + data + bytes("\r\n"))
    }

    @Test func emptyChunkProducesNothing() {
        var output = bytes("keep")
        ChunkedEncoder.appendChunk([UInt8](), to: &output)
        ChunkedEncoder.appendChunk(ArraySlice<UInt8>(), to: &output)
        #expect(output == bytes("keep"))
    }

    @Test func endMarker() {
        #expect(ChunkedEncoder.end == bytes("0\r\n\r\n"))
    }

    @Test func chunkedOutputParsesBack() throws {
        var body = bytes("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
        let pieces = [bytes("first"), [UInt8](repeating: 0x0A, count: 300), [], bytes("\r\n0\r\n\r\n"), [UInt8](0...255)]
        for piece in pieces { ChunkedEncoder.appendChunk(piece, to: &body) }
        body += ChunkedEncoder.end
        let outcome = parseAllWays(body)
        #expect(outcome.error == nil)
        #expect(outcome.bodies == [pieces.flatMap { $0 }])
        #expect(outcome.trailers == [[]])
        #expect(outcome.bufferedByteCount == 0)
    }

    // MARK: HTTPWire numbers

    @Test(arguments: [
        (0, "0"), (1, "1"), (9, "9"), (10, "10"), (255, "255"), (4096, "4096"), (1_000_000, "1000000"),
        (Int.max, "9223372036854775807"), (-1, "-1"), (-42, "-42"), (Int.min, "-9223372036854775808"),
    ])
    func appendDecimal(_ value: Int, _ expected: String) {
        var output = bytes(">")
        HTTPWire.appendDecimal(value, to: &output)
        #expect(text(output) == ">" + expected)
        #expect(expected == String(value)) // the table itself agrees with the standard library
    }

    @Test(arguments: [
        (0, "0"), (1, "1"), (15, "f"), (16, "10"), (255, "ff"), (256, "100"), (4096, "1000"), (0xABCDEF, "abcdef"),
        (Int.max, "7fffffffffffffff"),
    ])
    func appendHex(_ value: Int, _ expected: String) {
        var output = bytes(">")
        HTTPWire.appendHex(value, to: &output)
        #expect(text(output) == ">" + expected)
        #expect(expected == String(value, radix: 16))
    }

    // MARK: HTTPDate

    @Test(arguments: [
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"), // RFC 9110 §5.6.7
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
        (946_684_799, "Fri, 31 Dec 1999 23:59:59 GMT"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"), // leap day of a year divisible by 400
        (951_868_799, "Tue, 29 Feb 2000 23:59:59 GMT"),
        (951_868_800, "Wed, 01 Mar 2000 00:00:00 GMT"),
        (1_709_164_800, "Thu, 29 Feb 2024 00:00:00 GMT"),
        (2_147_483_648, "Tue, 19 Jan 2038 03:14:08 GMT"), // past 32-bit time_t
        (4_107_456_000, "Sun, 28 Feb 2100 00:00:00 GMT"), // 2100 is not a leap year...
        (4_107_542_400, "Mon, 01 Mar 2100 00:00:00 GMT"), // ...so 1 March follows 28 February
        (253_402_300_799, "Fri, 31 Dec 9999 23:59:59 GMT"),
    ])
    func httpDate(_ seconds: Int, _ expected: String) {
        #expect(HTTPDate.format(secondsSince1970: seconds) == expected)
    }

    @Test func civilDate() {
        #expect(HTTPDate.civilDate(fromDays: 0) == (1970, 1, 1))
        #expect(HTTPDate.civilDate(fromDays: 11_016) == (2000, 2, 29))
        #expect(HTTPDate.civilDate(fromDays: 11_017) == (2000, 3, 1))
        #expect(HTTPDate.civilDate(fromDays: -1) == (1969, 12, 31))
        #expect(HTTPDate.civilDate(fromDays: 47_541) == (2100, 3, 1))
    }
}
