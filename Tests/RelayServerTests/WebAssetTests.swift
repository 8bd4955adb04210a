import Foundation
import HTTP1
import RelayServer
import Testing

/// The browser files compiled into the binary (Plugins/EmbedWebAssets), served over real
/// sockets and compared with `web/` on disk.
@Suite("Web assets")
struct WebAssetTests {
    static let webDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("web")

    static func file(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: webDirectory.appendingPathComponent(name)))
    }

    /// What the plugin should have taken: top-level files with a browser extension.
    static func expectedNames() throws -> [String] {
        let extensions: Set<String> = ["html", "css", "js", "ts", "svg", "ico"]
        return try FileManager.default.contentsOfDirectory(atPath: webDirectory.path).filter { name in
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: webDirectory.appendingPathComponent(name).path, isDirectory: &isDirectory)
            return exists && !isDirectory.boolValue && !name.hasPrefix(".") && extensions.contains((name as NSString).pathExtension)
        }.sorted()
    }

    static func withWebServer(demoPage: Bool = true, cors: String? = nil, _ body: (Int) throws -> Void) throws {
        try withServer({ configuration in
            if let cors { configuration.cors = CORSPolicy(parsing: cors) }
        }, routes: { server in
            server.webClient(demoPage: demoPage)
        }) { _, port in try body(port) }
    }

    static func get(_ client: RawClient, _ path: String, method: String = "GET", _ headers: [String] = []) throws -> RawClient.Response {
        try client.send("\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n" + headers.map { $0 + "\r\n" }.joined() + "\r\n")
        return try client.readResponse(head: method == "HEAD")
    }

    @Test func theBuildEmbedsTheTopLevelWebFilesOnly() throws {
        let names = WebAssets.embedded().names
        #expect(names == (try Self.expectedNames()))
        #expect(names.contains("relay-client.js"))
        #expect(names.contains("relay-client.d.ts"))
        #expect(names.contains("index.html"))
        #expect(!names.contains("package.json"))
    }

    @Test(arguments: [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/index.html", "index.html", "text/html; charset=utf-8"),
        ("/relay-client.js", "relay-client.js", "text/javascript; charset=utf-8"),
        ("/relay-client.d.ts", "relay-client.d.ts", "application/typescript; charset=utf-8"),
        ("/demo.js", "demo.js", "text/javascript; charset=utf-8"),
        ("/demo.css", "demo.css", "text/css; charset=utf-8"),
    ])
    func servesEachFileAsOnDisk(path: String, name: String, contentType: String) throws {
        let expected = try Self.file(name)
        try Self.withWebServer { port in
            let response = try Self.get(RawClient(port: port), path)
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == contentType)
            #expect(response.body == expected)
            #expect(response.header("Content-Length") == String(expected.count))
            #expect(response.header("Content-Encoding") == nil)
            #expect(response.header("Cache-Control") == "no-cache")
            #expect(response.header("X-Content-Type-Options") == "nosniff")
            #expect(response.header("Vary") == "Accept-Encoding")
            let etag = try #require(response.header("ETag"))
            #expect(etag.hasPrefix("\"") && etag.hasSuffix("\"") && etag.count > 2)
        }
    }

    @Test func everyEmbeddedFileIsServedByItsName() throws {
        try Self.withWebServer { port in
            let client = try RawClient(port: port)
            for name in try Self.expectedNames() {
                let response = try Self.get(client, "/" + name)
                #expect(response.status == 200, "\(name)")
                #expect(response.body == (try Self.file(name)), "\(name)")
            }
        }
    }

    @Test func theHTMLPageCarriesItsSecurityPolicy() throws {
        try Self.withWebServer { port in
            let client = try RawClient(port: port)
            let page = try Self.get(client, "/")
            #expect(page.header("Content-Security-Policy") == "default-src 'self'; connect-src 'self' ws: wss: http: https:; img-src 'self' data:; style-src 'self'; script-src 'self'; base-uri 'none'; frame-ancestors 'none'")
            #expect(page.header("Referrer-Policy") == "no-referrer")
            let script = try Self.get(client, "/relay-client.js")
            #expect(script.header("Content-Security-Policy") == nil)
        }
    }

    @Test func aMatchingIfNoneMatchGets304WithoutABody() throws {
        try Self.withWebServer { port in
            let client = try RawClient(port: port)
            let first = try Self.get(client, "/relay-client.js")
            let etag = try #require(first.header("ETag"))
            for condition in [etag, "W/\(etag)", "\"other\", \(etag)", "*"] {
                let revalidated = try Self.get(client, "/relay-client.js", ["If-None-Match: \(condition)"])
                #expect(revalidated.status == 304, "\(condition)")
                #expect(revalidated.header("ETag") == etag)
                #expect(revalidated.header("Cache-Control") == "no-cache")
                #expect(revalidated.header("Vary") == "Accept-Encoding")
                #expect(revalidated.header("Content-Length") == nil)
            }
            // The connection is still in step: the 304s sent no body.
            let stale = try Self.get(client, "/relay-client.js", ["If-None-Match: \"stale\""])
            #expect(stale.status == 200)
            #expect(stale.body == first.body)
        }
    }

    @Test func gzipWhenAskedForAndSmaller() throws {
        let expected = try Self.file("relay-client.js")
        try Self.withWebServer { port in
            let client = try RawClient(port: port)
            let plain = try Self.get(client, "/relay-client.js")
            let zipped = try Self.get(client, "/relay-client.js", ["Accept-Encoding: gzip, deflate, br"])
            #expect(zipped.status == 200)
            #expect(zipped.header("Content-Encoding") == "gzip")
            #expect(zipped.header("Vary") == "Accept-Encoding")
            #expect(zipped.body.starts(with: [0x1F, 0x8B]))
            #expect(zipped.body.count < expected.count)
            #expect(zipped.header("Content-Length") == String(zipped.body.count))
            // Each representation has its own strong tag, and a 304 for the one it asked for.
            let zippedTag = try #require(zipped.header("ETag"))
            #expect(zippedTag != plain.header("ETag"))
            #expect(try Self.get(client, "/relay-client.js", ["Accept-Encoding: gzip", "If-None-Match: \(zippedTag)"]).status == 304)
            #expect(try Self.get(client, "/relay-client.js", ["If-None-Match: \(zippedTag)"]).status == 200)

            // A real client decompresses it to the file.
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("relayd-web-\(port).js")
            defer { try? FileManager.default.removeItem(at: output) }
            let (status, headers) = try run(CurlAndCORSTests.curl, ["-sS", "--compressed", "-D", "-", "-o", output.path,
                                                                    "http://127.0.0.1:\(port)/relay-client.js"])
            #expect(status == 0)
            #expect(headers.lowercased().contains("content-encoding: gzip"))
            #expect(Array(try Data(contentsOf: output)) == expected)
        }
    }

    @Test(arguments: ["gzip;q=0", "gzip; q=0.000", "identity, gzip;q=0", "*;q=0, identity", "br", "identity;q=1, gzip;q=0.5", ""])
    func identityWhenGzipIsRefusedOrLessWanted(acceptEncoding: String) throws {
        let expected = try Self.file("relay-client.js")
        try Self.withWebServer { port in
            let response = try Self.get(RawClient(port: port), "/relay-client.js", ["Accept-Encoding: \(acceptEncoding)"])
            #expect(response.header("Content-Encoding") == nil)
            #expect(response.body == expected)
        }
    }

    @Test(arguments: ["x-gzip", "*", "GZIP;Q=0.5, identity;q=0.5", "deflate, gzip;q=1.0"])
    func gzipForEquivalentSpellings(acceptEncoding: String) throws {
        try Self.withWebServer { port in
            let response = try Self.get(RawClient(port: port), "/relay-client.js", ["Accept-Encoding: \(acceptEncoding)"])
            #expect(response.header("Content-Encoding") == "gzip")
        }
    }

    @Test func headHasTheLengthButNoBody() throws {
        try Self.withWebServer { port in
            let client = try RawClient(port: port)
            for encoding in ["identity", "gzip"] {
                let full = try Self.get(client, "/", ["Accept-Encoding: \(encoding)"])
                let head = try Self.get(client, "/", method: "HEAD", ["Accept-Encoding: \(encoding)"])
                #expect(head.status == 200)
                #expect(head.header("Content-Length") == String(full.body.count))
                #expect(head.header("ETag") == full.header("ETag"))
                #expect(head.header("Content-Type") == "text/html; charset=utf-8")
            }
            // Still in step: the HEADs sent no body.
            #expect(try Self.get(client, "/relay-client.d.ts").body == (try Self.file("relay-client.d.ts")))
        }
    }

    @Test func withoutTheDemoPageOnlyTheClientModuleIsServed() throws {
        try Self.withWebServer(demoPage: false) { port in
            let client = try RawClient(port: port)
            #expect(try Self.get(client, "/").status == 404)
            #expect(try Self.get(client, "/index.html").status == 404)
            #expect(try Self.get(client, "/demo.js").status == 404)
            #expect(try Self.get(client, "/relay-client.js").status == 200)
            #expect(try Self.get(client, "/relay-client.d.ts").status == 200)
        }
    }

    @Test func withoutWebClientRoutesNothingIsServed() throws {
        try withServer { _, port in
            let response = try Self.get(RawClient(port: port), "/relay-client.js")
            #expect(response.status == 404)
        }
    }

    @Test func corsHeadersAsOnEveryRoute() throws {
        try Self.withWebServer(cors: "http://localhost:*") { port in
            let client = try RawClient(port: port)
            let allowed = try Self.get(client, "/relay-client.js", ["Origin: http://localhost:5173"])
            #expect(allowed.header("Access-Control-Allow-Origin") == "http://localhost:5173")
            let vary = allowed.headers.filter { $0.name.lowercased() == "vary" }.map(\.value)
            #expect(vary.contains("Accept-Encoding"))
            #expect(vary.contains("Origin"))

            let refused = try Self.get(client, "/relay-client.js", ["Origin: https://evil.example"])
            #expect(refused.status == 200)
            #expect(refused.header("Access-Control-Allow-Origin") == nil)

            try client.send("OPTIONS /relay-client.js HTTP/1.1\r\nHost: t\r\nOrigin: http://localhost:3000\r\nAccess-Control-Request-Method: GET\r\n\r\n")
            let preflight = try client.readResponse()
            #expect(preflight.status == 204)
            #expect(preflight.header("Access-Control-Allow-Origin") == "http://localhost:3000")
            #expect(preflight.header("Access-Control-Allow-Methods")?.contains("GET") == true)
        }
    }

    /// The relayd binary serves the files by itself (no web/ next to it), and
    /// RELAYD_NO_DEMO_PAGE=1 leaves the client module only.
    @Test(arguments: [false, true])
    func theExecutableServesThemAlone(noDemoPage: Bool) throws {
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ExecutableTests.binary)
        process.arguments = ["--host", "127.0.0.1", "--port", String(port), "--log-level", "error"]
        process.currentDirectoryURL = FileManager.default.temporaryDirectory
        var environment = ProcessInfo.processInfo.environment
        environment["RELAYD_NO_DEMO_PAGE"] = noDemoPage ? "1" : nil
        process.environment = environment
        // Output inherited (at --log-level error there is none): FileHandle.nullDevice for both
        // cases, started at once, failed to launch with EBADF.
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        var client: RawClient?
        for _ in 0..<100 where client == nil {
            client = try? RawClient(port: port)
            if client == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        let connection = try #require(client)
        let page = try Self.get(connection, "/")
        #expect(page.status == (noDemoPage ? 404 : 200))
        if !noDemoPage { #expect(page.body == (try Self.file("index.html"))) }
        let module = try Self.get(connection, "/relay-client.js")
        #expect(module.status == 200)
        #expect(module.body == (try Self.file("relay-client.js")))
    }

    @Test func onlyGetAndHead() throws {
        try Self.withWebServer { port in
            let client = try RawClient(port: port)
            try client.send("POST /relay-client.js HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 405)
            #expect(response.header("Allow") == "GET, HEAD, OPTIONS")
        }
    }
}
