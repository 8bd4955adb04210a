import HTTP1

/// A path served as WebSocket: its limits and how to make a handler for each session.
struct WebSocketRoute: Sendable {
    var configuration: WebSocketConfiguration
    var makeHandler: @Sendable (HTTPRequest, ServerContext) -> WebSocketHandler
}
