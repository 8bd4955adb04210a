import Foundation
import Testing
import TLS
import Upstream

/// https providers over real sockets (the fake provider serving TLS with certificates made
/// at test time) and forward proxies (`Tests/peers/connect_proxy.py`).
@Suite("TLS to providers and proxies", .serialized)
struct TLSAndProxyTests {
    let certificates = TestCertificates.shared

    /// Trusts only the test CA, not the system store.
    func testTrust() throws -> TLSClientConfiguration {
        try TLSClientConfiguration(extraTrustFile: certificates.caFile, systemTrustStore: false)
    }

    func options(certificate: (String, String)? = nil, trust: TLSClientConfiguration? = nil,
                 proxy: ProxyConfiguration = ProxyConfiguration()) throws -> PeerRelay.Options {
        var options = PeerRelay.Options()
        options.serverCertificate = certificate ?? (certificates.certificateFile, certificates.keyFile)
        options.trust = try trust ?? testTrust()
        options.caFile = certificates.caFile
        options.proxy = proxy
        return options
    }

    @Test func aTrustedCertificateForTheRightNameStreams() throws {
        try PeerRelay.run(try options()) { relay in
            for (index, provider) in PeerRelay.formats.enumerated() {
                let chat = try relay.chat(provider, model: "ok", id: "t\(index)")
                #expect(chat.content == PeerRelay.answer)
                #expect(chat.outcome == "done")
                // `done` leaves at the format's end marker, which may come a moment before the
                // body's last bytes; until those arrive the connection is still busy.
                Thread.sleep(forTimeInterval: 0.3)
            }
            let stats = try relay.stats()
            #expect(stats["chat_connections"] as? Int == 1, "one TLS handshake for three chats: \(stats)")
        }
    }

    /// Certificates relayd must refuse, and never retry: the same certificate comes back.
    @Test(arguments: ["self-signed", "wrong name", "system store only"])
    func anUntrustedServerIsRejectedBeforeAnyRequest(case name: String) throws {
        let options: PeerRelay.Options
        switch name {
        case "self-signed": options = try self.options(certificate: (certificates.selfSignedCertificateFile, certificates.selfSignedKeyFile))
        case "wrong name": options = try self.options(certificate: (certificates.wrongNameCertificateFile, certificates.wrongNameKeyFile))
        default: options = try self.options(trust: try TLSClientConfiguration())
        }
        try PeerRelay.run(options) { relay in
            let chat = try relay.chat("openai", model: "ok")
            #expect(chat.outcome == "error")
            #expect(chat.code == "upstream_unavailable")
            #expect(chat.last["retryable"] as? Bool == false, "\(chat.last)")
            #expect((chat.last["message"] as? String ?? "").lowercased().contains("certificate"), "\(chat.last)")
            let stats = try relay.upstream.json("/_stats", https: "insecure")
            #expect(stats["requests"] as? Int == 0, "no request was sent over the untrusted connection")
        }
    }

    /// A request body of almost 1 MiB (a long conversation, at the message limit) goes out in
    /// slices as the socket takes them, through TLS, and arrives whole.
    @Test func aLargeRequestBodyArrivesWhole() throws {
        try PeerRelay.run(try options()) { relay in
            let long = String(repeating: "0123456789abcdef", count: 60_000)
            let chat = try relay.chat("anthropic", model: "ok", content: long)
            #expect(chat.content == PeerRelay.answer)
            let body = try #require(try relay.stats()["last_body"] as? [String: Any])
            let messages = try #require(body["messages"] as? [[String: Any]])
            #expect((messages.first?["content"] as? String)?.utf8.count == long.utf8.count)
        }
    }

    @Test func httpsGoesThroughAConnectTunnelWithCredentials() throws {
        let proxy = try PeerProcess("connect_proxy.py", ["--auth", "relay:s3cr%t"])
        defer { proxy.stop() }
        let configuration = try ProxyConfiguration(environment: ["HTTPS_PROXY": "http://relay:s3cr%25t@127.0.0.1:\(proxy.port)"])
        try PeerRelay.run(try options(proxy: configuration)) { relay in
            let first = try relay.chat("openai", model: "ok", id: "a")
            // `done` may leave a moment before the body's last bytes: let the tunnel come back
            // to the pool (see chatsReuseOneKeepAliveConnection).
            Thread.sleep(forTimeInterval: 0.3)
            let second = try relay.chat("gemini", model: "reasoning", id: "b")
            #expect(first.content == PeerRelay.answer)
            #expect(second.reasoning == PeerRelay.thinking)
            let stats = try proxy.json("/_stats")
            #expect(stats["tunnels"] as? Int == 1, "one tunnel, kept alive for both chats: \(stats)")
            #expect(stats["targets"] as? [String] == ["localhost:\(relay.upstream.port)"])
            #expect(!first.raw.contains("s3cr"))
        }
    }

    @Test func aProxyThatRefusesTheCredentialsIsReported() throws {
        let proxy = try PeerProcess("connect_proxy.py", ["--auth", "relay:right"])
        defer { proxy.stop() }
        let configuration = try ProxyConfiguration(environment: ["HTTPS_PROXY": "http://relay:wrong@127.0.0.1:\(proxy.port)"])
        try PeerRelay.run(try options(proxy: configuration)) { relay in
            let chat = try relay.chat("openai", model: "ok")
            #expect(chat.code == "upstream_unavailable")
            #expect(chat.last["retryable"] as? Bool == false)
            #expect((chat.last["message"] as? String ?? "").contains("407"))
            #expect(try relay.statsCount("requests") == 0, "nothing reached the provider")
            #expect(try proxy.json("/_stats")["rejected"] as? Int == 1, "not retried")
        }
    }

    @Test func plainHTTPGoesThroughTheProxyInAbsoluteForm() throws {
        let proxy = try PeerProcess("connect_proxy.py")
        defer { proxy.stop() }
        var options = PeerRelay.Options()
        options.proxy = try ProxyConfiguration(environment: ["HTTP_PROXY": "http://127.0.0.1:\(proxy.port)"])
        try PeerRelay.run(options) { relay in
            let chat = try relay.chat("anthropic", model: "ok")
            #expect(chat.content == PeerRelay.answer)
            let stats = try proxy.json("/_stats")
            #expect(stats["forwarded"] as? Int == 1, "\(stats)")
            #expect(stats["tunnels"] as? Int == 0)
            #expect(try relay.stats()["last_path"] as? String == "/v1/messages", "the origin saw origin form")
        }
    }

    @Test func noProxyHostsAreReachedDirectly() throws {
        let proxy = try PeerProcess("connect_proxy.py")
        defer { proxy.stop() }
        let configuration = try ProxyConfiguration(environment: ["HTTPS_PROXY": "http://127.0.0.1:\(proxy.port)", "NO_PROXY": "example.com,localhost"])
        try PeerRelay.run(try options(proxy: configuration)) { relay in
            #expect(try relay.chat("openai", model: "ok").content == PeerRelay.answer)
            let stats = try proxy.json("/_stats")
            #expect(stats["tunnels"] as? Int == 0)
            #expect(stats["forwarded"] as? Int == 0)
        }
    }

    @Test func anUnreachableProxyIsUnavailable() throws {
        let closed = try freePort()
        var options = try options(proxy: try ProxyConfiguration(environment: ["HTTPS_PROXY": "http://127.0.0.1:\(closed)"]))
        options.retries = 0
        try PeerRelay.run(options) { relay in
            let chat = try relay.chat("openai", model: "ok")
            #expect(chat.code == "upstream_unavailable")
            #expect((chat.last["message"] as? String ?? "").contains("proxy"))
        }
    }
}
