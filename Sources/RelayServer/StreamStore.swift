import Access
import RelayIO

/// Where streams are kept and found: by `stream_id`, and by a client's `client_id` and chat
/// `id` (idempotent submit). The transports only use this interface, so a shared store (to
/// resume on another relayd instance) can replace the in-memory one without touching them.
protocol StreamStore: AnyObject, Sendable {
    var configuration: StreamConfiguration { get }
    /// Streams kept, and the bytes of their events.
    var count: Int { get }
    var bytes: Int { get }
    /// Live streams (not yet finished).
    var liveCount: Int { get }
    /// A new live stream, its owner set before anyone can find it; nil when
    /// `configuration.maxLiveStreams` are live already.
    func makeStream(chatID: String, clientID: String?, owner: Principal?, provider: String, model: String,
                    loop: EventLoop) -> LiveStream?
    func stream(_ id: String) -> LiveStream?
    /// Every stream kept, for `/api/status`.
    func allStreams() -> [LiveStream]
    /// The stream `owner` started with this `client_id` and chat `id` (idempotent submit).
    func stream(clientID: String, chatID: String, owner: Principal?) -> LiveStream?
    /// A stream's buffer grew or shrank by `delta` bytes.
    func account(bytes delta: Int)
    /// A stream's last event is in (called on its loop).
    func streamFinished(_ stream: LiveStream)
}
