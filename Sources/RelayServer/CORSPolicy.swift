import HTTP1

/// Which browser origins may call relayd (`--cors-origins`), and the headers that say so
/// (Fetch standard, CORS protocol). The same allowlist guards WebSocket upgrades, which CORS
/// does not cover.
///
/// Entries: `*` (any origin), an exact origin (`https://chat.example.com`), or a pattern with
/// `*` standing for one or more characters of a host name or port
/// (`https://*.vercel.app`, `http://localhost:*`). Matching ignores ASCII case.
public struct CORSPolicy: Sendable, Equatable {
    enum Rule: Sendable, Equatable {
        case any
        case exact(String)
        /// The literal parts between the `*`s.
        case pattern([String])
    }

    let rules: [Rule]

    public static let allowAll = CORSPolicy(rules: [.any])
    public static let denyAll = CORSPolicy(rules: [])
    /// The default: pages served from this machine during development (any port of
    /// `localhost`, `127.0.0.1` and `[::1]` over http). Any other site's pages are refused
    /// until the operator names them, because a page a user merely visits could otherwise
    /// open a WebSocket or post a chat and spend the operator's provider keys. Same-origin
    /// requests (the demo page relayd serves) are allowed whatever the list says.
    public static let localDevelopment = CORSPolicy(
        parsing: "http://localhost,http://localhost:*,http://127.0.0.1,http://127.0.0.1:*,http://[::1],http://[::1]:*")

    init(rules: [Rule]) { self.rules = rules }

    /// Parses a comma-separated list; empty entries are ignored, and `none` (alone) allows no
    /// cross-origin caller at all (an environment variable cannot be set to an empty list).
    public init(parsing list: String) {
        rules = list.split(separator: ",").compactMap { entry in
            let origin = entry.trimmingOWS().lowercased()
            if origin.isEmpty || origin == "none" { return nil }
            if origin == "*" { return .any }
            if origin.contains("*") { return .pattern(origin.split(separator: "*", omittingEmptySubsequences: false).map(String.init)) }
            return .exact(origin.hasSuffix("/") ? String(origin.dropLast()) : origin)
        }
    }

    public var allowsAnyOrigin: Bool { rules.contains(.any) }
    public var isLocalDevelopment: Bool { self == .localDevelopment }
    public var isEmpty: Bool { rules.isEmpty }

    public func allows(origin: String) -> Bool {
        let origin = origin.lowercased()
        for rule in rules {
            switch rule {
            case .any: return true
            case .exact(let allowed): if allowed == origin { return true }
            case .pattern(let parts): if Self.matches(origin[...], parts[...]) { return true }
            }
        }
        return false
    }

    /// Whether a request from `origin` may act here: the list allows it, or it is the
    /// request's own origin (its host and port are the `Host` the request was sent to; the
    /// scheme is not compared, as TLS usually ends at a proxy in front of relayd).
    public func admits(origin: String, host: String?) -> Bool {
        allows(origin: origin) || Self.isSameOrigin(origin, host: host)
    }

    /// `https://chat.example.com` and `Host: chat.example.com` (or `:443`) are one origin.
    static func isSameOrigin(_ origin: String, host: String?) -> Bool {
        guard let host, !host.isEmpty else { return false }
        let origin = origin.lowercased()
        let scheme: String
        if origin.hasPrefix("https://") { scheme = "https" } else if origin.hasPrefix("http://") { scheme = "http" } else { return false }
        let authority = origin.dropFirst(scheme.count + 3)
        guard !authority.isEmpty, !authority.contains("/"), !authority.contains("@") else { return false }
        let defaultPort = scheme == "https" ? ":443" : ":80"
        func normalized(_ text: Substring) -> Substring {
            text.hasSuffix(defaultPort) ? text.dropLast(defaultPort.count) : text
        }
        return normalized(authority) == normalized(Substring(host.lowercased()))
    }

    /// `*` matches one or more of `[a-z0-9.-]`: never `/`, `:` or `@`, so a pattern cannot be
    /// stretched across a scheme, port or credentials.
    static func matches(_ text: Substring, _ parts: ArraySlice<String>) -> Bool {
        guard let first = parts.first else { return text.isEmpty }
        guard text.hasPrefix(first) else { return false }
        let rest = text.dropFirst(first.count)
        let remaining = parts.dropFirst()
        if remaining.isEmpty { return rest.isEmpty }
        var index = rest.startIndex
        while index < rest.endIndex, isWildcardCharacter(rest[index]) {
            index = rest.index(after: index)
            if matches(rest[index...], remaining) { return true }
        }
        return false
    }

    private static func isWildcardCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "." || character == "-")
    }

    /// Headers for an actual (non-preflight) response to a request from `origin`, given to
    /// `add` one by one. Leaves alone what the response already set (a preflight answer).
    public func forEachResponseHeader(origin: String?, existing: HeaderFields, _ add: (String, String) -> Void) {
        guard !rules.isEmpty, !existing.contains("Access-Control-Allow-Origin") else { return }
        if !existing.containsToken("Vary", "Origin") { add("Vary", "Origin") }
        if let origin, allows(origin: origin) {
            add("Access-Control-Allow-Origin", origin)
            // So a page can read which stream it got, and how long to wait before retrying.
            add("Access-Control-Expose-Headers", "X-Stream-Id, Retry-After")
        }
    }

    public func responseHeaders(origin: String?, into headers: inout HeaderFields) {
        forEachResponseHeader(origin: origin, existing: headers) { headers.add($0, $1) }
    }

    /// The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`), given
    /// before any authentication: browsers send preflights without credentials.
    public func preflightResponse(origin: String, methods: String) -> HTTPResponse {
        guard allows(origin: origin) else {
            var response = HTTPResponse.error(.forbidden, code: "origin_not_allowed", message: "origin is not in --cors-origins")
            response.headers.add("Vary", "Origin")
            return response
        }
        return HTTPResponse(status: .noContent, headers: [
            "Access-Control-Allow-Origin": origin,
            "Vary": "Origin",
            "Access-Control-Allow-Methods": methods,
            "Access-Control-Allow-Headers": "Content-Type, Authorization, Last-Event-ID",
            "Access-Control-Max-Age": "7200",
        ])
    }
}

