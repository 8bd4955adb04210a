/// Counts what each key holds open right now (connections per address, streams per
/// principal) against a maximum. A key is forgotten when its count returns to zero, so memory
/// is bounded by what is actually open, which the server bounds elsewhere.
///
/// Every successful `acquire` must be paired with exactly one `release` (a `defer` at the
/// point of acquisition). Not thread-safe: a value type for one thread (or one event loop).
/// Share `LockedConcurrencyLimiter` between threads.
public struct ConcurrencyLimiter<Key: Hashable> {
    public let maximumPerKey: Int
    private var counts: [Key: Int] = [:]
    /// Slots held across all keys.
    public private(set) var total = 0

    public init(maximumPerKey: Int) {
        precondition(maximumPerKey >= 0, "a concurrency limit cannot be negative")
        self.maximumPerKey = maximumPerKey
    }

    /// Takes one slot for `key`; false (and nothing taken) when it already holds the maximum.
    public mutating func acquire(_ key: Key) -> Bool {
        let current = counts[key, default: 0]
        guard current < maximumPerKey else { return false }
        counts[key] = current + 1
        total += 1
        return true
    }

    /// Returns one slot of `key`. A release without an acquire is ignored rather than
    /// letting the count go negative (which would raise that key's limit).
    public mutating func release(_ key: Key) {
        guard let current = counts[key] else { return }
        counts[key] = current > 1 ? current - 1 : nil
        total -= 1
    }

    public func count(_ key: Key) -> Int { counts[key, default: 0] }

    /// How many keys hold at least one slot.
    public var keyCount: Int { counts.count }
}

extension ConcurrencyLimiter: Sendable where Key: Sendable {}
