import Foundation
import HTTP1
import RelayServer
import Testing

@Suite("rejections over a real socket")
struct RejectionTests {
    static let cases: [(name: String, request: String, status: Int)] = [
        ("smuggling CL+TE", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("conflicting lengths", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
        ("bad chunk size", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        ("bare CR", "GET /echo HTTP/1.1\r\nHost: t\rX: y\r\n\r\n", 400),
        ("space before colon", "GET /echo HTTP/1.1\r\nHost : t\r\n\r\n", 400),
        ("missing host", "GET /echo HTTP/1.1\r\n\r\n", 400),
        ("duplicate host", "GET /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("HTTP/2.0", "GET /echo HTTP/2.0\r\nHost: t\r\n\r\n", 505),
        ("gzip only", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
        ("gzip before chunked", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
        ("long target", "GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: t\r\n\r\n", 414),
        ("big header", "GET /echo HTTP/1.1\r\nHost: t\r\nX-Big: " + String(repeating: "b", count: 17_000) + "\r\n\r\n", 431),
        ("many fields", "GET /echo HTTP/1.1\r\nHost: t\r\n" + String(repeating: "X-A: 1\r\n", count: 101) + "\r\n", 431),
    ]

    @Test(arguments: 0..<cases.count)
    func rejectedWithStatusThenClosed(index: Int) throws {
        let (name, request, status) = Self.cases[index]
        try withServer { _, port in
            let client = try RawClient(port: port)
            try client.send(request)
            let response = try client.readResponse()
            #expect(response.status == status, "\(name)")
            #expect(response.header("Connection") == "close", "\(name)")
            #expect(response.header("Content-Type") == "application/json", "\(name)")
            #expect(response.text.contains("\"error\":{\"code\":"), "\(name)")
            #expect(client.closesWithin(3), "\(name)")
        }
    }

    @Test func declaredBodyOverLimitIsAnsweredBeforeTheBodyIsSent() throws {
        try withServer({ $0.limits.maxBodyBytes = 1000; $0.cors = CORSPolicy(parsing: "https://app.example") }) { _, port in
            let client = try RawClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nOrigin: https://app.example\r\nContent-Length: 1000000\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 413)
            #expect(response.text.contains("content_too_large"))
            // The browser can read the error: CORS headers are on error responses too.
            #expect(response.header("Access-Control-Allow-Origin") == "https://app.example")
        }
    }

    @Test func chunkedBodyOverLimitGets413() throws {
        try withServer({ $0.limits.maxBodyBytes = 10 }) { _, port in
            let client = try RawClient(port: port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n")
            #expect(try client.readResponse().status == 413)
        }
    }

    @Test func oversizeHeaderIsRejectedBeforeItEnds() throws {
        // The header never ends: the server must answer as soon as it passes 16 KiB.
        try withServer { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /echo HTTP/1.1\r\nHost: t\r\nX-Big: " + String(repeating: "b", count: 20_000))
            let response = try client.readResponse()
            #expect(response.status == 431)
        }
    }

    @Test func otherClientsAreUnaffectedByABadOne() throws {
        try withServer { _, port in
            let good = try RawClient(port: port)
            try good.send("GET /echo?1 HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try good.readResponse().text == "1")
            let bad = try RawClient(port: port)
            try bad.send("\u{0}\u{1}garbage\r\n\r\n")
            #expect(try bad.readResponse().status == 400)
            try good.send("GET /echo?2 HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try good.readResponse().text == "2")
        }
    }
}
