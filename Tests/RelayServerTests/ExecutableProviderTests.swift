import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The `relayd` binary configured the way an operator does it: keys and base URLs in the
/// environment, a corporate CA in `SSL_CERT_FILE`, a proxy in `HTTPS_PROXY`, custom
/// providers in a file.
@Suite("relayd executable with providers", .serialized)
struct ExecutableProviderTests {
    let certificates = TestCertificates.shared

    /// Starts the binary and waits until it answers /health.
    func startRelayd(environment extra: [String: String], arguments: [String] = []) throws -> (Process, Int, Pipe) {
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ExecutableTests.binary)
        process.arguments = ["--host", "127.0.0.1", "--port", String(port), "--log-level", "debug"] + arguments
        var environment = ProcessInfo.processInfo.environment
        for name in environment.keys where name.hasSuffix("_API_KEY") || name.lowercased().hasSuffix("_proxy") { environment[name] = nil }
        environment.merge(extra) { $1 }
        process.environment = environment
        let log = Pipe()
        process.standardError = log
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<100 {
            if let client = try? RawClient(port: port) {
                client.close()
                return (process, port, log)
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.terminate()
        throw PeerProcess.Failure(description: "relayd did not start")
    }

    @Test func anHTTPSProviderThroughAProxyAndACustomProviderFromTheFile() throws {
        let upstream = try PeerProcess("fake_llm.py", ["--tls-cert", certificates.certificateFile, "--tls-key", certificates.keyFile])
        defer { upstream.stop() }
        let plain = try PeerProcess("fake_llm.py")
        defer { plain.stop() }
        let proxy = try PeerProcess("connect_proxy.py")
        defer { proxy.stop() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("relayd-providers-\(getpid()).json")
        try Data(#"""
        {"providers": [{"name": "corp", "base_url": "http://127.0.0.1:\#(plain.port)/v1", "format": "anthropic",
                        "api_key_env": "CORP_LLM_KEY", "models": ["ok", "reasoning"], "headers": {"X-Team": "chat"}}]}
        """#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let key = "sk-binary-secret-777"
        let (process, port, log) = try startRelayd(environment: [
            "OPENAI_API_KEY": key, "OPENAI_BASE_URL": "https://localhost:\(upstream.port)/v1",
            "SSL_CERT_FILE": certificates.caFile, "HTTPS_PROXY": "http://127.0.0.1:\(proxy.port)",
            "CORP_LLM_KEY": "corp-secret-888", "RELAYD_PROVIDERS_FILE": file.path,
        ])
        defer { process.terminate(); process.waitUntilExit() }

        let socket = try RawWebSocket(port: port, timeout: 10)
        func chat(_ provider: String, id: String) throws -> [[String: Any]] {
            try socket.send(text: #"{"type":"chat","id":"\#(id)","provider":"\#(provider)","model":"ok","messages":[{"role":"user","content":"hi"}]}"#)
            var events: [[String: Any]] = []
            while events.last.map({ ["done", "error"].contains($0["type"] as? String) }) != true {
                let text = try #require(try socket.readText())
                raw += text
                events.append(try json(text))
            }
            return events
        }
        var raw = ""
        let viaProxy = try chat("openai", id: "o")
        #expect(viaProxy.compactMap { $0["content"] as? String }.joined() == PeerRelay.answer, "\(viaProxy.last ?? [:])")
        #expect(try proxy.json("/_stats")["tunnels"] as? Int == 1, "SSL_CERT_FILE trusted the test CA, through the proxy")
        let custom = try chat("corp", id: "c")
        #expect(custom.compactMap { $0["content"] as? String }.joined() == PeerRelay.answer, "\(custom.last ?? [:])")
        let headers = try #require(try plain.json("/_stats")["last_headers"] as? [String: String])
        #expect(headers["x-api-key"] == "corp-secret-888", "the file's key variable, in the format's header")
        #expect(headers["x-team"] == "chat")

        let client = try RawClient(port: port)
        try client.send("GET /api/providers HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let response = try client.readResponse()
        let listing = String(decoding: response.body, as: UTF8.self)
        #expect(listing.contains(#""openai""#) && listing.contains(#""corp""#) && listing.contains(#""reasoning""#), "\(listing)")
        process.terminate()
        process.waitUntilExit()
        let logged = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        for secret in [key, "corp-secret-888"] {
            #expect(!raw.contains(secret) && !listing.contains(secret) && !logged.contains(secret), "a key leaked")
        }
    }

    @Test(arguments: [
        (["RELAYD_PROVIDERS_FILE": "/nonexistent/providers.json"], "cannot read"),
        (["HTTPS_PROXY": "socks5://user:pw@proxy:1080"], "HTTPS_PROXY"),
        (["RELAYD_UPSTREAM_RETRIES": "many"], "RELAYD_UPSTREAM_RETRIES"),
    ])
    func aBadUpstreamSettingStopsStartUp(environment: [String: String], expected: String) throws {
        var full = ProcessInfo.processInfo.environment
        full.merge(environment) { $1 }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ExecutableTests.binary)
        process.arguments = ["--host", "127.0.0.1", "--port", "0"]
        process.environment = full
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 64, "\(output)")
        #expect(output.contains(expected), "\(output)")
        #expect(!output.contains("pw@"), "the proxy password is not echoed")
    }
}
