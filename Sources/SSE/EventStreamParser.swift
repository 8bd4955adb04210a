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
        // One non-generic path: generic code across a module boundary is not specialised,
        // and a per-byte witness call dominated the relay's profile. (The closures rethrow
        // untyped errors, so the typed one is carried out by hand.)
        var result: Result<[EventStreamItem], TooLarge> = .success([])
        let contiguous: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            do throws(TooLarge) { result = .success(try parse(UnsafeRawBufferPointer(buffer))) } catch { result = .failure(error) }
        }
        if contiguous == nil {
            Array(bytes).withUnsafeBytes { buffer in
                do throws(TooLarge) { result = .success(try parse(buffer)) } catch { result = .failure(error) }
            }
        }
        return try result.get()
    }

    /// Feeds bytes; returns the items they completed. Lines are found with a scan and
    /// appended in slices, not byte by byte.
    public mutating func parse(_ bytes: UnsafeRawBufferPointer) throws(TooLarge) -> [EventStreamItem] {
        var items: [EventStreamItem] = []
        var index = 0
        let count = bytes.count
        while index < count, !checkedBOM {
            let byte = bytes[index]
            if byte == Self.byteOrderMark[bomMatched] {
                bomMatched += 1
                index += 1
                if bomMatched == Self.byteOrderMark.count { checkedBOM = true } // skipped
                continue
            }
            // Not a BOM after all: the bytes held back are content.
            checkedBOM = true
            let held = Array(Self.byteOrderMark[0..<bomMatched])
            let pointer = UnsafeMutableRawBufferPointer.allocate(byteCount: held.count, alignment: 1)
            defer { pointer.deallocate() }
            pointer.copyBytes(from: held)
            try scan(UnsafeRawBufferPointer(pointer), into: &items)
        }
        if index < count { try scan(UnsafeRawBufferPointer(rebasing: bytes[index...]), into: &items) }
        return items
    }

    private mutating func scan(_ bytes: UnsafeRawBufferPointer, into items: inout [EventStreamItem]) throws(TooLarge) {
        var index = 0
        let count = bytes.count
        while index < count {
            if lastWasCR {
                lastWasCR = false
                if bytes[index] == 0x0A { // the LF of a CRLF split across reads or lines
                    index += 1
                    continue
                }
            }
            var end = index
            while end < count, bytes[end] != 0x0A, bytes[end] != 0x0D { end += 1 }
            if end > index {
                line.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<end]))
                if line.count + data.count > maxEventBytes { throw TooLarge() }
            }
            guard end < count else { return }
            lastWasCR = bytes[end] == 0x0D
            processLine(into: &items)
            line.removeAll(keepingCapacity: true)
            index = end + 1
        }
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
