// libFuzzer entry point for the HTTP/1.1 response parser and its chunked decoder
// (Sources/HTTP1), as a hostile upstream would feed them. Built by fuzz/run.sh as one module
// with Sources/HTTP1/*.swift and fuzz/FuzzSupport.swift.
//
// The first byte is the setup: bits 0–1 the method of the first request (GET, HEAD, CONNECT,
// POST; later responses answer GETs), bit 2 whether the connection closes after the last
// byte (`finish()`), bit 3 whether a body limit is set. The rest is what the server sent,
// parsed with small limits (head 1024 bytes, 16 fields, chunk lines 64, body 2048):
//
//   - whole, cut at random points and byte by byte: the same events (body pieces joined),
//     error reason and state (buffered bytes, isMidResponse, hasSwitchedProtocols);
//   - body pieces are never empty; a Content-Length body has exactly that length; no body
//     passes the limit; HEAD, 1xx, 204 and 304 have none; trailers only for chunked bodies;
//     events come in order (head, body*, end); an error stays, whatever comes after it;
//   - while waiting for bytes the parser holds no more than its limits allow;
//   - the round trip: a response built from the input with a `chunked` body (ChunkedEncoder)
//     or a Content-Length parses back to the same status, fields and body.

let target = "HTTP1Response"
let fuzzLimits = ResponseParserLimits(maxHeadBytes: 1024, maxHeaderFields: 16, maxChunkLineLength: 64, maxBodyBytes: 2048)
let methods: [HTTPMethod] = [.get, .head, .connect, .post]

struct Head: Equatable {
    var status: Int
    var reason: String
    var version: HTTPVersion
    var fields: [String]
    var framing: ResponseBodyFraming
    var keepAlive: Bool
}

enum Event: Equatable {
    case head(Head)
    case body([UInt8])
    case end(trailers: [String])
}

struct Outcome: Equatable {
    var events: [Event] = []
    var error: ResponseParseError.Reason?
    var errorHead: Head?
    var buffered = 0
    var midResponse = false
    var switched = false
}

func summary(_ head: ReceivedResponseHead) -> Head {
    Head(status: head.status, reason: head.reason, version: head.version, fields: head.headers.map { "\($0.name): \($0.value)" },
         framing: head.framing, keepAlive: head.keepAlive)
}

func run(_ input: UnsafeBufferPointer<UInt8>, ends: [Int], method: HTTPMethod, close: Bool, limits: ResponseParserLimits,
         label: String) -> Outcome {
    func check(_ condition: Bool, _ what: @autoclosure () -> String) {
        if !condition { fuzzFail(target, "\(label): \(what())", input) }
    }
    var parser = ResponseParser(limits: limits)
    parser.expectResponse(to: method)
    var outcome = Outcome()
    var current: ReceivedResponseHead?
    var bodyBytes = 0
    var fed = 0

    func handle(_ event: ResponseParserEvent) {
        check(parser.bufferedByteCount <= fed, "bufferedByteCount \(parser.bufferedByteCount) > \(fed) fed")
        switch event {
        case .head(let head):
            check(current == nil, "a head inside a response")
            check(head.status >= 200 || head.status == 101, "interim status \(head.status) reported")
            current = head
            bodyBytes = 0
            outcome.events.append(.head(summary(head)))
        case .body(let piece):
            check(!piece.isEmpty, "empty body piece")
            guard let head = current else { fuzzFail(target, "\(label): body before a head", input) }
            bodyBytes += piece.count
            check(bodyBytes <= limits.maxBodyBytes ?? Int.max, "body of \(bodyBytes) bytes over the limit")
            switch head.framing {
            case .noBody, .switchedProtocols: check(false, "body for \(head.framing)")
            case .contentLength(let length): check(bodyBytes <= length, "body of \(bodyBytes) > Content-Length \(length)")
            case .chunked, .untilClose: break
            }
            if case .body(let previous) = outcome.events.last {
                outcome.events[outcome.events.count - 1] = .body(previous + piece)
            } else {
                outcome.events.append(.body(piece))
            }
        case .end(let trailers):
            guard let head = current else { fuzzFail(target, "\(label): end before a head", input) }
            if case .contentLength(let length) = head.framing { check(bodyBytes == length, "ended after \(bodyBytes) of \(length) bytes") }
            if head.framing != .chunked { check(trailers.isEmpty, "trailers for \(head.framing)") }
            if head.framing == .switchedProtocols { check(parser.hasSwitchedProtocols, "101 end without the switch") }
            current = nil
            outcome.events.append(.end(trailers: trailers.map { "\($0.name): \($0.value)" }))
        }
    }

    do {
        for end in ends {
            let part = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: input[fed..<end]))
            if end - fed == 1 { parser.append(CollectionOfOne(part[0])) } else { parser.append(part) }
            fed = end
            while let event = try parser.next() { handle(event) }
            if !parser.hasSwitchedProtocols, current == nil {
                // Between responses or inside a head: bounded by the head limit.
                check(parser.bufferedByteCount <= limits.maxHeadBytes + 1, "holds \(parser.bufferedByteCount) bytes of a head")
            }
        }
        if close {
            while let event = try parser.finish() { handle(event) }
            check(!parser.isMidResponse, "mid-response after finish() gave nil")
        }
    } catch {
        outcome.error = error.reason
        outcome.errorHead = error.head.map(summary)
        parser.append(Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8))
        do {
            let event = try parser.next()
            check(false, "next() after \(error.reason) gave \(String(describing: event))")
        } catch let again {
            check(again.reason == error.reason, "error not sticky: \(error.reason) then \(again.reason)")
        }
        check(!parser.isMidResponse, "a failed parser is mid-response")
        return outcome
    }
    outcome.buffered = parser.bufferedByteCount
    outcome.midResponse = parser.isMidResponse
    outcome.switched = parser.hasSwitchedProtocols
    return outcome
}

/// A response built from the input: a status, a reason and one field from its first bytes,
/// the rest as the body, chunked in random pieces or with a Content-Length.
func roundTrip(_ input: UnsafeBufferPointer<UInt8>, options: UInt8) {
    func check(_ condition: Bool, _ what: @autoclosure () -> String) {
        if !condition { fuzzFail(target, "round trip: \(what())", input) }
    }
    var random = SplitMix64(state: fnv1a(input))
    let status = 200 + Int(random.next() % 4) // not 204: that one has no body
    let value = String(String.UnicodeScalarView(String(decoding: input.prefix(20), as: UTF8.self).unicodeScalars.filter {
        $0.value >= 0x21 && $0.value < 0x7F
    }))
    let body = Array(input.dropFirst(20))
    var bytes = Array("HTTP/1.1 \(status) Fine\r\nX-Value: \(value)\r\n".utf8)
    let chunked = options & 0x10 != 0
    if chunked {
        bytes += Array("Transfer-Encoding: chunked\r\n\r\n".utf8)
        var start = 0
        while start < body.count {
            let end = min(body.count, start + 1 + Int(random.next() % 300))
            ChunkedEncoder.appendChunk(body[start..<end], to: &bytes)
            start = end
        }
        bytes += ChunkedEncoder.end
    } else {
        bytes += Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body
    }
    var parser = ResponseParser()
    parser.append(bytes)
    var received: [UInt8] = []
    var head: ReceivedResponseHead?
    var ended = false
    do {
        while let event = try parser.next() {
            switch event {
            case .head(let parsed): head = parsed
            case .body(let piece): received += piece
            case .end: ended = true
            }
        }
    } catch {
        check(false, "\(error) for \(escaped(bytes))")
    }
    check(ended && head?.status == status && head?.headers["X-Value"] == value && received == body,
          "\(escaped(bytes)) parsed as \(String(describing: head.map(summary))), body \(escaped(received)), ended \(ended)")
    check(head?.framing == (chunked ? .chunked : .contentLength(body.count)) && parser.isIdle, "framing or idle state")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let options = data[0]
    let input = UnsafeBufferPointer(start: data + 1, count: size - 1)
    let method = methods[Int(options & 3)]
    let close = options & 4 != 0
    var limits = fuzzLimits
    if options & 8 == 0 { limits.maxBodyBytes = nil }

    let whole = run(input, ends: [input.count], method: method, close: close, limits: limits, label: "whole")
    for (label, ends) in feedingPlans(count: input.count, seed: fnv1a(input)) {
        let other = run(input, ends: ends, method: method, close: close, limits: limits, label: label)
        if other != whole { fuzzFail(target, "\(label) differs from whole:\n  whole: \(whole)\n  \(label): \(other)", input) }
    }
    roundTrip(input, options: options)
    return 0
}
