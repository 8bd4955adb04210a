import HTTP1
import Testing
@testable import Upstream

@Suite("retry policy")
struct RetryPolicyTests {
    @Test func backoffDoublesWithJitterAndIsCapped() {
        let policy = RetryPolicy()
        for attempt in 0..<4 {
            let base = 0.5 * Double(1 << attempt)
            for _ in 0..<50 {
                let delay = policy.delay(attempt: attempt, retryAfter: nil)!
                #expect(delay >= base * 0.5 && delay <= min(20, base * 1.5))
            }
        }
        #expect(policy.delay(attempt: 30, retryAfter: nil)! <= 20)
    }

    @Test func theProvidersWaitWinsUnlessItIsTooLong() {
        let policy = RetryPolicy()
        #expect(policy.delay(attempt: 0, retryAfter: 3) == 3)
        #expect(policy.delay(attempt: 0, retryAfter: 60) == nil)
    }

    @Test func retryAfterHeaders() {
        #expect(RetryPolicy.retryAfter(["retry-after-ms": "250", "retry-after": "9"]) == 0.25)
        #expect(RetryPolicy.retryAfter(["Retry-After": " 2 "]) == 2)
        #expect(RetryPolicy.retryAfter(["Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"]) == nil)
        #expect(RetryPolicy.retryAfter([:]) == nil)
    }

    @Test func statusesThatMayBeRetried() {
        for status in [408, 429, 500, 502, 503, 504, 529] {
            #expect(UpstreamErrorMapping.error(status: status, message: nil).retryable, "\(status)")
        }
        for status in [400, 401, 402, 403, 404, 413, 422] {
            #expect(!UpstreamErrorMapping.error(status: status, message: nil).retryable, "\(status)")
        }
        #expect(!UpstreamErrorMapping.error(status: 429, type: "insufficient_quota", message: nil).retryable)
        #expect(!UpstreamErrorMapping.error(status: 429, type: "1113", message: nil).retryable)
    }
}
