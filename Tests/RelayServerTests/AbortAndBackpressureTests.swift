import Dispatch
import Foundation
import HTTP1
import RelayServer
import Testing

@Suite("client aborts and output backpressure")
struct AbortAndBackpressureTests {
    @Test func clientLeavingWhileWaitingAbortsTheExchange() throws {
        let counter = Counter()
        try withServer(routes: { installBackpressureRoutes(on: $0, counter: counter) }) { server, port in
            let client = try RawClient(port: port)
            try client.send("GET /never HTTP/1.1\r\nHost: t\r\n\r\n")
            Thread.sleep(forTimeInterval: 0.1)
            client.shutdownWrite()
            #expect(client.closesWithin(2))
            for _ in 0..<100 where counter.value("never-closed") == 0 { Thread.sleep(forTimeInterval: 0.01) }
            #expect(counter.value("never-closed") == 1)
            for _ in 0..<100 where server.connectionCount > 0 { Thread.sleep(forTimeInterval: 0.01) }
            #expect(server.connectionCount == 0)
        }
    }

    @Test func aSlowReaderOfALongResponseIsNotCutByTheIdleTimeout() throws {
        let counter = Counter()
        try withServer({ $0.idleTimeout = 0.3 }, routes: { installBackpressureRoutes(on: $0, counter: counter) }) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /big?8000000 HTTP/1.1\r\nHost: t\r\n\r\n")
            // Read slowly for longer than the idle timeout, then take the rest.
            var received = 0
            let start = Date()
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            while Date().timeIntervalSince(start) < 1.0 {
                let count = chunk.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress, $0.count, 0) }
                guard count > 0 else { break }
                received += count
                Thread.sleep(forTimeInterval: 0.05)
            }
            let rest = try client.readUntilClosedOrCount(8_000_000 + 100 - received)
            #expect(received + rest > 8_000_000)
        }
    }

    @Test func aClientThatStopsReadingIsClosedAfterTheSendTimeout() throws {
        let counter = Counter()
        try withServer({ $0.sendTimeout = 0.5 }, routes: { installBackpressureRoutes(on: $0, counter: counter) }) { server, port in
            let client = try RawClient(port: port)
            try client.send("GET /big?50000000 HTTP/1.1\r\nHost: t\r\n\r\n")
            // Never read: once the kernel buffers are full nothing moves, and the server gives up.
            var open = true
            for _ in 0..<300 where open {
                Thread.sleep(forTimeInterval: 0.02)
                open = server.connectionCount > 0
            }
            #expect(!open)
        }
    }

    @Test func pipelinedRequestsWaitWhileTheClientDoesNotRead() throws {
        let counter = Counter()
        try withServer(routes: { installBackpressureRoutes(on: $0, counter: counter) }) { _, port in
            let client = try RawClient(port: port)
                        try client.send(String(repeating: "GET /big?2000000 HTTP/1.1\r\nHost: t\r\n\r\n", count: 40))
            Thread.sleep(forTimeInterval: 0.5)
            // 40 x 2 MB would be 80 MB in memory; only what fits the watermark (plus what the
            // kernel buffers hold) may have been answered.
            #expect(counter.value("big") < 10, "answered \(counter.value("big")) while nobody read")
            for _ in 0..<40 { #expect(try client.readResponse().body.count == 2_000_000) }
            #expect(counter.value("big") == 40)
        }
    }

    @Test func nothingIsDispatchedAfterTheConnectionClosed() throws {
        let counter = Counter()
        try withServer({ $0.maxOutboundBytes = 256 * 1024 }, routes: { installBackpressureRoutes(on: $0, counter: counter) }) { _, port in
            let client = try RawClient(port: port)
            var small: Int32 = 4096
            setsockopt(client.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
            try client.send("GET /flood-inline HTTP/1.1\r\nHost: t\r\n\r\nGET /count HTTP/1.1\r\nHost: t\r\n\r\n")
            for _ in 0..<200 where counter.value("flood-closed") == 0 { Thread.sleep(forTimeInterval: 0.01) }
            #expect(counter.value("flood-closed") == 1)
            Thread.sleep(forTimeInterval: 0.1)
            #expect(counter.value("count") == 0)
        }
    }

    @Test func aStreamed204HasNoBody() throws {
        let counter = Counter()
        try withServer(routes: { installBackpressureRoutes(on: $0, counter: counter) }) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /empty-stream HTTP/1.1\r\nHost: t\r\n\r\nGET /count HTTP/1.1\r\nHost: t\r\n\r\n")
            let empty = try client.readResponse()
            #expect(empty.status == 204)
            #expect(empty.header("Transfer-Encoding") == nil)
            // The next response starts right after the 204's head: no stray chunk bytes.
            #expect(try client.readResponse().text == "counted")
        }
    }

    /// End handlers run once however the exchange ends: a producer lets go of a response
    /// that finished by itself too (a `HEAD` of a stream used to keep its subscriber).
    @Test func endHandlersRunOnceAfterANormalFinishToo() throws {
        let called = Counter()
        try withServer(routes: { server in
            server.route(.get, "/end-handlers") { _, responder in
                responder.onEnd { called.add("before") }
                responder.respond(HTTPResponse(status: .ok))
                responder.onEnd { called.add("late") }
            }
        }) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /end-handlers HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            #expect(try client.readResponse().status == 200)
            #expect(client.closesWithin(2))
            Thread.sleep(forTimeInterval: 0.1)
            #expect(called.value("before") == 1)
            #expect(called.value("late") == 1)
        }
    }

    @Test func aSecondShutdownWaitsForTheSameDrain() throws {
        let (server, port) = try startTestServer()
        let client = try RawClient(port: port)
        try client.send("GET /slow?400 HTTP/1.1\r\nHost: t\r\n\r\n")
        Thread.sleep(forTimeInterval: 0.05)
        let first = DispatchSemaphore(value: 0)
        let second = DispatchSemaphore(value: 0)
        server.shutdown(drainSeconds: 5) { first.signal() }
        server.shutdown(drainSeconds: 5) { second.signal() }
        // Neither completes while the request is in flight.
        #expect(second.wait(timeout: .now() + 0.2) == .timedOut)
        #expect(try client.readResponse().text == "slow done")
        #expect(first.wait(timeout: .now() + 3) == .success)
        #expect(second.wait(timeout: .now() + 3) == .success)
    }
}
