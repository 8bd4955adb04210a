import Foundation

/// A forward proxy between relayd and the providers, from the variables every HTTP tool
/// reads: `HTTPS_PROXY` for https providers (reached through a `CONNECT` tunnel, so TLS and
/// its verification stay end to end), `HTTP_PROXY` for plain http ones (requests in absolute
/// form), `ALL_PROXY` for both, and `NO_PROXY` for hosts reached directly. Lower-case names
/// are read too; for each, the lower-case one wins, as in curl.
public struct ProxyConfiguration: Sendable, Equatable {
    public var httpsProxy: ProxyEndpoint?
    public var httpProxy: ProxyEndpoint?
    public var noProxy: [NoProxyRule] = []

    public init(httpsProxy: ProxyEndpoint? = nil, httpProxy: ProxyEndpoint? = nil, noProxy: [NoProxyRule] = []) {
        self.httpsProxy = httpsProxy
        self.httpProxy = httpProxy
        self.noProxy = noProxy
    }

    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads the variables. A proxy URL that cannot be used is an error: silently going
    /// around a proxy the operator set would send traffic where it is not allowed to go.
    public init(environment: [String: String]) throws(Problem) {
        func variable(_ name: String) -> (name: String, value: String)? {
            for candidate in [name.lowercased(), name] {
                if let value = environment[candidate], !value.trimmingCharacters(in: .whitespaces).isEmpty {
                    return (candidate, value)
                }
            }
            return nil
        }
        func endpoint(_ name: String) throws(Problem) -> ProxyEndpoint? {
            guard let (source, text) = variable(name) else { return nil }
            guard let endpoint = ProxyEndpoint(text) else {
                throw Problem(description: "\(source) must be an http:// proxy URL such as http://user:pass@proxy:3128, got '\(ProxyEndpoint.redacted(text))'")
            }
            return endpoint
        }
        let all = try endpoint("ALL_PROXY")
        httpsProxy = try endpoint("HTTPS_PROXY") ?? all
        httpProxy = try endpoint("HTTP_PROXY") ?? all
        noProxy = variable("NO_PROXY").map { NoProxyRule.parseList($0.value) } ?? []
    }

    /// The proxy to use for a provider's origin, or nil to connect directly.
    public func proxy(for url: UpstreamURL) -> ProxyEndpoint? {
        guard let proxy = url.secure ? httpsProxy : httpProxy else { return nil }
        let host = url.host.lowercased()
        return noProxy.contains { $0.matches(host: host, port: url.port) } ? nil : proxy
    }

    public var isEmpty: Bool { httpsProxy == nil && httpProxy == nil }
}

/// An http:// proxy: where it is and, optionally, the credentials for `Proxy-Authorization`.
public struct ProxyEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// `Basic base64(user:password)`, when the URL had credentials. Never logged.
    var authorization: String?

    /// `http://proxy:3128`, `http://user:p%40ss@10.0.0.1:8080`, `proxy:3128` (scheme assumed
    /// http, as curl does). https:// proxies (TLS to the proxy itself) are not supported.
    public init?(_ text: String) {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        if let scheme = rest.range(of: "://") {
            guard rest[..<scheme.lowerBound].lowercased() == "http" else { return nil }
            rest = rest[scheme.upperBound...]
        }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            let parts = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let user = parts.first.flatMap({ String($0).removingPercentEncoding }) else { return nil }
            let password = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? "") : ""
            authorization = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        }
        guard let url = UpstreamURL("http://\(rest)") else { return nil }
        // Without a port, 1080 is curl's default for proxies.
        host = url.host
        port = rest.hasSuffix("]") || !rest.contains(":") ? 1080 : url.port
    }

    /// Where the proxy is, without credentials (for logs).
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// A proxy URL with its password replaced, for error messages.
    static func redacted(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@") else { return text }
        let start = text.range(of: "://")?.upperBound ?? text.startIndex
        return String(text[..<start]) + "***" + String(text[at...])
    }
}

/// One entry of `NO_PROXY`: `*` (everything), a domain (`example.com` or `.example.com`,
/// matching it and its subdomains), an IP address, an IPv4 CIDR block (`10.0.0.0/8`), each
/// optionally with `:port`.
public struct NoProxyRule: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case everything
        case domain(String)
        case ipv4Block(address: UInt32, prefix: Int)
    }

    let kind: Kind
    let port: Int?

    static func parseList(_ text: String) -> [NoProxyRule] {
        text.split(whereSeparator: { $0 == "," || $0 == " " }).compactMap { NoProxyRule(String($0)) }
    }

    init?(_ entry: String) {
        var text = entry.trimmingCharacters(in: .whitespaces).lowercased()
        guard !text.isEmpty else { return nil }
        if text == "*" {
            kind = .everything
            port = nil
            return
        }
        var port: Int?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let after = text[text.index(after: close)...]
            if after.hasPrefix(":") { port = Int(after.dropFirst()) }
            text = String(text[text.index(after: text.startIndex)..<close])
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.lastIndex(of: ":") {
            port = Int(text[text.index(after: colon)...])
            text = String(text[..<colon])
        }
        self.port = port
        if let slash = text.firstIndex(of: "/") {
            guard let address = Self.ipv4(String(text[..<slash])), let prefix = Int(text[text.index(after: slash)...]),
                  (0...32).contains(prefix) else { return nil }
            kind = .ipv4Block(address: address, prefix: prefix)
            return
        }
        while text.hasPrefix("*.") || text.hasPrefix(".") { text.removeFirst(text.hasPrefix("*") ? 2 : 1) }
        guard !text.isEmpty else { return nil }
        kind = .domain(text)
    }

    func matches(host: String, port: Int) -> Bool {
        if let rulePort = self.port, rulePort != port { return false }
        switch kind {
        case .everything:
            return true
        case .domain(let domain):
            return host == domain || host.hasSuffix("." + domain)
        case .ipv4Block(let address, let prefix):
            guard let value = Self.ipv4(host) else { return false }
            let mask: UInt32 = prefix == 0 ? 0 : ~UInt32(0) << (32 - prefix)
            return value & mask == address & mask
        }
    }

    static func ipv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard let byte = UInt8(part) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }
}
