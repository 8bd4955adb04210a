import Access
import Testing

@Suite("Concurrency limits")
struct ConcurrencyLimiterTests {
    /// `#expect` cannot call a mutating method itself.
    func acquire(_ limiter: inout ConcurrencyLimiter<String>, _ key: String) -> Bool { limiter.acquire(key) }

    @Test func countsPerKeyUpToTheMaximum() {
        var limiter = ConcurrencyLimiter<String>(maximumPerKey: 2)
        #expect(acquire(&limiter, "a"))
        #expect(acquire(&limiter, "a"))
        #expect(!acquire(&limiter, "a"))
        #expect(limiter.count("a") == 2)
        #expect(acquire(&limiter, "b"))
        #expect(limiter.total == 3 && limiter.keyCount == 2)
        limiter.release("a")
        #expect(limiter.count("a") == 1)
        #expect(acquire(&limiter, "a"))
        limiter.release("a")
        limiter.release("a")
        #expect(limiter.count("a") == 0)
        #expect(limiter.keyCount == 1, "a key at zero is removed")
        limiter.release("a")
        limiter.release("never")
        #expect(limiter.count("a") == 0 && limiter.total == 1, "extra releases do nothing")
        let first = limiter.acquire("a"), second = limiter.acquire("a"), third = limiter.acquire("a")
        #expect(first && second && !third, "and do not raise the limit")
    }

    @Test func aZeroMaximumRefusesEverything() {
        var limiter = ConcurrencyLimiter<Int>(maximumPerKey: 0)
        let acquired = limiter.acquire(1)
        #expect(!acquired)
        #expect(limiter.keyCount == 0)
    }

    @Test func theLockedLimiterIsSharedAcrossTasks() async {
        let limiter = LockedConcurrencyLimiter<String>(maximumPerKey: 10)
        let acquired = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { (0..<20).reduce(0) { count, _ in count + (limiter.acquire("ip") ? 1 : 0) } }
            }
            return await group.reduce(0, +)
        }
        #expect(acquired == 10)
        #expect(limiter.count("ip") == 10)
        for _ in 0..<10 { limiter.release("ip") }
        #expect(limiter.count("ip") == 0 && limiter.keyCount == 0)
    }
}
