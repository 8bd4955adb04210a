import Synchronization

/// A `KeyedRateLimiter` behind a mutex, for limits shared by connections on different
/// threads (event loops). Each call holds the lock for one dictionary operation (and, rarely,
/// one eviction pass).
public final class LockedKeyedRateLimiter<Key: Hashable & Sendable>: Sendable {
    private let limiter: Mutex<KeyedRateLimiter<Key>>

    public init(capacity: Double, refillPerSecond: Double, maximumKeys: Int = 10_000) {
        limiter = Mutex(KeyedRateLimiter(capacity: capacity, refillPerSecond: refillPerSecond, maximumKeys: maximumKeys))
    }

    public func take(_ key: Key, now: Double, cost: Double = 1) -> TokenBucket.Decision {
        limiter.withLock { $0.take(key, now: now, cost: cost) }
    }

    public var keyCount: Int { limiter.withLock { $0.keyCount } }

    public func removeFullBuckets(now: Double) {
        limiter.withLock { $0.removeFullBuckets(now: now) }
    }
}
