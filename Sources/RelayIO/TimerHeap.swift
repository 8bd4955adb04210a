/// An event loop's timers: a binary min-heap by deadline (monotonic nanoseconds), ties in
/// insertion order. Loop-confined, so no locks.
struct TimerHeap {
    private struct Entry {
        let deadline: UInt64
        let order: UInt64
        let work: @Sendable () -> Void
        func before(_ other: Entry) -> Bool { deadline != other.deadline ? deadline < other.deadline : order < other.order }
    }

    private var entries: [Entry] = []
    private var inserted: UInt64 = 0

    var count: Int { entries.count }

    mutating func insert(deadline: UInt64, _ work: @escaping @Sendable () -> Void) {
        inserted &+= 1
        entries.append(Entry(deadline: deadline, order: inserted, work: work))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].before(entries[parent]) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    func hasDue(now: UInt64) -> Bool { entries.first.map { $0.deadline <= now } ?? false }

    /// The earliest timer due at `now`, removed.
    mutating func popDue(now: UInt64) -> (@Sendable () -> Void)? {
        guard let first = entries.first, first.deadline <= now else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < entries.count, entries[left].before(entries[smallest]) { smallest = left }
                if right < entries.count, entries[right].before(entries[smallest]) { smallest = right }
                guard smallest != parent else { break }
                entries.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first.work
    }

    /// The `epoll_wait` timeout until the next deadline: -1 with none, rounded up so a timer
    /// never fires early.
    func millisecondsUntilNext(now: UInt64) -> Int32 {
        guard let first = entries.first else { return -1 }
        guard first.deadline > now else { return 0 }
        return Int32(min((first.deadline - now + 999_999) / 1_000_000, UInt64(Int32.max)))
    }
}
