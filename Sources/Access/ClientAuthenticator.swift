/// Decides who a request acts for from its bearer token (RFC 6750): one of a set of static
/// tokens, or a JWT signed with a shared HS256 secret. Pure: the current time is a parameter,
/// so expiry is tested with any clock.
///
/// Tokens are never stored: static ones are kept as SHA-256 digests and compared in constant
/// time, so neither a memory dump of the configuration nor response timing gives them away.
public struct ClientAuthenticator: Sendable {
    /// Longer tokens are rejected before any work: an Authorization header is not a place
    /// for a megabyte of base64 to be decoded and parsed.
    public static let maximumTokenLength = 8192

    private struct StaticToken: Sendable {
        let digest: [UInt8]
        let principal: Principal
    }

    private let staticTokens: [StaticToken]
    private let jsonWebTokens: JSONWebTokenVerifier?

    /// Seconds of clock skew allowed on `exp` and `nbf`.
    public let leeway: Double

    /// - Parameters:
    ///   - staticTokens: accepted bearer tokens; empty strings are ignored.
    ///   - jwtSecret: the HS256 key; nil or empty means JWTs are not accepted.
    ///   - leeway: seconds of clock skew allowed on `exp` and `nbf`.
    ///   - requiresExpiration: whether a JWT without `exp` is refused (relayd's
    ///     `--jwt-require-exp`, on by default there).
    ///   - audience: when set, a JWT's `aud` must name it.
    ///   - issuer: when set, a JWT's `iss` must equal it.
    public init(staticTokens: Set<String> = [], jwtSecret: [UInt8]? = nil, leeway: Double = 30, requiresExpiration: Bool = false,
                audience: String? = nil, issuer: String? = nil) {
        self.leeway = leeway
        self.staticTokens = staticTokens.filter { !$0.isEmpty }.sorted().map {
            StaticToken(digest: Digest.sha256($0.utf8), principal: .staticToken($0))
        }
        if let jwtSecret, !jwtSecret.isEmpty {
            jsonWebTokens = JSONWebTokenVerifier(secret: jwtSecret, leeway: leeway, requiresExpiration: requiresExpiration,
                                                 audience: audience, issuer: issuer)
        } else {
            jsonWebTokens = nil
        }
    }

    /// A verified token: who it proves, and until when.
    public struct Authentication: Hashable, Sendable {
        public let principal: Principal
        /// The JWT's `exp` (Unix seconds); nil for static tokens and JWTs without one. The
        /// token is accepted until `expiresAt + leeway`.
        public let expiresAt: Double?

        public init(principal: Principal, expiresAt: Double? = nil) {
            self.principal = principal
            self.expiresAt = expiresAt
        }
    }

    /// Whether any credential is configured. When not, requests are anonymous and
    /// `authenticate(token:now:)` accepts nothing (it fails closed).
    public var isEnabled: Bool { !staticTokens.isEmpty || jsonWebTokens != nil }

    /// The principal `token` proves, or why it proves none. `now` is Unix time in seconds.
    public func authenticate(token: String?, now: Double) -> Result<Principal, AuthFailure> {
        verify(token: token, now: now).map(\.principal)
    }

    /// The principal `token` proves and when the token stops being accepted, or why it
    /// proves none: for sessions that must end with their token (a WebSocket).
    public func verify(token: String?, now: Double) -> Result<Authentication, AuthFailure> {
        guard let token, !token.isEmpty else { return .failure(.missing) }
        guard token.utf8.count <= Self.maximumTokenLength else {
            return .failure(.invalid("the token is too long"))
        }
        if let principal = matchStaticToken(token) { return .success(Authentication(principal: principal)) }
        if let jsonWebTokens, token.utf8.contains(UInt8(ascii: ".")) {
            return jsonWebTokens.verify(token, now: now).map {
                Authentication(principal: .jwt(subject: $0.subject, token: token), expiresAt: $0.expiresAt)
            }
        }
        return .failure(.invalid("the token is not valid"))
    }

    /// Like `authenticate(token:now:)`, but with authentication off every request is the
    /// anonymous principal `anonymousID` (e.g. "ip:1.2.3.4"), whatever token it carries.
    public func authenticate(token: String?, now: Double, anonymousID: String) -> Result<Principal, AuthFailure> {
        guard isEnabled else { return .success(.anonymous(id: anonymousID)) }
        return authenticate(token: token, now: now)
    }

    /// Compares the token's digest with every configured digest, without stopping at a match:
    /// the time taken depends only on how many tokens are configured.
    private func matchStaticToken(_ token: String) -> Principal? {
        guard !staticTokens.isEmpty else { return nil }
        let digest = Digest.sha256(token.utf8)
        var match: Principal?
        for candidate in staticTokens where ConstantTime.equals(candidate.digest, digest) {
            match = candidate.principal
        }
        return match
    }
}
