/// The events a stream keeps so that a client who lost its connection can resume: every
/// event after the `seq` it last saw. Bounded in bytes: past `maxBytes` the oldest events
/// go, and a resume that needs one of them can no longer be served exactly (the caller
/// answers `stream_expired` rather than a stream with a hole in it).
public struct ReplayBuffer: Sendable {
    public let maxBytes: Int
    private var events: [StreamEvent] = []
    /// Index in `events` of the oldest kept event (dropped ones are compacted lazily).
    private var head = 0
    public private(set) var bytes = 0
    /// The highest `seq` dropped to stay within `maxBytes`; -1 when nothing was dropped.
    public private(set) var droppedThrough = -1

    public init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    /// The `seq` of the newest event, or -1 before the first.
    public var lastSeq: Int { events.last?.seq ?? -1 }
    public var isFinished: Bool { events.last?.isTerminal ?? false }
    public var count: Int { events.count - head }

    /// Appends the next event (its `seq` must follow the last one). Returns the bytes the
    /// buffer grew or shrank by, for a global account.
    @discardableResult
    public mutating func append(_ event: StreamEvent) -> Int {
        precondition(event.seq == lastSeq + 1, "seq \(event.seq) after \(lastSeq)")
        events.append(event)
        bytes += event.cost
        return event.cost + trim(toBytes: maxBytes)
    }

    /// Drops the oldest events until at most `limit` bytes are kept (never the newest event),
    /// when memory is short for all streams together. Returns the bytes freed (negative).
    @discardableResult
    public mutating func trim(toBytes limit: Int) -> Int {
        let before = bytes
        // Keep at least the newest event: a stream always knows how it ended.
        while bytes > limit, count > 1 {
            bytes -= events[head].cost
            droppedThrough = events[head].seq
            head += 1
        }
        if head > 64, head * 2 > events.count {
            events.removeFirst(head)
            head = 0
        }
        return bytes - before
    }

    /// Every event with `seq > after`, or nil when some of them were dropped. `seq` may be
    /// any `Int` (it comes from a client): past the last event there is nothing to replay,
    /// and no arithmetic is done on it before that is known.
    public func events(after seq: Int) -> [StreamEvent]? {
        guard seq >= droppedThrough else { return nil }
        guard seq < lastSeq else { return [] }
        // Here droppedThrough <= seq < lastSeq, so both differences below are small.
        let first = events[head].seq
        let start = seq < first ? head : head + (seq - first + 1)
        return Array(events[start...])
    }
}
