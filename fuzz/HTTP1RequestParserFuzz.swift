// libFuzzer entry point for the HTTP/1.1 request parser (Sources/HTTP1). Built and run by
// fuzz/run.sh, compiled as one module together with Sources/HTTP1/*.swift and the shared
// helpers (fuzz/FuzzSupport.swift); it uses only the parser's public API, the same calls the
// server makes.
//
// Each input is fed to a fresh `RequestParser` (small limits, so the fuzzer reaches them):
//
//   1. whole: one `append`, then `next()` until nil or an error;
//   2. split in two at a position derived from the input's first two bytes;
//   3. one byte at a time (inputs under 512 bytes).
//
// It traps (fatalError) when:
//   - the three runs disagree on the events (body pieces concatenated), on the error reason,
//     or on the parser's state after the last byte;
//   - an error's status is not 400, 413, 414, 431, 501 or 505;
//   - a failed parser does not keep throwing the same error;
//   - a body piece is empty, events come out of order (head, body*, end), a request's body
//     exceeds maxBodyBytes, or it differs from a declared Content-Length;
//   - `bufferedByteCount` exceeds the bytes fed so far, or, once `next()` returned nil,
//     the bound RequestParserLimits documents (the largest head/trailer/chunk-line limit).

let fuzzLimits = RequestParserLimits(
    maxTargetLength: 512, maxHeaderBytes: 2048, maxHeaderFields: 20, maxBodyBytes: 4096
)

/// What the parser may hold after `next()` returned nil: an incomplete head (request line
/// up to maxTargetLength + 64 bytes, or a header section up to maxHeaderBytes), trailer
/// section or chunk-size line, plus a CR waiting for its LF.
let idleBufferBound = max(fuzzLimits.maxHeaderBytes, fuzzLimits.maxTargetLength + 64, fuzzLimits.maxChunkLineLength) + 1

let allowedStatuses: Set<Int> = [400, 413, 414, 431, 501, 505]
let byteAtATimeLimit = 512

struct FuzzField: Equatable {
    var name: String
    var value: String
}

enum FuzzEvent: Equatable {
    case head(method: String, target: String, version: HTTPVersion, headers: [FuzzField], framing: BodyFraming)
    case body([UInt8])
    case end(trailers: [FuzzField])
}

struct FuzzOutcome: Equatable {
    var events: [FuzzEvent] = []
    var error: HTTPParseError.Reason?
    var errorHasHead = false
    var bufferedByteCount = 0
    var midRequest = false
    var idle = false
}

func fuzzFields(_ headers: HeaderFields) -> [FuzzField] {
    headers.map { FuzzField(name: $0.name, value: $0.value) }
}

func fail(_ what: String, _ input: UnsafeBufferPointer<UInt8>) -> Never {
    fuzzFail("HTTP1", what, input)
}

/// Feeds `input` cut at `partEnds` (increasing, the last one `input.count`), draining
/// `next()` after each part, and checks the per-run invariants.
func run(_ input: UnsafeBufferPointer<UInt8>, partEnds: some Sequence<Int>, label: String) -> FuzzOutcome {
    var parser = RequestParser(limits: fuzzLimits)
    var outcome = FuzzOutcome()
    var fed = 0
    // The request being read: its framing once the head is out, and its body bytes so far.
    var framing: BodyFraming?
    var bodyBytes = 0

    func check(_ condition: Bool, _ what: @autoclosure () -> String) {
        if !condition { fail("\(label): \(what())", input) }
    }

    for end in partEnds {
        let part = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: input[fed..<end]))
        if end - fed == 1 {
            parser.append(CollectionOfOne(part[0])) // the Sequence overload, as a one-byte read
        } else {
            parser.append(part)
        }
        fed = end
        check(parser.bufferedByteCount <= fed, "bufferedByteCount \(parser.bufferedByteCount) > \(fed) bytes fed")
        do {
            while let event = try parser.next() {
                check(parser.bufferedByteCount <= fed, "bufferedByteCount \(parser.bufferedByteCount) > \(fed) bytes fed")
                switch event {
                case .head(let head):
                    check(framing == nil, "head while the previous request is unfinished")
                    framing = head.framing
                    bodyBytes = 0
                    outcome.events.append(.head(
                        method: head.method.rawValue, target: head.target, version: head.version,
                        headers: fuzzFields(head.headers), framing: head.framing))
                case .body(let piece):
                    check(!piece.isEmpty, "empty body piece")
                    guard let current = framing else { fail("\(label): body piece before a head", input) }
                    bodyBytes += piece.count
                    check(bodyBytes <= fuzzLimits.maxBodyBytes, "body of \(bodyBytes) bytes > maxBodyBytes \(fuzzLimits.maxBodyBytes)")
                    switch current {
                    case .none: check(false, "body piece for a request without body")
                    case .contentLength(let length): check(bodyBytes <= length, "body of \(bodyBytes) bytes > Content-Length \(length)")
                    case .chunked: break
                    }
                    if case .body(let previous) = outcome.events.last {
                        outcome.events[outcome.events.count - 1] = .body(previous + piece)
                    } else {
                        outcome.events.append(.body(piece))
                    }
                case .end(let trailers):
                    guard let current = framing else { fail("\(label): end before a head", input) }
                    if case .contentLength(let length) = current {
                        check(bodyBytes == length, "request ended after \(bodyBytes) of \(length) body bytes")
                    }
                    if case .chunked = current {} else {
                        check(trailers.isEmpty, "trailers on a request that is not chunked")
                    }
                    framing = nil
                    outcome.events.append(.end(trailers: fuzzFields(trailers)))
                }
            }
        } catch {
            check(allowedStatuses.contains(error.status.code), "status \(error.status.code) for \(error.reason)")
            outcome.error = error.reason
            outcome.errorHasHead = error.head != nil
            // A failed parser stays failed, with the same error, even after more bytes.
            for extra in [[], Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)] as [[UInt8]] {
                parser.append(extra)
                do {
                    let event = try parser.next()
                    fail("\(label): next() after \(error.reason) returned \(String(describing: event))", input)
                } catch let again {
                    check(again.reason == error.reason, "error not sticky: \(error.reason) then \(again.reason)")
                }
            }
            check(!parser.isMidRequest, "a failed parser reports isMidRequest")
            return outcome
        }
        // Waiting for more bytes: only what the limits allow may be held.
        check(parser.bufferedByteCount <= idleBufferBound,
              "holds \(parser.bufferedByteCount) unparsed bytes after next() returned nil (bound \(idleBufferBound))")
    }
    outcome.bufferedByteCount = parser.bufferedByteCount
    outcome.midRequest = parser.isMidRequest
    outcome.idle = parser.isIdle
    return outcome
}

func describe(_ outcome: FuzzOutcome) -> String {
    var parts: [String] = []
    for event in outcome.events.prefix(16) {
        switch event {
        case let .head(method, target, version, headers, framing):
            let shownHeaders = headers.prefix(8).map { "\(escaped($0.name.utf8)): \(escaped($0.value.utf8))" }
            parts.append("head(\(escaped(method.utf8)) \(escaped(target.utf8)) \(version) \(shownHeaders) \(framing))")
        case .body(let body):
            parts.append("body(\(body.count): \"\(escaped(body.prefix(60)))\")")
        case .end(let trailers):
            parts.append("end(\(trailers.map { "\(escaped($0.name.utf8)): \(escaped($0.value.utf8))" }))")
        }
    }
    if outcome.events.count > 16 { parts.append("…(\(outcome.events.count) events)") }
    var text = "[" + parts.joined(separator: ", ") + "]"
    if let error = outcome.error { text += " !! \(error)\(outcome.errorHasHead ? " (with head)" : "")" }
    return text + " buffered=\(outcome.bufferedByteCount) midRequest=\(outcome.midRequest) idle=\(outcome.idle)"
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)

    let whole = run(input, partEnds: CollectionOfOne(size), label: "whole")

    func compare(_ other: FuzzOutcome, _ label: String) {
        if other != whole {
            fail("\(label) differs from whole\n  whole: \(describe(whole))\n  \(label): \(describe(other))", input)
        }
    }

    if size > 0 {
        let seed = Int(data[0]) << 8 | Int(size > 1 ? data[1] : 0)
        let split = seed % (size + 1)
        compare(run(input, partEnds: [split, size], label: "split at \(split)"), "split at \(split)")
    }
    if size > 1, size < byteAtATimeLimit {
        compare(run(input, partEnds: 1...size, label: "byte-at-a-time"), "byte-at-a-time")
    }
    return 0
}
