/// How long streams are kept and how much memory they may hold.
public struct StreamConfiguration: Sendable {
    /// Seconds a live stream runs with no client attached before its provider is stopped.
    public var detachTimeout: Double = 120
    /// Seconds a finished stream can still be resumed (a page reload just after the answer).
    public var ttl: Double = 300
    /// Bytes of events one stream keeps; past it the oldest go (and resuming before them
    /// answers `stream_expired`).
    public var maxStreamBytes = 2 << 20
    /// Bytes of events all streams keep; past it the oldest finished streams are dropped,
    /// then the oldest live ones give up their oldest events.
    public var maxTotalBytes = 256 << 20
    /// Chats streaming at once, all clients together; more are refused (503 `server_busy`).
    public var maxLiveStreams = 10_000
    /// Chats streaming at once on one WebSocket; more get `too_many_streams`.
    public var maxStreamsPerConnection = 64
    /// Bytes of chat requests (their messages) held by the chats streaming now: each is kept
    /// until its answer ends, for retries and fallbacks. More are refused (503 `server_busy`).
    public var maxRequestBytesInFlight = 256 << 20

    public init() {}
}
