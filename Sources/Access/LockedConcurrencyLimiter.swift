import Synchronization

/// A `ConcurrencyLimiter` behind a mutex, for counts shared by connections on different
/// threads (event loops): e.g. connections per address accepted on one loop and closed on
/// another.
public final class LockedConcurrencyLimiter<Key: Hashable & Sendable>: Sendable {
    private let limiter: Mutex<ConcurrencyLimiter<Key>>

    public init(maximumPerKey: Int) {
        limiter = Mutex(ConcurrencyLimiter(maximumPerKey: maximumPerKey))
    }

    public func acquire(_ key: Key) -> Bool { limiter.withLock { $0.acquire(key) } }

    public func release(_ key: Key) { limiter.withLock { $0.release(key) } }

    public func count(_ key: Key) -> Int { limiter.withLock { $0.count(key) } }

    public var keyCount: Int { limiter.withLock { $0.keyCount } }
}
