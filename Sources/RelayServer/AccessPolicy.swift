import Access
import HTTP1
import JSON
#if canImport(Glibc)
import Glibc
#endif

/// The policy at work: shared by every loop (its limiters lock).
final class AccessPolicy: Sendable {
    let configuration: AccessConfiguration
    private let connectionsPerIP: LockedConcurrencyLimiter<String>?
    private let connectionRate: LockedKeyedRateLimiter<String>?
    private let streamsPerPrincipal: LockedConcurrencyLimiter<Principal>?
    private let chatRate: LockedKeyedRateLimiter<Principal>?
    /// The admin token, held and compared as a static token is (by digest, in constant time).
    private let admin: ClientAuthenticator?
    let metrics: RelayMetrics

    init(configuration: AccessConfiguration, metrics: RelayMetrics) {
        self.configuration = configuration
        self.metrics = metrics
        admin = configuration.adminToken.map { ClientAuthenticator(staticTokens: [$0]) }
        connectionsPerIP = configuration.maxConnectionsPerIP.map { LockedConcurrencyLimiter(maximumPerKey: $0) }
        connectionRate = configuration.newConnectionsPerIPPerSecond.map {
            LockedKeyedRateLimiter(capacity: max(1, $0 * 2), refillPerSecond: $0, maximumKeys: 100_000)
        }
        streamsPerPrincipal = configuration.maxStreamsPerPrincipal.map { LockedConcurrencyLimiter(maximumPerKey: $0) }
        chatRate = configuration.chatsPerPrincipalPerMinute.map {
            LockedKeyedRateLimiter(capacity: max(1, $0), refillPerSecond: $0 / 60, maximumKeys: 100_000)
        }
    }

    var authenticationEnabled: Bool { configuration.authenticator.isEnabled }

    static var now: Double {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// The request's client address. Every `X-Forwarded-For` line counts, joined in order
    /// (a client's own first line must not stand in for the proxy's); of `X-Real-IP`, which a
    /// proxy sets rather than appends to, the last line.
    func clientIP(_ request: HTTPRequest) -> String {
        guard configuration.trustProxy else {
            return ClientAddress.resolve(peer: request.peer.host, forwardedFor: nil, realIP: nil, trustProxy: false)
        }
        let forwarded = request.headers.values("X-Forwarded-For")
        return ClientAddress.resolve(peer: request.peer.host, forwardedFor: forwarded.isEmpty ? nil : forwarded.joined(separator: ","),
                                     realIP: request.headers.values("X-Real-IP").last, trustProxy: true,
                                     trustedHops: configuration.trustedProxyHops)
    }

    private func reject(_ rejection: AccessRejection) -> AccessRejection {
        metrics.rejected(rejection.reason)
        return rejection
    }

    // MARK: Connections

    /// A connection's first request, from `ip`: within the per-IP limits? On success the
    /// caller must call `connectionClosed(ip)` when it closes.
    func admitConnection(from ip: String) -> AccessRejection? {
        if let retryAfter = connectionRate?.take(ip, now: Self.now).retryAfterSeconds {
            return reject(AccessRejection(status: .tooManyRequests, code: "rate_limited",
                                          message: "too many new connections from this address", retryAfter: retryAfter,
                                          reason: "connection_rate"))
        }
        if let connectionsPerIP, !connectionsPerIP.acquire(ip) {
            return reject(AccessRejection(status: .tooManyRequests, code: "too_many_connections",
                                          message: "too many open connections from this address", retryAfter: 5,
                                          reason: "connections_per_ip"))
        }
        return nil
    }

    func connectionClosed(from ip: String) { connectionsPerIP?.release(ip) }

    // MARK: Authentication

    /// Who a request acts for: its bearer token (`Authorization`, or `token` in the query for
    /// WebSocket upgrades, since browsers cannot set headers on them), or its IP when
    /// authentication is off.
    func principal(for request: HTTPRequest, ip: String, queryToken: String? = nil)
        -> Result<ClientAuthenticator.Authentication, AccessRejection> {
        guard authenticationEnabled else { return .success(.init(principal: .anonymous(id: "ip:\(ip)"))) }
        let token = ClientAuthenticator.bearerToken(fromAuthorization: request.headers["Authorization"]) ?? queryToken
        return authenticate(token: token)
    }

    /// Who `token` proves, and until when (a WebSocket session ends with its token).
    func authenticate(token: String?) -> Result<ClientAuthenticator.Authentication, AccessRejection> {
        switch configuration.authenticator.verify(token: token, now: Self.now) {
        case .success(let authentication): return .success(authentication)
        case .failure(let failure): return .failure(reject(.unauthorized(failure)))
        }
    }

    /// When a token that `exp` expires stops being accepted (Unix seconds): `exp` plus the
    /// clock-skew leeway, the same rule `authenticate` applies.
    func acceptedUntil(expiresAt: Double) -> Double { expiresAt + configuration.authenticator.leeway }

    /// `/metrics` and `/api/status`.
    func authorizeAdmin(_ request: HTTPRequest, path: Substring) -> AccessRejection? {
        if path == "/metrics", configuration.metricsPublic || (admin == nil && Self.isLocal(request)) { return nil }
        guard let admin else {
            return reject(AccessRejection(status: .notFound, code: "not_found",
                                          message: "set --admin-token to use this endpoint", reason: "admin_disabled"))
        }
        let presented = ClientAuthenticator.bearerToken(fromAuthorization: request.headers["Authorization"])
        guard case .success = admin.authenticate(token: presented, now: Self.now) else {
            return reject(AccessRejection(status: .unauthorized, code: "unauthorized", message: "the admin token is required",
                                          challenge: "Bearer realm=\"relayd-admin\"", reason: "admin_unauthorized"))
        }
        return nil
    }

    /// A request from this machine itself, not relayed by a proxy in front of relayd (a
    /// proxy on the same machine connects from loopback too, but says whom it forwards).
    static func isLocal(_ request: HTTPRequest) -> Bool {
        let peer = request.peer.host
        let loopback = peer == "::1" || peer.hasPrefix("127.") || peer.hasPrefix("::ffff:127.")
        return loopback && request.headers["X-Forwarded-For"] == nil && request.headers["Forwarded"] == nil
            && request.headers["X-Real-IP"] == nil
    }

    // MARK: Chats

    /// A chat about to start for `principal`: within its rate and concurrency? On success the
    /// caller must call `streamFinished(principal)` when the stream ends.
    func admitChat(for principal: Principal, provider: String, model: String) -> AccessRejection? {
        if let allowed = configuration.allowedModels[provider], !allowed.contains(model) {
            return reject(AccessRejection(status: .forbidden, code: "model_not_allowed",
                                          message: "\(provider) model \(model.prefix(100)) is not allowed here", reason: "model_not_allowed"))
        }
        // Concurrency first: a chat refused for it must not spend one of the rate's tokens.
        if let streamsPerPrincipal, !streamsPerPrincipal.acquire(principal) {
            return reject(AccessRejection(status: .tooManyRequests, code: "too_many_streams",
                                          message: "too many chats streaming at once; wait for one to end", retryAfter: 1,
                                          reason: "streams_per_principal"))
        }
        if let retryAfter = chatRate?.take(principal, now: Self.now).retryAfterSeconds {
            streamsPerPrincipal?.release(principal)
            return reject(AccessRejection(status: .tooManyRequests, code: "rate_limited",
                                          message: "too many chats; try again in a moment", retryAfter: retryAfter,
                                          reason: "chat_rate"))
        }
        return nil
    }

    /// Shutdown has begun: no new chats (resumes and cancels go on).
    func draining() -> AccessRejection {
        reject(AccessRejection(status: .serviceUnavailable, code: "draining", message: "server restarting: send the chat again in a moment",
                               retryAfter: 2, reason: "draining"))
    }

    func streamFinished(for principal: Principal) { streamsPerPrincipal?.release(principal) }

    /// A server-wide bound is reached (live streams, request bytes held): nobody is at fault,
    /// and the client may try again shortly.
    func serverBusy(_ what: String, reason: String) -> AccessRejection {
        reject(AccessRejection(status: .serviceUnavailable, code: "server_busy", message: "\(what); try again shortly",
                               retryAfter: 5, reason: reason))
    }

    /// One WebSocket runs `--max-streams-per-connection` chats already.
    func tooManyStreamsOnConnection(_ maximum: Int) -> AccessRejection {
        reject(AccessRejection(status: .tooManyRequests, code: "too_many_streams",
                               message: "this connection already runs \(maximum) chats; wait for one to end", retryAfter: 1,
                               reason: "streams_per_connection"))
    }

    /// A stream is resumed or cancelled only by whoever started it (when clients authenticate;
    /// otherwise its unguessable id is the capability).
    func mayUse(_ stream: LiveStream, as principal: Principal?) -> Bool {
        guard authenticationEnabled else { return true }
        return stream.owner == nil || stream.owner == principal
    }
}
