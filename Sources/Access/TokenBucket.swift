/// A token bucket: holds up to `capacity` tokens, gains `refillPerSecond` of them per second,
/// and each request spends `cost`. Bursts up to the capacity pass at once; the long-run rate is
/// the refill rate. A value type with the clock passed in, so tests step time exactly.
public struct TokenBucket: Hashable, Sendable {
    public enum Decision: Hashable, Sendable {
        case allowed
        /// Refused; `retryAfter` seconds from now enough tokens will have refilled
        /// (`.infinity` when they never can: the cost exceeds the capacity, or nothing refills).
        case limited(retryAfter: Double)

        public var isAllowed: Bool { self == .allowed }

        /// The `Retry-After` value (RFC 9110 §10.2.3 takes whole seconds): rounded up, at least 1.
        public var retryAfterSeconds: Int? {
            guard case .limited(let retryAfter) = self else { return nil }
            guard retryAfter.isFinite, retryAfter < Double(Int32.max) else { return Int(Int32.max) }
            return max(1, Int(retryAfter.rounded(.up)))
        }
    }

    public let capacity: Double
    public let refillPerSecond: Double
    /// Tokens as of `updatedAt` (refill is applied lazily, by `take` and `tokens(at:)`).
    public private(set) var tokens: Double
    /// When `tokens` was last brought up to date; nil until first used.
    public private(set) var updatedAt: Double?

    /// A full bucket.
    public init(capacity: Double, refillPerSecond: Double) {
        precondition(capacity >= 0 && refillPerSecond >= 0, "a token bucket needs a non-negative capacity and rate")
        self.capacity = capacity
        self.refillPerSecond = refillPerSecond
        self.tokens = capacity
    }

    /// The tokens available at `now`. A clock that steps backwards refills nothing.
    public func tokens(at now: Double) -> Double {
        guard let updatedAt, now > updatedAt else { return tokens }
        return min(capacity, tokens + (now - updatedAt) * refillPerSecond)
    }

    /// Whether the bucket is full at `now`: then it is indistinguishable from a new one
    /// and can be forgotten.
    public func isFull(at now: Double) -> Bool { tokens(at: now) >= capacity }

    /// Spends `cost` tokens if there are enough; a refused request spends nothing.
    public mutating func take(now: Double, cost: Double = 1) -> Decision {
        tokens = tokens(at: now)
        updatedAt = max(updatedAt ?? now, now)
        if tokens >= cost {
            tokens -= cost
            return .allowed
        }
        guard cost <= capacity, refillPerSecond > 0 else { return .limited(retryAfter: .infinity) }
        return .limited(retryAfter: (cost - tokens) / refillPerSecond)
    }
}
