import RelayIO

/// Where streams are kept and found: by `stream_id`, and by a client's `client_id` and chat
/// `id` (idempotent submit). The transports only use this interface, so a shared store (to
/// resume on another relayd instance) can replace the in-memory one without touching them.
protocol StreamStore: AnyObject, Sendable {
    var configuration: StreamConfiguration { get }
    /// Streams kept, and the bytes of their events.
    var count: Int { get }
    var bytes: Int { get }
    func makeStream(chatID: String, clientID: String?, loop: EventLoop) -> LiveStream
    func stream(_ id: String) -> LiveStream?
    /// Every stream kept, for `/api/status`.
    func allStreams() -> [LiveStream]
    func stream(clientID: String, chatID: String) -> LiveStream?
    /// A stream's buffer grew or shrank by `delta` bytes.
    func account(bytes delta: Int)
    /// A stream's last event is in (called on its loop).
    func streamFinished(_ stream: LiveStream)
}
