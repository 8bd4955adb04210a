/// What a loop's sweep and the server's drain need from any connection it holds, HTTP or
/// WebSocket. Called on the connection's loop.
protocol ManagedConnection: AnyObject {
    /// Applies the connection's timeout policy at `now`.
    func checkTimeout(at now: ContinuousClock.Instant)
    /// Shutdown began: finish what is in flight, then close.
    func beginDrain()
    /// The drain period is over: say goodbye in the protocol's terms (a WebSocket close, an
    /// SSE `resume` event) before `forceClose` follows a moment later.
    func drainDeadline()
    /// The drain period is over.
    func forceClose()
    /// One JSON object for `/api/status`: what the connection is and carries (no secrets).
    func statusJSON(now: ContinuousClock.Instant) -> String
}


/// Close codes and the wait the client is told before coming back: spread over seconds, so
/// 10,000 clients told at once do not reconnect in the same instant.
enum DrainHint {
    static func closeReason() -> String {
        "server restarting; retry_after_ms=\(Int.random(in: 500...5000))"
    }
}
