/// A complete message or control frame from the peer.
public enum WebSocketMessage: Sendable, Equatable {
    /// Validated UTF-8.
    case text([UInt8])
    case binary([UInt8])
    case ping([UInt8])
    case pong([UInt8])
    /// `code` is nil when the close frame had no payload (RFC 6455 §7.1.5: 1005 locally).
    case close(code: CloseCode?, reason: String)
}
