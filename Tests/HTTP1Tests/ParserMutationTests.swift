import Testing
@testable import HTTP1

// A deterministic, fixed-seed cousin of fuzz/HTTP1RequestParserFuzz.swift: valid requests
// are mutated (byte flips, inserted CR / LF / NUL / SP / colon, deletions, duplicated
// ranges, truncation) and every mutant is fed whole, split at a seeded position and one
// byte at a time with `feed` from ParserHarness.swift, which already checks for empty body
// pieces and sticky errors. On top of that, each mutant must keep the fuzzer's invariants:
// the three runs agree, a rejection uses one of the statuses the server sends, bodies stay
// within the limits, and a parser waiting for bytes holds no more than its limits allow.

private let insertedBytes: [UInt8] = [ASCII.cr, ASCII.lf, 0x00, ASCII.space, ASCII.colon]

/// One to three random edits of `input`. Truncation is the rarest: it mostly produces a
/// request still waiting for bytes, and one in the edit list is enough for that.
private func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
    var bytes = input
    for _ in 0...rng.below(3) {
        switch rng.below(11) {
        case 0...2 where !bytes.isEmpty: // flip a byte: often one bit ("1.1" -> "1.0", "5" -> "4"), else any
            let mask = rng.below(2) == 0 ? UInt8(1) << UInt8(rng.below(8)) : UInt8(1 + rng.below(255))
            bytes[rng.below(bytes.count)] ^= mask
        case 3...5: // insert CR, LF, NUL, SP or ":"
            bytes.insert(insertedBytes[rng.below(insertedBytes.count)], at: rng.below(bytes.count + 1))
        case 6...7 where !bytes.isEmpty: // delete a byte
            bytes.remove(at: rng.below(bytes.count))
        case 8...9 where !bytes.isEmpty: // duplicate a range after itself, now and then several times (limits)
            let start = rng.below(bytes.count)
            let end = start + 1 + rng.below(bytes.count - start)
            let copies = rng.below(4) == 0 ? 2 + rng.below(8) : 1
            for _ in 0..<copies { bytes.insert(contentsOf: bytes[start..<end], at: end) }
        case 10: // truncate
            bytes.removeLast(rng.below(bytes.count + 1))
        default:
            break
        }
    }
    return bytes
}

/// Tight limits, so that mutants of short requests reach 413, 414 and 431 too.
private let limits = RequestParserLimits(
    maxTargetLength: 64, maxHeaderBytes: 256, maxHeaderFields: 8, maxBodyBytes: 64, maxChunkLineLength: 32
)
/// What a parser may hold once `next()` returned nil: an incomplete request line, head,
/// trailer section or chunk-size line, plus a CR waiting for its LF.
private let idleBound = max(limits.maxHeaderBytes, limits.maxTargetLength + 64, limits.maxChunkLineLength) + 1
private let allowedStatuses: Set<Int> = [400, 413, 414, 431, 501, 505]
private let mutantsPerFixture = 150

/// Valid under `limits`, and complete: each parses to heads and ends with nothing left over.
private let fixtures: [String] = [
    "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET /path/to?q=1&r=%20 HTTP/1.1\r\nHost: example.com:8080\r\nAccept: */*\r\n\r\n",
    "HEAD /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    "GET /legacy HTTP/1.0\r\n\r\n",
    "GET / HTTP/1.0\r\nConnection: keep-alive\r\nHost: a\r\n\r\n",
    "OPTIONS * HTTP/1.1\r\nHost: [::1]:80\r\n\r\n",
    "GET http://a.example/p?x HTTP/1.1\r\nHost: a.example\r\n\r\n",
    "\r\n\r\nGET /after-crlf HTTP/1.1\r\nHost: a\r\n\r\n",
    "POST /submit HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
    "PUT /r HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc",
    "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;n=v\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n",
    "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n1\r\nx\r\n0\r\n\r\n",
    "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n",
    "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nokGET /b HTTP/1.1\r\nHost: a\r\n\r\n",
    "POST /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody",
    "GET / HTTP/1.1\r\nHost: a\r\nX-Spaces: \t padded value \t\r\nX-Empty:\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nX-Text: caf\u{E9} \u{1F600}\r\n\r\n",
    "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
]

/// Bytes as a Swift string literal body, for failure messages.
private func escaped(_ input: [UInt8]) -> String {
    input.map { byte -> String in
        switch byte {
        case ASCII.cr: return "\\r"
        case ASCII.lf: return "\\n"
        case UInt8(ascii: "\\"): return "\\\\"
        case UInt8(ascii: "\""): return "\\\""
        case 0x20..<0x7F: return String(UnicodeScalar(byte))
        default: return "\\u{\(String(byte, radix: 16))}"
        }
    }.joined()
}

@Suite struct ParserMutationTests {
    @Test func fixturesAreValidAndComplete() {
        for fixture in fixtures {
            let outcome = feed([bytes(fixture)[...]], limits: limits)
            #expect(outcome.error == nil && !outcome.midRequest && outcome.bufferedByteCount == 0,
                    "\(fixture.debugDescription): \(outcome)")
        }
    }

    @Test(arguments: fixtures.indices)
    func mutantsKeepTheInvariants(_ fixtureIndex: Int) {
        var rng = SplitMix64(state: 0x5EED_0000 &+ UInt64(fixtureIndex))
        let original = bytes(fixtures[fixtureIndex])
        var rejected = 0
        var failures = 0
        for _ in 0..<mutantsPerFixture where failures < 5 {
            let input = mutate(original, &rng)
            let split = rng.below(input.count + 1)
            var problems: [String] = []

            let whole = feed([input[...]], limits: limits)
            let halves = feed([input[..<split], input[split...]], limits: limits)
            let byteByByte = feed(input.indices.map { input[$0...$0] }, limits: limits)
            if halves != whole { problems.append("split at \(split) differs: \(halves)") }
            if byteByByte != whole { problems.append("byte-at-a-time differs: \(byteByByte)") }

            if let status = whole.errorStatus {
                rejected += 1
                if !allowedStatuses.contains(status) { problems.append("status \(status) for \(whole.error!)") }
            } else if whole.bufferedByteCount > min(input.count, idleBound) {
                problems.append("holds \(whole.bufferedByteCount) unparsed bytes (bound \(min(input.count, idleBound)))")
            }
            // `feed` joins consecutive pieces, so each body event is one request's body.
            var framing: BodyFraming?
            for event in whole.events {
                switch event {
                case .head(let head): framing = head.framing
                case .body(let body):
                    if body.count > limits.maxBodyBytes { problems.append("body of \(body.count) bytes") }
                    if case .contentLength(let length) = framing, body.count > length {
                        problems.append("body of \(body.count) bytes for Content-Length \(length)")
                    }
                    if framing == nil || framing == BodyFraming.none { problems.append("body without a framed head") }
                case .end: framing = nil
                }
            }

            if !problems.isEmpty {
                failures += 1
                let details = problems.joined(separator: "\n  ")
                Issue.record("mutant of fixture \(fixtureIndex): \"\(escaped(input))\"\n  whole: \(whole)\n  \(details)")
            }
        }
        // The generator must produce both kinds, or it tests little.
        #expect(rejected > 0 && rejected < mutantsPerFixture, "\(rejected) of \(mutantsPerFixture) mutants rejected")
    }
}
