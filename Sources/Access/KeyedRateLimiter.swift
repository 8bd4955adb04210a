/// One token bucket per key (client address, principal), with a bound on how many keys are
/// remembered, so a client rotating keys (addresses, forged ids) cannot grow memory without
/// bound.
///
/// When a new key would exceed `maximumKeys`, buckets that have refilled completely are
/// dropped first: a full bucket behaves exactly like a new one, so forgetting it changes no
/// decision. Only if that is not enough are the buckets idle longest dropped too (their keys
/// then start over with a full bucket, the one way the bound can loosen a limit, so size it
/// well above the number of clients active within one refill period). Eviction frees an
/// eighth of the bound at once, so its O(n log n) cost is paid once per n/8 new keys.
///
/// Not thread-safe: a value type for one thread (or one event loop). Share
/// `LockedKeyedRateLimiter` between threads.
public struct KeyedRateLimiter<Key: Hashable> {
    public let capacity: Double
    public let refillPerSecond: Double
    public let maximumKeys: Int
    private var buckets: [Key: TokenBucket] = [:]

    public init(capacity: Double, refillPerSecond: Double, maximumKeys: Int = 10_000) {
        precondition(maximumKeys > 0, "a keyed rate limiter needs room for at least one key")
        self.capacity = capacity
        self.refillPerSecond = refillPerSecond
        self.maximumKeys = maximumKeys
    }

    /// How many keys have a bucket now.
    public var keyCount: Int { buckets.count }

    /// Spends `cost` from `key`'s bucket (a full one for a key not seen or forgotten).
    public mutating func take(_ key: Key, now: Double, cost: Double = 1) -> TokenBucket.Decision {
        if let index = buckets.index(forKey: key) {
            return buckets.values[index].take(now: now, cost: cost)
        }
        if buckets.count >= maximumKeys { evict(now: now) }
        var bucket = TokenBucket(capacity: capacity, refillPerSecond: refillPerSecond)
        let decision = bucket.take(now: now, cost: cost)
        buckets[key] = bucket
        return decision
    }

    /// The bucket of `key`, if one is remembered (for inspection and tests).
    public func bucket(for key: Key) -> TokenBucket? { buckets[key] }

    /// Drops every bucket that is full at `now`; call it from a periodic timer to return
    /// memory between bursts. Eviction on insert does the same when it is needed.
    public mutating func removeFullBuckets(now: Double) {
        buckets = buckets.filter { !$0.value.isFull(at: now) }
    }

    private mutating func evict(now: Double) {
        let target = maximumKeys - max(1, maximumKeys / 8)
        removeFullBuckets(now: now)
        guard buckets.count > target else { return }
        let idleLongest = buckets.sorted { ($0.value.updatedAt ?? -.infinity) < ($1.value.updatedAt ?? -.infinity) }
        for (key, _) in idleLongest.prefix(buckets.count - target) { buckets[key] = nil }
    }
}

extension KeyedRateLimiter: Sendable where Key: Sendable {}
