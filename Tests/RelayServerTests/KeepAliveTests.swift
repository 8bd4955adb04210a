import Foundation
import HTTP1
import RelayServer
import Testing

@Suite("keep-alive, pipelining, bodies")
struct KeepAliveTests {
    @Test func keepAliveServesManyRequestsOnOneConnection() throws {
        try withServer { server, port in
            let client = try RawClient(port: port)
            for index in 0..<5 {
                try client.send("GET /echo?\(index) HTTP/1.1\r\nHost: t\r\n\r\n")
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.text == "\(index)")
                #expect(response.header("Connection") == nil)
            }
            #expect(server.connectionCount == 1)
        }
    }

    @Test func hundredPipelinedRequestsInOneWriteAnswerInOrder() throws {
        try withServer { _, port in
            let client = try RawClient(port: port)
            var batch = ""
            for index in 0..<100 {
                // Mix fast and deferred responses: order must hold either way.
                batch += index % 10 == 5
                    ? "GET /slow?5 HTTP/1.1\r\nHost: t\r\n\r\n"
                    : "GET /echo?\(index) HTTP/1.1\r\nHost: t\r\n\r\n"
            }
            try client.send(batch)
            for index in 0..<100 {
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.text == (index % 10 == 5 ? "slow done" : "\(index)"))
            }
        }
    }

    @Test func pipelinedRequestsAfterHalfCloseAreAllAnswered() throws {
        try withServer { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /echo?a HTTP/1.1\r\nHost: t\r\n\r\nGET /echo?b HTTP/1.1\r\nHost: t\r\n\r\n")
            client.shutdownWrite()
            #expect(try client.readResponse().text == "a")
            #expect(try client.readResponse().text == "b")
            #expect(client.closesWithin(2))
        }
    }

    @Test func chunkedRequestBodyIsReassembled() throws {
        try withServer { _, port in
            let client = try RawClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
            try client.send("5\r\nhello\r\n")
            Thread.sleep(forTimeInterval: 0.05)
            try client.send("7;ext=1\r\n, world\r\n0\r\nX-Trailer: yes\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "hello, world")
            // The connection stays usable.
            try client.send("GET /echo?next HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try client.readResponse().text == "next")
        }
    }

    @Test func contentLengthBodyAcrossManyWrites() throws {
        try withServer { _, port in
            let client = try RawClient(port: port)
            let body = String(repeating: "0123456789", count: 10_000)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
            for slice in stride(from: 0, to: body.utf8.count, by: 7_000) {
                try client.send(Array(Array(body.utf8)[slice..<min(slice + 7_000, body.utf8.count)]))
            }
            let response = try client.readResponse()
            #expect(response.text == body)
        }
    }

    @Test func expectContinueGets100BeforeTheBody() throws {
        try withServer { _, port in
            let client = try RawClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
            let interim = try client.readResponse()
            #expect(interim.status == 100)
            try client.send("ping")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "ping")
        }
    }

    @Test func expectContinueOverTheLimitGets413WithoutContinue() throws {
        try withServer({ $0.limits.maxBodyBytes = 10 }) { _, port in
            let client = try RawClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 413)
            #expect(response.header("Connection") == "close")
            #expect(client.closesWithin(3))
        }
    }

    @Test func unknownExpectationGets417() throws {
        try withServer { _, port in
            let client = try RawClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nExpect: teapot\r\n\r\nx")
            #expect(try client.readResponse().status == 417)
        }
    }

    @Test func headHasHeadersButNoBody() throws {
        try withServer { _, port in
            let client = try RawClient(port: port)
            try client.send("HEAD /health HTTP/1.1\r\nHost: t\r\n\r\n")
            let head = try client.readResponse(head: true)
            #expect(head.status == 200)
            #expect(Int(head.header("Content-Length") ?? "") ?? 0 > 0)
            // The next response starts right away: no body bytes were sent for HEAD.
            try client.send("GET /echo?after HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try client.readResponse().text == "after")
        }
    }

    @Test func http10ClosesUnlessKeepAliveIsAsked() throws {
        try withServer { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /echo?x HTTP/1.0\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.text == "x")
            #expect(response.header("Connection") == "close")
            #expect(client.closesWithin(3))

            let keepAlive = try RawClient(port: port)
            try keepAlive.send("GET /echo?1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let first = try keepAlive.readResponse()
            #expect(first.header("Connection") == "keep-alive")
            try keepAlive.send("GET /echo?2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try keepAlive.readResponse().text == "2")
        }
    }

    @Test func connectionCloseIsHonoured() throws {
        try withServer { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /echo?bye HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.header("Connection") == "close")
            #expect(client.closesWithin(3))
        }
    }
}
