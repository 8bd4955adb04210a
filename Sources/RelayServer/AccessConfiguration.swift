import Access

/// Who may use relayd and how much: client authentication, the admin token, and the abuse
/// limits. Authentication is off by default (local use), and so are the limits but for
/// streams per client; each limit that trips answers with a clear error and counts in
/// `relayd_rejected_total{reason}`.
public struct AccessConfiguration: Sendable {
    /// Static bearer tokens and/or an HS256 JWT secret. Off when neither is set.
    public var authenticator = ClientAuthenticator()
    /// Guards `/api/status` and `/metrics`. Without one, `/api/status` is off and `/metrics`
    /// answers only requests from this machine (or anyone when `metricsPublic`).
    public var adminToken: String?
    /// `/metrics` without the admin token (a private network, a platform's scraper).
    public var metricsPublic = false
    /// Client IP from `X-Forwarded-For` / `X-Real-IP` (only behind a proxy that sets them).
    public var trustProxy = false
    /// Proxies in front of relayd that append to `X-Forwarded-For` (with `trustProxy`): the
    /// client is the entry this many from the right (1 behind Railway's edge).
    public var trustedProxyHops = 1
    /// Open connections per client IP.
    public var maxConnectionsPerIP: Int?
    /// New connections per client IP per second (a burst of twice as many is allowed).
    public var newConnectionsPerIPPerSecond: Double?
    /// Chats streaming at once per principal (a token, or an IP when authentication is off).
    /// On by default: one client must not hold every stream the server allows.
    public var maxStreamsPerPrincipal: Int? = 100
    /// Chats started per principal per minute (token bucket, a burst of that many).
    public var chatsPerPrincipalPerMinute: Double?
    /// Models each provider may be asked for; a provider not listed allows all of its own.
    public var allowedModels: [String: Set<String>] = [:]

    public init() {}
}
