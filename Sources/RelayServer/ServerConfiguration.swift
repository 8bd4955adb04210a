import HTTP1
import RelayIO

/// Everything the HTTP server needs to know, resolved from flags and environment by the
/// `relayd` executable (or set directly by tests).
public struct ServerConfiguration: Sendable {
    /// Address to listen on: this machine only, by default (a deployment says `::`, which
    /// is dual-stack with a fallback to `0.0.0.0`; the Docker image does).
    public var host: String = "127.0.0.1"
    /// Port to listen on; 0 picks a free one (tests).
    public var port: Int = 8000
    /// Open connections beyond this get 503 and are closed.
    public var maxConnections: Int = 10_000
    /// How long a shutdown waits for in-flight responses.
    public var drainSeconds: Double = 25
    /// A request whose head does not arrive within this gets 408.
    public var headerTimeout: Double = 10
    /// A request body that does not arrive whole within this gets 408: a total, so a body
    /// trickled a byte at a time cannot hold its buffer (and its place) for ever.
    public var bodyTimeout: Double = 60
    /// Request body bytes all connections together may hold while they arrive; past it a
    /// request gets 503 `server_busy`. 64 slow uploads of the largest body at once.
    public var maxBodyBytesInFlight: Int = 64 << 20
    /// Keep-alive connections with no request for this long are closed. Longer than the 60 s
    /// of common proxies and load balancers, so they close first and never reuse a socket
    /// relayd is closing.
    public var idleTimeout: Double = 75
    /// A client that takes no output for this long while some is waiting for it (here or in
    /// the kernel's send queue) has stopped reading; its connection is closed. Like nginx's
    /// `send_timeout`; separate from the idle timeout, which starts only once all is sent.
    public var sendTimeout: Double = 60
    public var limits = RequestParserLimits()
    /// Origins whose pages may call relayd (CORS, WebSocket upgrades, and any request that
    /// changes something); same-origin requests always may.
    public var cors: CORSPolicy = .localDevelopment
    /// `Host` names answered (nil: any). `/health` answers any (platform checkers).
    public var allowedHosts: HostAllowlist?
    /// A streamed response whose unsent output exceeds this is going to a client that cannot
    /// keep up; it is closed rather than allowed to grow memory. (Complete responses are
    /// already in memory; pipelining stops at `outboundHighWatermark`.)
    public var maxOutboundBytes: Int = 1024 * 1024
    /// Output above this pauses reading and answering pipelined requests until the socket drains.
    public var outboundHighWatermark: Int = 64 * 1024
    /// Unparsed pipelined input kept while a response is pending; reading stops beyond it.
    public var pipelineBufferLimit: Int = 64 * 1024
    /// Event loops (a thread each); defaults to the CPUs this process may use.
    public var loopCount: Int = CPUCount.usable
    /// Authentication, the admin token and abuse limits (all off by default).
    public var access = AccessConfiguration()

    public init() {}
}
