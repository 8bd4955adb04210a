import HTTP1
import RelayIO

/// How a route answers one request: either one complete response, or a streamed one
/// (`startStream`, `write`…, `finish`). Callable from any thread: every call hops to the
/// connection's event loop, and runs inline when already there, so synchronous routes cost
/// no queue hop. Calls after the exchange ended are ignored.
public final class HTTPResponder: @unchecked Sendable {
    public let request: HTTPRequest
    let loop: EventLoop
    /// Set on the loop; cleared when the exchange ends.
    weak var connection: HTTPConnection?
    private var endHandlers: [@Sendable () -> Void] = []
    private var drainHandler: (@Sendable () -> Void)?
    private var drainDeadlineHandler: (@Sendable () -> Void)?
    /// Touched on the loop only.
    var status: HTTPStatus?
    var ended = false

    init(request: HTTPRequest, loop: EventLoop, connection: HTTPConnection) {
        self.request = request
        self.loop = loop
        self.connection = connection
    }

    /// Sends a complete response (with `Content-Length`).
    public func respond(_ response: HTTPResponse) {
        // Synchronous routes answer on the loop: no closure, no hop.
        if loop.inEventLoop { return respondOnLoop(response) }
        loop.enqueue { [self] in respondOnLoop(response) }
    }

    private func respondOnLoop(_ response: HTTPResponse) {
        guard !ended, status == nil, let connection else { return }
        connection.sendResponse(response, for: self)
    }

    /// Starts a streamed response: chunked for HTTP/1.1, close-delimited for HTTP/1.0.
    public func startStream(status: HTTPStatus = .ok, headers: HeaderFields = HeaderFields()) {
        loop.execute { [self] in
            guard !ended, self.status == nil, let connection else { return }
            connection.startStream(status: status, headers: headers, for: self)
        }
    }

    /// Sends one piece of a streamed response at once (one chunk, flushed).
    public func write(_ bytes: [UInt8]) {
        loop.execute { [self] in
            guard !ended, status != nil, let connection else { return }
            connection.writeStream(bytes, for: self)
        }
    }

    public func write(_ text: String) { write(Array(text.utf8)) }

    /// Ends a streamed response.
    public func finish() {
        loop.execute { [self] in
            guard !ended, status != nil, let connection else { return }
            connection.finishStream(for: self)
        }
    }

    /// Called once when the exchange ends, however it ends: the response finished, or the
    /// connection closed first (the client left, or could not keep up). On the connection's
    /// loop. Producers let go of the response there; a handler that ran only on an early
    /// close left a subscriber attached after a response that ended by itself (`HEAD` of a
    /// stream ends at its head).
    public func onEnd(_ handler: @escaping @Sendable () -> Void) {
        loop.execute { [self] in
            if ended { handler() } else { endHandlers.append(handler) }
        }
    }

    /// Called on the loop each time the connection's outbound buffer drains after having
    /// been full: a producer that paused can go on.
    public func onDrain(_ handler: @escaping @Sendable () -> Void) {
        loop.execute { [self] in drainHandler = handler }
    }

    func connectionDrained() { drainHandler?() }

    /// Called on the loop when a shutdown's drain period ends with this response still going:
    /// the route ends it in its own terms (SSE: a `resume` event) before the connection closes.
    public func onDrainDeadline(_ handler: @escaping @Sendable () -> Void) {
        loop.execute { [self] in drainDeadlineHandler = handler }
    }

    func drainDeadlineReached() {
        let handler = drainDeadlineHandler
        drainDeadlineHandler = nil
        handler?()
    }

    /// The exchange is over (finished, or the connection closed): the end handlers run.
    func end() {
        guard !ended else { return }
        ended = true
        connection = nil
        drainHandler = nil
        drainDeadlineHandler = nil
        let handlers = endHandlers
        endHandlers = []
        handlers.forEach { $0() }
    }
}
