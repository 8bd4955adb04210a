import Testing
@testable import HTTP1

// A harness that feeds one fixture to `RequestParser` three ways and checks they agree:
//
//   1. whole: one `append`, then `next()` until nil;
//   2. one byte at a time: `append` one byte, drain, repeat;
//   3. split in two at every position (or every `splitStride`-th for big fixtures):
//      append part 1, drain, append part 2, drain.
//
// Events are normalised so the comparison does not depend on how reads were cut: heads are
// compared by method, target, version, headers and framing, consecutive body pieces are
// concatenated, trailers are compared field by field. An error ends a run; the runs must
// then agree on the reason and on the events that came before it.

/// Fixture text as bytes: readable string literals, UTF-8 encoded.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

struct Field: Equatable, Sendable, CustomStringConvertible {
    var name: String
    var value: String
    init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
    var description: String { "\(name): \(value.count > 40 ? value.prefix(40) + "…(\(value.utf8.count) bytes)" : value)" }
}

func fields(_ headers: HeaderFields) -> [Field] { headers.map { Field($0.name, $0.value) } }

/// What a test compares of a `RequestHead`.
struct HeadSummary: Equatable, Sendable, CustomStringConvertible {
    var method: String
    var target: String
    var version: HTTPVersion
    var headers: [Field]
    var framing: BodyFraming

    init(_ head: RequestHead) {
        method = head.method.rawValue
        target = head.target
        version = head.version
        headers = fields(head.headers)
        framing = head.framing
    }

    var description: String {
        let shownTarget = target.count > 40 ? target.prefix(40) + "…(\(target.utf8.count) bytes)" : target
        let shownHeaders = headers.prefix(8).map(\.description) + (headers.count > 8 ? ["…(\(headers.count) fields)"] : [])
        return "\(method) \(shownTarget) \(version) \(shownHeaders) \(framing)"
    }
}

/// A parser event with the head reduced to a comparable summary; shared by the request
/// and response harnesses.
enum ParsedEvent<Head: Equatable & Sendable & CustomStringConvertible>: Equatable, Sendable, CustomStringConvertible {
    case head(Head)
    case body([UInt8])
    case end(trailers: [Field])

    var description: String {
        switch self {
        case .head(let head): return "head(\(head))"
        case .body(let body): return "body(\(body.count) bytes: \(String(decoding: body.prefix(40), as: UTF8.self)))"
        case .end(let trailers): return "end(\(trailers))"
        }
    }
}

typealias Event = ParsedEvent<HeadSummary>

/// Everything one feeding of a fixture produced.
struct Outcome: Equatable, Sendable, CustomStringConvertible {
    var events: [Event] = []
    /// The full `RequestHead` values, in order (for the properties computed from them);
    /// not part of `==`, which compares their summaries in `events`.
    var heads: [RequestHead] = []
    var error: HTTPParseError.Reason?
    var errorStatus: Int?
    /// Whether the thrown error carried the rejected request's head.
    var errorHasHead = false
    /// Parser state after the last byte (or the error).
    var midRequest = false
    var bufferedByteCount = 0

    static func == (lhs: Outcome, rhs: Outcome) -> Bool {
        lhs.events == rhs.events && lhs.error == rhs.error && lhs.errorStatus == rhs.errorStatus
            && lhs.errorHasHead == rhs.errorHasHead && lhs.midRequest == rhs.midRequest
            && lhs.bufferedByteCount == rhs.bufferedByteCount
    }

    var description: String {
        var text = events.prefix(12).map(\.description).joined(separator: ", ")
        if events.count > 12 { text += ", …(\(events.count) events)" }
        if let error { text += " !! \(error) (\(errorStatus ?? 0))" }
        return "[\(text)] midRequest=\(midRequest) buffered=\(bufferedByteCount)"
    }

    /// Bodies of the requests, in order (one entry per request that reached `.end`,
    /// `[]` for a request without body).
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

    var trailers: [[Field]] {
        events.compactMap { if case .end(let trailers) = $0 { return trailers } else { return nil } }
    }

    var headSummaries: [HeadSummary] {
        events.compactMap { if case .head(let head) = $0 { return head } else { return nil } }
    }
}

/// Feeds `parts` in order, draining `next()` after each, and records what came out.
/// Also checks the invariants every run must keep: no empty body piece, and a failed
/// parser keeps throwing the same error (sticky), even after more bytes arrive.
func feed(
    _ parts: [ArraySlice<UInt8>], limits: RequestParserLimits,
    sourceLocation: SourceLocation = #_sourceLocation
) -> Outcome {
    var parser = RequestParser(limits: limits)
    var outcome = Outcome()
    for part in parts {
        parser.append(part)
        do {
            while let event = try parser.next() {
                switch event {
                case .head(let head):
                    outcome.events.append(.head(HeadSummary(head)))
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
        } catch {
            outcome.error = error.reason
            outcome.errorStatus = error.status.code
            outcome.errorHasHead = error.head != nil
            // Sticky: the same error again, with or without more bytes.
            for extra in [[], bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n")] as [[UInt8]] {
                parser.append(extra)
                do {
                    let event = try parser.next()
                    Issue.record("next() after \(error.reason) returned \(String(describing: event)) instead of throwing", sourceLocation: sourceLocation)
                } catch let again {
                    #expect(again.reason == error.reason, "error is not sticky", sourceLocation: sourceLocation)
                }
            }
            #expect(!parser.isMidRequest, "a failed parser reports isMidRequest", sourceLocation: sourceLocation)
            return outcome
        }
    }
    outcome.midRequest = parser.isMidRequest
    outcome.bufferedByteCount = parser.bufferedByteCount
    return outcome
}

/// Runs `input` whole, byte by byte, and split in two at every `splitStride`-th position,
/// expects all runs to agree, and returns the outcome of the whole run.
@discardableResult
func parseAllWays(
    _ input: [UInt8], limits: RequestParserLimits = RequestParserLimits(), splitStride: Int = 1,
    sourceLocation: SourceLocation = #_sourceLocation
) -> Outcome {
    let whole = feed([input[...]], limits: limits, sourceLocation: sourceLocation)

    let byteByByte = feed(input.indices.map { input[$0..<($0 + 1)] }, limits: limits, sourceLocation: sourceLocation)
    #expect(byteByByte == whole, "byte-at-a-time differs from whole:\n  whole: \(whole)\n  bytes: \(byteByByte)", sourceLocation: sourceLocation)

    var splitPoints = Array(stride(from: 0, through: input.count, by: max(1, splitStride)))
    if splitPoints.last != input.count { splitPoints.append(input.count) }
    for split in splitPoints {
        let outcome = feed([input[..<split], input[split...]], limits: limits, sourceLocation: sourceLocation)
        if outcome != whole {
            Issue.record("split at \(split) of \(input.count) differs from whole:\n  whole: \(whole)\n  split: \(outcome)", sourceLocation: sourceLocation)
            break // one report per fixture is enough
        }
    }
    return whole
}

@discardableResult
func parseAllWays(
    _ text: String, limits: RequestParserLimits = RequestParserLimits(), splitStride: Int = 1,
    sourceLocation: SourceLocation = #_sourceLocation
) -> Outcome {
    parseAllWays(bytes(text), limits: limits, splitStride: splitStride, sourceLocation: sourceLocation)
}

/// A stride that keeps the split runs of a big fixture to roughly a hundred.
func sampledStride(for count: Int) -> Int { count > 2048 ? 97 : 1 }
