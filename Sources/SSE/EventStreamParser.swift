/// An incremental `text/event-stream` parser following the WHATWG rules (HTML §9.2.6):
/// lines end with CR, LF or CRLF (a CRLF split across two reads is one line end), one
/// leading BOM is skipped, comments are reported, `data` lines join with LF, `id` without
/// NUL sets the last event ID, `retry` takes ASCII digits only, and an empty line dispatches.
/// Pure: fed bytes, returns items; never touches a socket.
public struct EventStreamParser: Sendable {
    public struct TooLarge: Error, Sendable, Equatable {}

    /// Largest event (pending line plus data) it buffers before giving up.
    public let maxEventBytes: Int
    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var eventType = ""
    private var lastEventID = ""
    private var lastWasCR = false
    private var checkedBOM = false

    public init(maxEventBytes: Int = 4 << 20) {
        self.maxEventBytes = maxEventBytes
    }

    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
    /// How many bytes of a leading BOM have matched so far.
    private var bomMatched = 0

    /// Feeds bytes; returns the items they completed.
    public mutating func parse(_ bytes: some Collection<UInt8>) throws(TooLarge) -> [EventStreamItem] {
        var items: [EventStreamItem] = []
        for byte in bytes {
            if !checkedBOM {
                if byte == Self.byteOrderMark[bomMatched] {
                    bomMatched += 1
                    if bomMatched == Self.byteOrderMark.count { checkedBOM = true } // skipped
                    continue
                }
                // Not a BOM after all: the bytes held back are content.
                checkedBOM = true
                for held in Self.byteOrderMark[0..<bomMatched] { try consume(held, into: &items) }
            }
            try consume(byte, into: &items)
        }
        return items
    }

    private mutating func consume(_ byte: UInt8, into items: inout [EventStreamItem]) throws(TooLarge) {
        if byte == 0x0A, lastWasCR {
            lastWasCR = false // the LF of a CRLF
            return
        }
        lastWasCR = byte == 0x0D
        if byte == 0x0A || byte == 0x0D {
            processLine(into: &items)
            line.removeAll(keepingCapacity: true)
            return
        }
        line.append(byte)
        if line.count + data.count > maxEventBytes { throw TooLarge() }
    }

    private mutating func processLine(into items: inout [EventStreamItem]) {
        if line.isEmpty {
            dispatch(into: &items)
            return
        }
        if line[0] == UInt8(ascii: ":") {
            items.append(.comment(String(decoding: line.dropFirst().drop { $0 == 0x20 }, as: UTF8.self)))
            return
        }
        let colon = line.firstIndex(of: UInt8(ascii: ":"))
        let name = colon.map { line[..<$0] } ?? line[...]
        var value = colon.map { line[($0 + 1)...] } ?? []
        if value.first == 0x20 { value = value.dropFirst() }
        switch String(decoding: name, as: UTF8.self) {
        case "event":
            eventType = String(decoding: value, as: UTF8.self)
        case "data":
            if hasData { data.append(0x0A) }
            data.append(contentsOf: value)
            hasData = true
        case "id":
            if !value.contains(0) { lastEventID = String(decoding: value, as: UTF8.self) }
        case "retry":
            if !value.isEmpty, value.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let milliseconds = Int(String(decoding: value, as: UTF8.self)) {
                items.append(.retry(milliseconds))
            }
        default:
            break
        }
    }

    private mutating func dispatch(into items: inout [EventStreamItem]) {
        defer {
            data.removeAll(keepingCapacity: true)
            hasData = false
            eventType = ""
        }
        guard hasData else { return }
        items.append(.event(ServerSentEvent(type: eventType.isEmpty ? "message" : eventType,
                                            data: String(decoding: data, as: UTF8.self), lastEventID: lastEventID)))
    }

    /// Whether an event was started but not dispatched (the stream ended without the blank
    /// line that completes it: WHATWG discards it; relayd treats it as truncation).
    public var hasPartialEvent: Bool { hasData || !line.isEmpty }
}
