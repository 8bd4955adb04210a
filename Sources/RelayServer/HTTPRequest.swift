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
    /// The client's address: the socket's, or the trusted proxy's header's.
    public var clientIP: String?

    public var method: HTTPMethod { head.method }
    public var path: Substring { head.path }
    public var headers: HeaderFields { head.headers }
}
