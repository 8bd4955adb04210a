import Foundation
import Testing
@testable import Upstream

@Suite("proxy configuration from the environment")
struct ProxyConfigurationTests {
    let api = UpstreamURL("https://api.deepseek.com/v1")!
    let local = UpstreamURL("http://127.0.0.1:11434/v1")!

    @Test func httpsAndHttpProxiesAreChosenByScheme() throws {
        let proxy = try ProxyConfiguration(environment: ["HTTPS_PROXY": "http://proxy.corp:3128", "HTTP_PROXY": "http://plain:8080"])
        #expect(proxy.proxy(for: api)?.description == "proxy.corp:3128")
        #expect(proxy.proxy(for: local)?.description == "plain:8080")
    }

    @Test func lowerCaseWinsAndAllProxyFillsIn() throws {
        let proxy = try ProxyConfiguration(environment: ["HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:2", "ALL_PROXY": "http://all:3"])
        #expect(proxy.httpsProxy?.description == "lower:2")
        #expect(proxy.httpProxy?.description == "all:3")
        #expect(try ProxyConfiguration(environment: ["HTTPS_PROXY": ""]).isEmpty, "an empty variable is unset")
        #expect(try ProxyConfiguration(environment: [:]).proxy(for: api) == nil)
    }

    @Test func credentialsBecomeBasicAuthorizationAndAreNeverDescribed() throws {
        let endpoint = try #require(ProxyEndpoint("http://alice:p%40ss%3Aword@10.1.2.3:8080"))
        #expect(endpoint.host == "10.1.2.3")
        #expect(endpoint.port == 8080)
        #expect(endpoint.authorization == "Basic " + Data("alice:p@ss:word".utf8).base64EncodedString())
        #expect(!endpoint.description.contains("alice"))
        #expect(ProxyEndpoint("http://bob@proxy:3128")?.authorization == "Basic " + Data("bob:".utf8).base64EncodedString())
    }

    @Test func schemeAndPortDefaults() {
        #expect(ProxyEndpoint("proxy.corp:3128")?.port == 3128, "no scheme means http")
        #expect(ProxyEndpoint("http://proxy.corp")?.port == 1080, "curl's default proxy port")
        #expect(ProxyEndpoint("http://proxy.corp:3128/")?.host == "proxy.corp")
        #expect(ProxyEndpoint("http://[::1]:3128")?.host == "::1")
        #expect(ProxyEndpoint("http://[::1]")?.port == 1080)
        #expect(ProxyEndpoint("https://proxy:443") == nil, "TLS to the proxy itself is not supported")
        #expect(ProxyEndpoint("socks5://proxy:1080") == nil)
        #expect(ProxyEndpoint("http://proxy:99999") == nil)
    }

    @Test func anUnusableProxyIsAnErrorThatHidesThePassword() {
        do {
            _ = try ProxyConfiguration(environment: ["HTTPS_PROXY": "socks5://user:secret@proxy:1080"])
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("HTTPS_PROXY"))
            #expect(!error.description.contains("secret"))
        }
    }

    @Test(arguments: [
        ("api.deepseek.com", true), ("deepseek.com", true), (".deepseek.com", true), ("*.deepseek.com", true),
        ("seek.com", false), ("api.deepseek.com:443", true), ("api.deepseek.com:8443", false), ("*", true),
        ("10.0.0.0/8", false), ("openai.com,deepseek.com", true), ("openai.com deepseek.com", true), ("DEEPSEEK.COM", true),
    ])
    func noProxyMatchesDomainsAndPorts(noProxy: String, direct: Bool) throws {
        let proxy = try ProxyConfiguration(environment: ["HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": noProxy])
        #expect((proxy.proxy(for: api) == nil) == direct)
    }

    @Test func noProxyMatchesAddressesAndBlocks() throws {
        let environment = ["HTTP_PROXY": "http://proxy:3128", "no_proxy": "127.0.0.0/8,[::1],192.168.1.10"]
        let proxy = try ProxyConfiguration(environment: environment)
        #expect(proxy.proxy(for: local) == nil)
        #expect(proxy.proxy(for: UpstreamURL("http://[::1]:8000")!) == nil)
        #expect(proxy.proxy(for: UpstreamURL("http://192.168.1.10")!) == nil)
        #expect(proxy.proxy(for: UpstreamURL("http://192.168.1.11")!) != nil)
        #expect(proxy.proxy(for: UpstreamURL("http://128.0.0.1")!) != nil)
    }
}
