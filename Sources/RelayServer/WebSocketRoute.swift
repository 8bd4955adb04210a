import HTTP1

/// A path served as WebSocket: its limits and how to make a handler for each session.
struct WebSocketRoute: Sendable {
    var configuration: WebSocketConfiguration
    /// Whether the handler authenticates a session by its first message (relayd's `/ws`:
    /// browsers cannot set headers on a WebSocket). Other routes (the echo endpoint) need a
    /// token on the upgrade itself when clients authenticate.
    var authenticatesByMessage = false
    var makeHandler: @Sendable (HTTPRequest, ServerContext) -> WebSocketHandler
}
