/// A provider's base URL, parsed once: `https://api.deepseek.com/v1`.
public struct UpstreamURL: Sendable, Equatable, CustomStringConvertible {
    public var secure: Bool
    public var host: String
    public var port: Int
    /// The path prefix, without a trailing slash ("" or "/v1").
    public var basePath: String

    public init?(_ text: String) {
        var rest = Substring(text)
        if rest.hasPrefix("https://") {
            secure = true
            rest = rest.dropFirst(8)
        } else if rest.hasPrefix("http://") {
            secure = false
            rest = rest.dropFirst(7)
        } else {
            return nil
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = String(rest[authorityEnd...])
        while path.hasSuffix("/") { path.removeLast() }
        basePath = path
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            port = after.hasPrefix(":") ? (Int(after.dropFirst()) ?? -1) : (secure ? 443 : 80)
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            port = Int(authority[authority.index(after: colon)...]) ?? -1
        } else {
            host = String(authority)
            port = secure ? 443 : 80
        }
        guard !host.isEmpty, (1...65535).contains(port), !host.contains("@") else { return nil }
    }

    /// The `Host` header value.
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (secure ? 443 : 80) ? name : "\(name):\(port)"
    }

    /// `host:port` with the port always present: the authority of a `CONNECT` (RFC 9110 §9.3.6).
    var hostHeaderWithPort: String { "\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    /// Connections to the same origin can be reused.
    var poolKey: String { "\(secure ? "https" : "http")://\(host):\(port)" }

    public var description: String { "\(secure ? "https" : "http")://\(hostHeader)\(basePath)" }
}
