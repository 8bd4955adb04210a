// libFuzzer entry point for the text/event-stream parser and encoder (Sources/SSE). Built by
// fuzz/run.sh as one module with Sources/SSE/*.swift and fuzz/FuzzSupport.swift.
//
// Parser (maxEventBytes 256, so the fuzzer reaches the limit), the input fed whole, cut at
// random points and one byte at a time:
//   - every way gives the same items, the same TooLarge verdict and the same hasPartialEvent;
//   - when the small parser gives up, the items it gave are a prefix of what an unlimited
//     parser gives for the same bytes;
//   - comments and field values never hold CR or LF, an id never holds NUL, retry is ≥ 0,
//     an event's data is within the limit (× 3 for U+FFFD standing in for bad bytes).
// Encoder: an event, comment and retry written from strings taken from the input parse
// back to the same values (type and id with line ends replaced by spaces, data's CRs too).

let target = "SSE"
let fuzzMaxEventBytes = 256

struct Outcome: Equatable {
    var items: [EventStreamItem] = []
    var tooLarge = false
    var partial = false
}

func run(_ input: UnsafeBufferPointer<UInt8>, ends: [Int], maxEventBytes: Int) -> Outcome {
    var parser = EventStreamParser(maxEventBytes: maxEventBytes)
    var outcome = Outcome()
    var fed = 0
    for end in ends {
        let part = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: input[fed..<end]))
        let oneByte = end - fed == 1
        fed = end
        do {
            // One byte through the generic overload, as a small read would come.
            outcome.items += try oneByte ? parser.parse(Array(part)) : parser.parse(part)
        } catch {
            outcome.tooLarge = true
            return outcome
        }
    }
    outcome.partial = parser.hasPartialEvent
    return outcome
}

func checkItems(_ items: [EventStreamItem], _ input: UnsafeBufferPointer<UInt8>) {
    func check(_ condition: Bool, _ what: @autoclosure () -> String) {
        if !condition { fuzzFail(target, what(), input) }
    }
    for item in items {
        switch item {
        case .comment(let text):
            check(!text.utf8.contains(0x0A) && !text.utf8.contains(0x0D), "a comment with a line end")
        case .retry(let milliseconds):
            check(milliseconds >= 0, "retry \(milliseconds)")
        case .event(let event):
            check(!event.type.isEmpty, "an event with an empty type")
            for field in [event.type, event.data, event.lastEventID] {
                check(!field.utf8.contains(0x0D), "CR in a field: \(escaped(field))")
            }
            check(!event.type.utf8.contains(0x0A) && !event.lastEventID.utf8.contains(0x0A), "LF in type or id")
            check(!event.lastEventID.utf8.contains(0), "NUL in the last event id")
            check(event.data.utf8.count <= 3 * fuzzMaxEventBytes, "event data of \(event.data.utf8.count) bytes")
        }
    }
}

/// The input cut into three strings (for the encoder round trip).
func strings(_ input: UnsafeBufferPointer<UInt8>) -> (String, String, String) {
    let third = input.count / 3
    return (String(decoding: input[..<third], as: UTF8.self),
            String(decoding: input[third..<(2 * third)], as: UTF8.self),
            String(decoding: input[(2 * third)...], as: UTF8.self))
}

func withoutLineEnds(_ text: String) -> String {
    String(String.UnicodeScalarView(text.unicodeScalars.map { $0 == "\r" || $0 == "\n" ? " " : $0 }))
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    func check(_ condition: Bool, _ what: @autoclosure () -> String) {
        if !condition { fuzzFail(target, what(), input) }
    }

    let whole = run(input, ends: [size], maxEventBytes: fuzzMaxEventBytes)
    checkItems(whole.items, input)
    for (label, ends) in feedingPlans(count: size, seed: fnv1a(input)) {
        let other = run(input, ends: ends, maxEventBytes: fuzzMaxEventBytes)
        check(other.tooLarge == whole.tooLarge, "\(label): tooLarge \(other.tooLarge), whole \(whole.tooLarge)")
        if whole.tooLarge {
            let unlimited = run(input, ends: [size], maxEventBytes: Int.max)
            check(unlimited.items.starts(with: other.items), "\(label): items before TooLarge are not a prefix of the unlimited parse")
        } else {
            check(other == whole, "\(label) differs from whole:\n  whole: \(whole)\n  \(label): \(other)")
        }
    }

    // Encoder round trip.
    let (type, id, text) = strings(input)
    let expectedType = withoutLineEnds(type)
    let expectedID = withoutLineEnds(id)
    var parser = EventStreamParser(maxEventBytes: Int.max)
    do {
        let encoded = EventStreamEncoder.event(type: type, id: id, data: text)
        let items = try parser.parse(encoded)
        let expected = ServerSentEvent(
            type: expectedType.isEmpty ? "message" : expectedType,
            data: String(String.UnicodeScalarView(text.unicodeScalars.map { $0 == "\r" ? " " : $0 })),
            lastEventID: expectedID.utf8.contains(0) ? "" : expectedID)
        check(items == [.event(expected)], "encoded event \(escaped(encoded)) parsed as \(items), expected \(expected)")
        check(!parser.hasPartialEvent, "an encoded event left a partial event")

        let comment = try parser.parse(EventStreamEncoder.comment(text))
        let expectedComment = String(String.UnicodeScalarView(withoutLineEnds(text).unicodeScalars.drop { $0 == " " }))
        check(comment == [.comment(expectedComment)], "comment round trip: \(comment), expected \(escaped(expectedComment))")

        let milliseconds = Int(truncatingIfNeeded: fnv1a(input))
        let retry = try parser.parse(EventStreamEncoder.retry(milliseconds: milliseconds))
        check(retry == [.retry(max(0, milliseconds))], "retry round trip: \(retry) for \(milliseconds)")
    } catch {
        check(false, "the unlimited parser threw \(error)")
    }
    return 0
}
