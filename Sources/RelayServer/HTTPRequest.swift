import Access
import HTTP1
import RelayIO

/// A complete request as routes see it.
public struct HTTPRequest: Sendable {
    public var head: RequestHead
    public var body: [UInt8]
    public var peer: SocketAddress
    public var connectionID: UInt64
    /// Who the request acts for (set for `/api/` routes and WebSocket upgrades).
    public var principal: Principal?
    /// When the request's token expires (a JWT's `exp`, Unix seconds): a WebSocket session
    /// opened with it is closed then, unless it authenticates again.
    public var principalExpiresAt: Double?
    /// The client's address: the socket's, or the trusted proxy's header's.
    public var clientIP: String?

    public var method: HTTPMethod { head.method }
    public var path: Substring { head.path }
    public var headers: HeaderFields { head.headers }
}
