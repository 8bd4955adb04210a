import Dispatch
import Foundation
import HTTP1
import RelayServer
import Testing

@Suite("graceful shutdown and streamed responses")
struct ShutdownAndStreamingTests {
    @Test func shutdownFinishesTheRequestInFlightAndTellsNewOnesItIsDraining() throws {
        let (server, port) = try startTestServer()

        let idle = try RawClient(port: port)
        try idle.send("GET /echo?1 HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try idle.readResponse().status == 200)

        let busy = try RawClient(port: port)
        try busy.send("GET /slow?500 HTTP/1.1\r\nHost: t\r\n\r\n")
        Thread.sleep(forTimeInterval: 0.1)

        let finished = DispatchSemaphore(value: 0)
        let started = Date()
        server.shutdown(drainSeconds: 5) { finished.signal() }

        // The idle keep-alive connection is closed at once.
        #expect(idle.closesWithin(2))
        // The listener stays open for the drain (resumes still work), and says it is going:
        // /health is 503 (the platform stops routing here) and the connection is not kept.
        let late = try RawClient(port: port)
        try late.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        let health = try late.readResponse()
        #expect(health.status == 503)
        #expect(health.text.contains("\"status\":\"draining\""))
        #expect(health.header("Connection") == "close")
        // The request in flight completes, told that the connection closes.
        let response = try busy.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "slow done")
        #expect(response.header("Connection") == "close")
        #expect(busy.closesWithin(2))
        #expect(finished.wait(timeout: .now() + 5) == .success)
        #expect(Date().timeIntervalSince(started) < 4)
    }

    @Test func drainDeadlineClosesWhatIsLeft() throws {
        let (server, port) = try startTestServer()
        let client = try RawClient(port: port)
        try client.send("GET /stream?n=100&ms=100 HTTP/1.1\r\nHost: t\r\n\r\n")
        _ = try client.readResponse(head: true)
        let started = Date()
        shutdownAndWait(server, drainSeconds: 0.3)
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= 0.25 && elapsed < 3)
        #expect(client.closesWithin(2))
    }

    @Test func healthSays503WhileDraining() throws {
        let (server, port) = try startTestServer()
        let holder = try RawClient(port: port)
        try holder.send("GET /slow?600 HTTP/1.1\r\nHost: t\r\n\r\n")
        let pipelined = try RawClient(port: port)
        try pipelined.send("GET /slow?300 HTTP/1.1\r\nHost: t\r\n\r\nGET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        Thread.sleep(forTimeInterval: 0.1)
        let done = DispatchSemaphore(value: 0)
        server.shutdown(drainSeconds: 5) { done.signal() }
        #expect(try pipelined.readResponse().status == 200)
        // After the first response the connection closes: the pipelined /health is not served.
        #expect(pipelined.closesWithin(2))
        _ = try holder.readResponse()
        done.wait()
    }

    @Test func streamedResponseArrivesChunkByChunk() throws {
        try withServer { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /stream?n=3&ms=150 HTTP/1.1\r\nHost: t\r\n\r\n")
            let head = try client.readResponse(head: true)
            #expect(head.status == 200)
            #expect(head.header("Transfer-Encoding") == "chunked")
            #expect(head.header("Content-Length") == nil)
            var arrivals: [Date] = []
            var chunks: [String] = []
            while let chunk = try client.readChunk() {
                arrivals.append(Date())
                chunks.append(String(decoding: chunk, as: UTF8.self))
            }
            #expect(chunks == ["chunk-0\n", "chunk-1\n", "chunk-2\n"])
            // Each chunk was flushed when written, not held until the end.
            #expect(arrivals[2].timeIntervalSince(arrivals[0]) > 0.2)
            try client.send("GET /echo?after HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try client.readResponse().text == "after")
        }
    }

    @Test func streamToHTTP10IsCloseDelimited() throws {
        try withServer { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /stream?n=2&ms=20 HTTP/1.0\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.header("Transfer-Encoding") == nil)
            #expect(response.text == "chunk-0\nchunk-1\n")
        }
    }

    @Test func clientThatDoesNotReadIsClosedAtTheOutboundLimit() throws {
        let closed = DispatchSemaphore(value: 0)
        try withServer({ $0.maxOutboundBytes = 256 * 1024 }, routes: { server in
            server.route(.get, "/flood") { _, responder in
                responder.startStream()
                responder.onEnd { closed.signal() }
                let piece = [UInt8](repeating: 0x61, count: 64 * 1024)
                @Sendable func pump(_ remaining: Int) {
                    guard remaining > 0 else { return }
                    responder.write(piece)
                    DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(2)) { pump(remaining - 1) }
                }
                pump(2000) // 128 MiB if nobody stopped it
            }
        }) { _, port in
            let client = try RawClient(port: port)
            var small: Int32 = 4096
            setsockopt(client.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
            try client.send("GET /flood HTTP/1.1\r\nHost: t\r\n\r\n")
            // Never read: the server must give up on us instead of buffering 128 MiB.
            #expect(closed.wait(timeout: .now() + 20) == .success)
        }
    }
}
