/// WebSocket limits and timers (`--ws-*` flags).
public struct WebSocketConfiguration: Sendable {
    /// Largest message after inflation; larger closes with 1009.
    public var maxMessageBytes: Int = 1 << 20
    /// Most frames in one message; more closes with 1009.
    public var maxFragments: Int = 1024
    /// Unsent output beyond this means the client cannot keep up: it is closed with 4000
    /// (reconnect and resume).
    public var maxOutboundBytes: Int = 1 << 20
    /// Seconds between the server's pings.
    public var pingInterval: Double = 25
    /// Added to two ping intervals for the dead-peer rule.
    public var deadPeerGrace: Double = 10
    /// Seconds the client has to answer a close frame.
    public var closeTimeout: Double = 5
    /// Whether permessage-deflate is offered back to clients that ask for it.
    public var deflate: Bool = true

    public init() {}

    /// The echo endpoint's limits: large enough for the Autobahn testsuite's 9.* cases
    /// (16 MiB messages; 4 MiB in 64-byte fragments is 65,536 frames, plus the final one).
    public static var conformance: WebSocketConfiguration {
        var configuration = WebSocketConfiguration()
        configuration.maxMessageBytes = 16 << 20
        configuration.maxFragments = 1 << 17
        configuration.maxOutboundBytes = 64 << 20
        return configuration
    }
}
