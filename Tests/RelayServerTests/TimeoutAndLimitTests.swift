import Foundation
import HTTP1
import RelayServer
import Testing

@Suite("timeouts and the connection limit")
struct TimeoutAndLimitTests {
    @Test func slowlorisGets408WithinTheHeaderTimeout() throws {
        try withServer({ $0.headerTimeout = 0.5 }) { _, port in
            let client = try RawClient(port: port)
            let start = Date()
            // Trickle a header that never ends: every byte must not restart the clock.
            try client.send("GET /echo HTTP/1.1\r\n")
            var trickled = 0
            while Date().timeIntervalSince(start) < 0.4 {
                try client.send("X")
                trickled += 1
                Thread.sleep(forTimeInterval: 0.05)
            }
            let response = try client.readResponse()
            let elapsed = Date().timeIntervalSince(start)
            #expect(response.status == 408)
            #expect(response.header("Connection") == "close")
            #expect(elapsed >= 0.45 && elapsed < 2.5, "closed after \(elapsed) s")
            #expect(client.closesWithin(3))
            #expect(trickled > 3)
        }
    }

    @Test func silentConnectionIsClosedWithoutAResponse() throws {
        try withServer({ $0.headerTimeout = 0.3 }) { _, port in
            let client = try RawClient(port: port)
            let start = Date()
            #expect(client.closesWithin(3))
            #expect(Date().timeIntervalSince(start) < 2.5)
        }
    }

    @Test func slowBodyGets408() throws {
        try withServer({ $0.bodyTimeout = 0.4 }) { _, port in
            let client = try RawClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
            let response = try client.readResponse()
            #expect(response.status == 408)
        }
    }

    @Test func idleKeepAliveConnectionIsClosed() throws {
        try withServer({ $0.idleTimeout = 0.4 }) { server, port in
            let client = try RawClient(port: port)
            try client.send("GET /echo?x HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try client.readResponse().status == 200)
            let start = Date()
            #expect(client.closesWithin(3))
            let elapsed = Date().timeIntervalSince(start)
            #expect(elapsed >= 0.3 && elapsed < 2.5, "closed after \(elapsed) s")
        }
    }

    @Test func aLongResponseIsNotCutByTheIdleTimeout() throws {
        try withServer({ $0.idleTimeout = 0.2; $0.headerTimeout = 0.2 }) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /slow?700 HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try client.readResponse().text == "slow done")
        }
    }

    @Test func connectionsBeyondTheLimitGet503() throws {
        try withServer({ $0.maxConnections = 2 }) { server, port in
            let first = try RawClient(port: port)
            let second = try RawClient(port: port)
            try first.send("GET /echo?1 HTTP/1.1\r\nHost: t\r\n\r\n")
            try second.send("GET /echo?2 HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try first.readResponse().status == 200)
            #expect(try second.readResponse().status == 200)

            let third = try RawClient(port: port)
            try third.send("GET /echo?3 HTTP/1.1\r\nHost: t\r\n\r\n")
            let refused = try third.readResponse()
            #expect(refused.status == 503)
            #expect(refused.header("Retry-After") == "1")
            #expect(refused.text.contains("too_many_connections"))
            #expect(third.closesWithin(3))
            #expect(server.rejectedConnectionCount == 1)

            // The two admitted clients are unaffected; once one leaves there is room again.
            try first.send("GET /echo?again HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(try first.readResponse().text == "again")
            #expect(first.closesWithin(3))
            first.close()
            var admitted = false
            for _ in 0..<50 where !admitted {
                let fourth = try RawClient(port: port)
                try fourth.send("GET /echo?4 HTTP/1.1\r\nHost: t\r\n\r\n")
                admitted = try fourth.readResponse().status == 200
                if !admitted { Thread.sleep(forTimeInterval: 0.02) }
            }
            #expect(admitted)
        }
    }
}

@Suite("ConnectionDeadline state machine (manual clock)")
struct ConnectionDeadlineTests {
    let start = ContinuousClock.now

    func deadline() -> ConnectionDeadline {
        ConnectionDeadline(headerTimeout: .seconds(10), idleTimeout: .seconds(75), now: start)
    }

    @Test func freshConnectionClosesSilentlyAfterHeaderTimeout() {
        let policy = deadline()
        #expect(policy.check(at: start + .seconds(9)) == .none)
        #expect(policy.check(at: start + .seconds(10)) == .close)
    }

    @Test func trickledHeadDoesNotRestartTheClock() {
        var policy = deadline()
        policy.received(at: start + .seconds(1))
        for second in 2..<11 { policy.received(at: start + .seconds(second)) }
        #expect(policy.phase == .awaitingHead)
        #expect(policy.check(at: start + .seconds(10)) == .none)
        #expect(policy.check(at: start + .seconds(11)) == .requestTimeout)
    }

    /// A body has `bodyTimeout` in all: a client sending a byte just before each deadline
    /// (it used to restart the clock) still runs out of time.
    @Test func aTrickledBodyDoesNotRestartTheClock() {
        var policy = ConnectionDeadline(headerTimeout: .seconds(10), bodyTimeout: .seconds(30), idleTimeout: .seconds(75), now: start)
        policy.enter(.readingBody, at: start)
        for second in stride(from: 9, to: 30, by: 9) { policy.received(at: start + .seconds(second)) }
        #expect(policy.check(at: start + .seconds(29)) == .none)
        #expect(policy.check(at: start + .seconds(30)) == .requestTimeout)
    }

    @Test func respondingNeverTimesOut() {
        var policy = deadline()
        policy.enter(.responding, at: start)
        #expect(policy.check(at: start + .seconds(3600)) == .none)
    }

    @Test func idleClosesAfterIdleTimeoutAndNewBytesStartTheHeaderClock() {
        var policy = deadline()
        policy.enter(.idle, at: start)
        #expect(policy.check(at: start + .seconds(74)) == .none)
        #expect(policy.check(at: start + .seconds(75)) == .close)
        policy.received(at: start + .seconds(70))
        #expect(policy.phase == .awaitingHead)
        #expect(policy.check(at: start + .seconds(79)) == .none)
        #expect(policy.check(at: start + .seconds(80)) == .requestTimeout)
    }
}
