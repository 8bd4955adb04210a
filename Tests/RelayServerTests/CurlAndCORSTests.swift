import Foundation
import HTTP1
import RelayServer
import Testing

@Suite("curl and CORS")
struct CurlAndCORSTests {
    static var curl: String {
        guard let path = which("curl") else { fatalError("curl is required for these tests: apt-get install curl") }
        return path
    }

    @Test func curlGetsHealth() throws {
        try withServer { _, port in
            let (status, output) = try run(Self.curl, ["-sS", "-i", "http://127.0.0.1:\(port)/health"])
            #expect(status == 0)
            #expect(output.hasPrefix("HTTP/1.1 200 OK"))
            #expect(output.contains("Content-Type: application/json"))
            let body = output.components(separatedBy: "\r\n\r\n").last ?? ""
            let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            #expect(json?["status"] as? String == "ok")
            #expect(json?["version"] as? String == RelaydVersion.string)
            #expect(json?["uptime_s"] is Int)
            #expect((json?["connections"] as? Int ?? 0) >= 1)
        }
    }

    @Test func healthAnswersWhateverTheHost() throws {
        try withServer { _, port in
            let (_, output) = try run(Self.curl, ["-sS", "-o", "/dev/null", "-w", "%{http_code}",
                                                  "-H", "Host: healthcheck.railway.app", "http://127.0.0.1:\(port)/health"])
            #expect(output == "200")
        }
    }

    @Test func curlReusesOneConnectionForSeveralRequests() throws {
        try withServer { server, port in
            let url = "http://127.0.0.1:\(port)/echo?x"
            let (status, output) = try run(Self.curl, ["-sS", "-v", url, url, url, "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null"])
            #expect(status == 0)
            _ = output
            #expect(server.connectionCount <= 1)
        }
    }

    @Test func curlReadsAStreamedChunkedResponse() throws {
        try withServer { _, port in
            let (status, output) = try run(Self.curl, ["-sS", "-N", "http://127.0.0.1:\(port)/stream?n=4&ms=20"])
            #expect(status == 0)
            #expect(output == "chunk-0\nchunk-1\nchunk-2\nchunk-3\n")
        }
    }

    @Test func curlSendsChunkedUploadAndExpectContinue() throws {
        try withServer { _, port in
            let body = String(repeating: "z", count: 5000)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("relayd-upload-\(port).txt")
            try body.write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            let (status, output) = try run(Self.curl, ["-sS", "-H", "Transfer-Encoding: chunked", "--data-binary", "@\(file.path)",
                                                       "http://127.0.0.1:\(port)/echo"])
            #expect(status == 0)
            #expect(output == body)
            // curl sends Expect: 100-continue for bodies over 1 MiB... force it with a header.
            let (status2, output2) = try run(Self.curl, ["-sS", "-H", "Expect: 100-continue", "--data-binary", "@\(file.path)",
                                                         "http://127.0.0.1:\(port)/echo"])
            #expect(status2 == 0)
            #expect(output2 == body)
        }
    }

    @Test func preflightIsAnsweredForAllowedOriginsOnly() throws {
        try withServer({ $0.cors = CORSPolicy(parsing: "https://*.vercel.app, http://localhost:3000") }) { _, port in
            let client = try RawClient(port: port)
            try client.send("OPTIONS /health HTTP/1.1\r\nHost: t\r\nOrigin: https://my-app-git-main.vercel.app\r\nAccess-Control-Request-Method: GET\r\nAccess-Control-Request-Headers: authorization\r\n\r\n")
            let allowed = try client.readResponse()
            #expect(allowed.status == 204)
            #expect(allowed.header("Access-Control-Allow-Origin") == "https://my-app-git-main.vercel.app")
            #expect(allowed.headerCount("Access-Control-Allow-Origin") == 1)
            #expect(allowed.header("Vary") == "Origin")
            #expect(allowed.header("Access-Control-Allow-Headers") == "Content-Type, Authorization, Last-Event-ID")
            #expect(allowed.header("Access-Control-Max-Age") != nil)
            #expect(allowed.header("Access-Control-Allow-Methods")?.contains("GET") == true)

            try client.send("OPTIONS /health HTTP/1.1\r\nHost: t\r\nOrigin: https://evil.example\r\nAccess-Control-Request-Method: GET\r\n\r\n")
            let denied = try client.readResponse()
            #expect(denied.status == 403)
            #expect(denied.header("Access-Control-Allow-Origin") == nil)
        }
    }

    @Test func allowOriginIsOnEveryResponseErrorsIncluded() throws {
        try withServer({ $0.cors = CORSPolicy(parsing: "http://localhost:*") }) { _, port in
            let client = try RawClient(port: port)
            for path in ["/health", "/missing"] {
                try client.send("GET \(path) HTTP/1.1\r\nHost: t\r\nOrigin: http://localhost:3000\r\n\r\n")
                let response = try client.readResponse()
                #expect(response.header("Access-Control-Allow-Origin") == "http://localhost:3000", "\(path)")
                #expect(response.header("Vary") == "Origin")
            }
            try client.send("POST /health HTTP/1.1\r\nHost: t\r\nOrigin: http://localhost:5173\r\nContent-Length: 0\r\n\r\n")
            let notAllowed = try client.readResponse()
            #expect(notAllowed.status == 405)
            #expect(notAllowed.header("Allow") == "GET, HEAD, OPTIONS")
            #expect(notAllowed.header("Access-Control-Allow-Origin") == "http://localhost:5173")

            try client.send("GET /health HTTP/1.1\r\nHost: t\r\nOrigin: https://localhost.evil.example\r\n\r\n")
            #expect(try client.readResponse().header("Access-Control-Allow-Origin") == nil)
        }
    }

    @Test(arguments: [
        ("*", "https://anything.example", true),
        ("https://a.example", "https://a.example", true),
        ("https://a.example", "https://A.EXAMPLE", true),
        ("https://a.example", "http://a.example", false),
        ("https://*.vercel.app", "https://x.vercel.app", true),
        ("https://*.vercel.app", "https://a.b.vercel.app", true),
        ("https://*.vercel.app", "https://vercel.app", false),
        ("https://*.vercel.app", "https://x.vercel.app.evil.com", false),
        ("https://*.vercel.app", "https://evil.com/.vercel.app", false),
        ("https://*.vercel.app", "https://x.vercel.app:8443", false),
        ("http://localhost:*", "http://localhost:3000", true),
        ("http://localhost:*", "http://localhost", false),
        ("", "https://a.example", false),
        ("none", "https://a.example", false),
        ("https://a.example, https://b.example", "https://b.example", true),
    ])
    func originPatterns(list: String, origin: String, allowed: Bool) {
        #expect(CORSPolicy(parsing: list).allows(origin: origin) == allowed)
    }
}
