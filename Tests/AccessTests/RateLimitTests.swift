import Access
import Testing

@Suite("Token buckets and keyed rate limits")
struct RateLimitTests {
    @Test func aBucketAllowsItsBurstThenRefillsAtItsRate() {
        var bucket = TokenBucket(capacity: 2, refillPerSecond: 2)
        #expect(bucket.take(now: 100) == .allowed)
        #expect(bucket.take(now: 100) == .allowed)
        #expect(bucket.take(now: 100) == .limited(retryAfter: 0.5))
        #expect(bucket.take(now: 100.25) == .limited(retryAfter: 0.25), "half a token refilled")
        #expect(bucket.take(now: 100.5) == .allowed)
        #expect(bucket.take(now: 100.5) == .limited(retryAfter: 0.5))
        #expect(bucket.take(now: 200) == .allowed, "refill stops at the capacity")
        #expect(bucket.take(now: 200) == .allowed)
        #expect(bucket.take(now: 200) == .limited(retryAfter: 0.5))
    }

    @Test func costsAndImpossibleRequests() {
        var bucket = TokenBucket(capacity: 10, refillPerSecond: 4)
        #expect(bucket.take(now: 0, cost: 8) == .allowed)
        #expect(bucket.take(now: 0, cost: 4) == .limited(retryAfter: 0.5), "2 left, 2 missing at 4/s")
        #expect(bucket.tokens(at: 0) == 2, "a refused take spends nothing")
        #expect(bucket.take(now: 0, cost: 11) == .limited(retryAfter: .infinity), "more than the capacity")
        var frozen = TokenBucket(capacity: 1, refillPerSecond: 0)
        #expect(frozen.take(now: 0) == .allowed)
        #expect(frozen.take(now: 1000) == .limited(retryAfter: .infinity))
    }

    @Test func aClockSteppingBackRefillsNothing() {
        var bucket = TokenBucket(capacity: 1, refillPerSecond: 1)
        #expect(bucket.take(now: 50) == .allowed)
        #expect(bucket.take(now: 10) == .limited(retryAfter: 1))
        #expect(bucket.updatedAt == 50)
        #expect(bucket.take(now: 50.5) == .limited(retryAfter: 0.5))
        #expect(bucket.take(now: 51) == .allowed)
    }

    @Test func retryAfterHeaderSeconds() {
        #expect(TokenBucket.Decision.allowed.retryAfterSeconds == nil)
        #expect(TokenBucket.Decision.limited(retryAfter: 0.25).retryAfterSeconds == 1)
        #expect(TokenBucket.Decision.limited(retryAfter: 1).retryAfterSeconds == 1)
        #expect(TokenBucket.Decision.limited(retryAfter: 1.5).retryAfterSeconds == 2)
        #expect(TokenBucket.Decision.limited(retryAfter: .infinity).retryAfterSeconds == Int(Int32.max))
        #expect(TokenBucket.Decision.allowed.isAllowed)
    }

    @Test func keysHaveTheirOwnBuckets() {
        var limiter = KeyedRateLimiter<String>(capacity: 1, refillPerSecond: 0.5)
        #expect(limiter.take("a", now: 0) == .allowed)
        #expect(limiter.take("a", now: 0) == .limited(retryAfter: 2))
        #expect(limiter.take("b", now: 0) == .allowed)
        #expect(limiter.take("a", now: 1) == .limited(retryAfter: 1))
        #expect(limiter.take("a", now: 2) == .allowed)
        #expect(limiter.keyCount == 2)
        limiter.removeFullBuckets(now: 3)
        #expect(limiter.keyCount == 1, "b is full again, a is not")
        #expect(limiter.bucket(for: "b") == nil)
        #expect(limiter.take("a", now: 3) == .limited(retryAfter: 1), "a keeps its debt")
    }

    @Test func rotatingKeysCannotGrowMemoryPastTheBound() {
        var limiter = KeyedRateLimiter<Int>(capacity: 5, refillPerSecond: 1, maximumKeys: 64)
        // A well-behaved client that is in debt, seen recently.
        for _ in 0..<5 { #expect(limiter.take(-1, now: 0) == .allowed) }
        for key in 0..<10_000 {
            // Each attacker key is spent dry so none is ever full again within the test.
            _ = limiter.take(key, now: Double(key) * 0.0001, cost: 5)
            _ = limiter.take(-1, now: Double(key) * 0.0001, cost: 0)
            #expect(limiter.keyCount <= 64)
        }
        #expect(limiter.keyCount <= 64)
        #expect(limiter.bucket(for: -1) != nil, "the recently active key survives; the idle ones go")
        #expect(limiter.take(-1, now: 1.0, cost: 2) == .limited(retryAfter: 1), "and keeps its debt")
    }

    @Test func fullBucketsAreEvictedBeforeBusyOnes() {
        var limiter = KeyedRateLimiter<Int>(capacity: 1, refillPerSecond: 1, maximumKeys: 8)
        #expect(limiter.take(0, now: 0) == .allowed) // oldest, but in debt at t = 0.5
        for key in 1..<8 { _ = limiter.take(key, now: -10) } // idle longest, full again by t = 0.5
        #expect(limiter.keyCount == 8)
        #expect(limiter.take(100, now: 0.5) == .allowed)
        #expect(limiter.keyCount == 2)
        #expect(limiter.take(0, now: 0.5) == .limited(retryAfter: 0.5), "the bucket in debt was kept")
    }

    @Test func theLockedLimiterIsSharedAcrossTasks() async {
        let limiter = LockedKeyedRateLimiter<String>(capacity: 100, refillPerSecond: 0, maximumKeys: 4)
        let allowed = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { (0..<50).reduce(0) { count, _ in count + (limiter.take("k", now: 0).isAllowed ? 1 : 0) } }
            }
            return await group.reduce(0, +)
        }
        #expect(allowed == 100)
        #expect(limiter.keyCount == 1)
        limiter.removeFullBuckets(now: 1)
        #expect(limiter.keyCount == 1)
    }
}
