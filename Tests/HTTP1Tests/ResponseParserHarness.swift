import Testing
@testable import HTTP1

// The response-side twin of ParserHarness.swift: one fixture is fed to `ResponseParser`
// whole, one byte at a time, and split in two at every position, and the runs must agree.
// Body pieces are concatenated (how reads were cut must not matter), an error ends a run,
// and `finish()` (the connection closing) can be called after the last byte.

/// What a test compares of a `ReceivedResponseHead`.
struct ResponseSummary: Equatable, Sendable, CustomStringConvertible {
    var status: Int
    var reason: String
    var version: HTTPVersion
    var headers: [Field]
    var framing: ResponseBodyFraming

    init(_ head: ReceivedResponseHead) {
        status = head.status
        reason = head.reason
        version = head.version
        headers = fields(head.headers)
        framing = head.framing
    }

    init(_ status: Int, _ reason: String, _ version: HTTPVersion = .http1_1, _ headers: [Field], _ framing: ResponseBodyFraming) {
        self.status = status
        self.reason = reason
        self.version = version
        self.headers = headers
        self.framing = framing
    }

    var description: String { "\(version) \(status) \(reason) \(headers.prefix(8)) \(framing)" }
}

typealias ResponseEvent = ParsedEvent<ResponseSummary>

struct ResponseOutcome: Equatable, Sendable, CustomStringConvertible {
    var events: [ResponseEvent] = []
    /// The full heads, in order; not part of `==`.
    var heads: [ReceivedResponseHead] = []
    var error: ResponseParseError.Reason?
    var errorHead: ResponseSummary?
    /// Parser state after the last byte (and `finish()`, if called), or after the error.
    var midResponse = false
    var switchedProtocols = false
    /// What `takeBufferedBytes()` handed over at the end (only taken after a protocol switch).
    var tunnelBytes: [UInt8] = []
    var bufferedByteCount = 0

    static func == (lhs: ResponseOutcome, rhs: ResponseOutcome) -> Bool {
        lhs.events == rhs.events && lhs.error == rhs.error && lhs.errorHead == rhs.errorHead
            && lhs.midResponse == rhs.midResponse && lhs.switchedProtocols == rhs.switchedProtocols
            && lhs.tunnelBytes == rhs.tunnelBytes && lhs.bufferedByteCount == rhs.bufferedByteCount
    }

    var description: String {
        var text = events.prefix(12).map(\.description).joined(separator: ", ")
        if events.count > 12 { text += ", …(\(events.count) events)" }
        if let error { text += " !! \(error)" }
        return "[\(text)] mid=\(midResponse) switched=\(switchedProtocols) buffered=\(bufferedByteCount) tunnel=\(tunnelBytes.count)"
    }

    /// Bodies of the responses that reached `.end`, in order.
    var bodies: [[UInt8]] {
        var result: [[UInt8]] = []
        var current: [UInt8] = []
        for event in events {
            switch event {
            case .head: current = []
            case .body(let piece): current += piece
            case .end: result.append(current)
            }
        }
        return result
    }

    var statuses: [Int] {
        events.compactMap { if case .head(let head) = $0 { return head.status } else { return nil } }
    }
}

/// Feeds `parts` in order, draining `next()` after each, then (if `finish`) calls `finish()`
/// until it returns nil. Checks on the way that no body piece is empty, that an error is
/// sticky (from `next()` and `finish()`, with or without more bytes), and that a failed
/// parser is not mid-response.
func feedResponse(
    _ parts: [ArraySlice<UInt8>], limits: ResponseParserLimits, expecting methods: [HTTPMethod],
    finish: Bool, sourceLocation: SourceLocation = #_sourceLocation
) -> ResponseOutcome {
    var parser = ResponseParser(limits: limits)
    for method in methods { parser.expectResponse(to: method) }
    var outcome = ResponseOutcome()

    // A parser that keeps producing events without consuming bytes would hang the drain
    // loops; more events than bytes (plus the ends of bodiless responses) means it does.
    let totalBytes = parts.reduce(0) { $0 + $1.count }
    var eventCount = 0
    struct RunawayParser: Error {}

    func record(_ event: ResponseParserEvent) throws {
        eventCount += 1
        if eventCount > 2 * totalBytes + 16 {
            Issue.record("the parser produced \(eventCount) events from \(totalBytes) bytes", sourceLocation: sourceLocation)
            throw RunawayParser()
        }
        switch event {
        case .head(let head):
            outcome.events.append(.head(ResponseSummary(head)))
            outcome.heads.append(head)
        case .body(let piece):
            #expect(!piece.isEmpty, "the parser emitted an empty body piece", sourceLocation: sourceLocation)
            if case .body(let previous) = outcome.events.last {
                outcome.events[outcome.events.count - 1] = .body(previous + piece)
            } else {
                outcome.events.append(.body(piece))
            }
        case .end(let trailers):
            outcome.events.append(.end(trailers: fields(trailers)))
        }
    }

    do {
        for part in parts {
            parser.append(part)
            while let event = try parser.next() { try record(event) }
        }
        if finish {
            while let event = try parser.finish() { try record(event) }
        }
    } catch is RunawayParser {
        return outcome
    } catch let error as ResponseParseError {
        outcome.error = error.reason
        outcome.errorHead = error.head.map(ResponseSummary.init)
        for extra in [[], bytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")] as [[UInt8]] {
            parser.append(extra)
            do {
                let event = try parser.next()
                Issue.record("next() after \(error.reason) returned \(String(describing: event))", sourceLocation: sourceLocation)
            } catch let again {
                #expect(again.reason == error.reason, "error is not sticky", sourceLocation: sourceLocation)
            }
        }
        do {
            let event = try parser.finish()
            Issue.record("finish() after \(error.reason) returned \(String(describing: event))", sourceLocation: sourceLocation)
        } catch let again {
            #expect(again.reason == error.reason, "error is not sticky in finish()", sourceLocation: sourceLocation)
        }
        #expect(!parser.isMidResponse, "a failed parser reports isMidResponse", sourceLocation: sourceLocation)
        return outcome
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        return outcome
    }
    outcome.midResponse = parser.isMidResponse
    outcome.switchedProtocols = parser.hasSwitchedProtocols
    outcome.bufferedByteCount = parser.bufferedByteCount
    if parser.hasSwitchedProtocols {
        outcome.tunnelBytes = parser.takeBufferedBytes()
        #expect(parser.bufferedByteCount == 0, sourceLocation: sourceLocation)
    }
    return outcome
}

/// Runs `input` whole, byte by byte, and split in two at every `splitStride`-th position,
/// expects all runs to agree, and returns the outcome of the whole run.
@discardableResult
func parseResponseAllWays(
    _ input: [UInt8], limits: ResponseParserLimits = ResponseParserLimits(), expecting methods: [HTTPMethod] = [],
    finish: Bool = false, splitStride: Int = 1, sourceLocation: SourceLocation = #_sourceLocation
) -> ResponseOutcome {
    let whole = feedResponse([input[...]], limits: limits, expecting: methods, finish: finish, sourceLocation: sourceLocation)

    let byteByByte = feedResponse(
        input.indices.map { input[$0..<($0 + 1)] }, limits: limits, expecting: methods, finish: finish,
        sourceLocation: sourceLocation
    )
    #expect(byteByByte == whole, "byte-at-a-time differs from whole:\n  whole: \(whole)\n  bytes: \(byteByByte)", sourceLocation: sourceLocation)

    var splitPoints = Array(stride(from: 0, through: input.count, by: max(1, splitStride)))
    if splitPoints.last != input.count { splitPoints.append(input.count) }
    for split in splitPoints {
        let outcome = feedResponse(
            [input[..<split], input[split...]], limits: limits, expecting: methods, finish: finish,
            sourceLocation: sourceLocation
        )
        if outcome != whole {
            Issue.record("split at \(split) of \(input.count) differs from whole:\n  whole: \(whole)\n  split: \(outcome)", sourceLocation: sourceLocation)
            break
        }
    }
    return whole
}

@discardableResult
func parseResponseAllWays(
    _ text: String, limits: ResponseParserLimits = ResponseParserLimits(), expecting methods: [HTTPMethod] = [],
    finish: Bool = false, splitStride: Int = 1, sourceLocation: SourceLocation = #_sourceLocation
) -> ResponseOutcome {
    parseResponseAllWays(
        bytes(text), limits: limits, expecting: methods, finish: finish, splitStride: splitStride,
        sourceLocation: sourceLocation
    )
}
