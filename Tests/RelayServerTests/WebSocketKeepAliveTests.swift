import RelayServer
import Testing

@Suite("WebSocketKeepAlive state machine (manual clock)")
struct WebSocketKeepAliveTests {
    let start = ContinuousClock.now

    func keepAlive() -> WebSocketKeepAlive {
        WebSocketKeepAlive(pingInterval: .seconds(25), grace: .seconds(10), closeTimeout: .seconds(5), now: start)
    }

    @Test func pingsEveryInterval() {
        var policy = keepAlive()
        #expect(policy.check(at: start + .seconds(24)) == .none)
        #expect(policy.check(at: start + .seconds(25)) == .sendPing)
        #expect(policy.check(at: start + .seconds(26)) == .none) // not again until the next interval
        policy.received(at: start + .seconds(26))
        #expect(policy.check(at: start + .seconds(49)) == .none)
        #expect(policy.check(at: start + .seconds(50)) == .sendPing)
    }

    /// A connection's first ping may come earlier, to spread the pings of clients that
    /// connected together; after it, the interval is the same.
    @Test func theFirstPingCanBeEarlier() {
        var policy = WebSocketKeepAlive(pingInterval: .seconds(25), grace: .seconds(10), closeTimeout: .seconds(5), now: start,
                                        firstPingAfter: .seconds(15))
        #expect(policy.check(at: start + .seconds(14)) == .none)
        #expect(policy.check(at: start + .seconds(15)) == .sendPing)
        #expect(policy.check(at: start + .seconds(39)) == .none)
        #expect(policy.check(at: start + .seconds(40)) == .sendPing)
        #expect(policy.deadPeerTimeout == .seconds(60), "the dead-peer rule does not move")
        #expect(policy.check(at: start + .seconds(60)) == .deadPeer)
    }

    @Test func aPeerSilentForTwoIntervalsPlusGraceIsDead() {
        var policy = keepAlive()
        #expect(policy.deadPeerTimeout == .seconds(60))
        _ = policy.check(at: start + .seconds(25))
        _ = policy.check(at: start + .seconds(50))
        #expect(policy.check(at: start + .seconds(59)) == .none)
        #expect(policy.check(at: start + .seconds(60)) == .deadPeer)
    }

    @Test func anyFrameKeepsThePeerAlive() {
        var policy = keepAlive()
        for second in stride(from: 20, through: 300, by: 20) {
            policy.received(at: start + .seconds(second))
            #expect(policy.check(at: start + .seconds(second + 1)) != .deadPeer)
        }
    }

    @Test func theCloseHandshakeHasItsOwnDeadline() {
        var policy = keepAlive()
        policy.closeSent(at: start + .seconds(10))
        #expect(policy.check(at: start + .seconds(14)) == .none)
        // No pings while closing; only the close timeout counts.
        #expect(policy.check(at: start + .seconds(15)) == .closeTimedOut)
        policy.closeSent(at: start + .seconds(20)) // a second close does not restart it
        #expect(policy.check(at: start + .seconds(15)) == .closeTimedOut)
    }
}
