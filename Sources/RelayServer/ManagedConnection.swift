/// What a loop's sweep and the server's drain need from any connection it holds, HTTP or
/// WebSocket. Called on the connection's loop.
protocol ManagedConnection: AnyObject {
    /// Applies the connection's timeout policy at `now`.
    func checkTimeout(at now: ContinuousClock.Instant)
    /// Shutdown began: finish what is in flight, then close.
    func beginDrain()
    /// The drain period is over.
    func forceClose()
}
