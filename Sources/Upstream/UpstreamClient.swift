import HTTP1
import RelayIO
import Synchronization
import TLS

/// relayd's HTTP/1.1 client to model providers, on relayd's own event loops: name
/// resolution off the loop, non-blocking connect, TLS through OpenSSL with verification
/// always on, and a keep-alive pool per loop and origin so a chat does not pay for a new
/// connection (and TLS handshake) each time.
public final class UpstreamClient: Sendable {
    public struct Timeouts: Sendable {
        /// Resolving and connecting.
        public var connect: Double = 10
        /// From the request to the response head: reasoning models think before they answer.
        public var firstByte: Double = 60
        /// Between two pieces of the body.
        public var idle: Double = 60
        public init() {}
    }

    public let timeouts: Timeouts
    private let tls: TLSClientConfiguration?
    /// Idle connections per loop index, then per origin. Each loop's entry is touched only on
    /// that loop; the lock only guards the outer dictionary.
    private let pools = Mutex<[Int: LoopPool]>([:])

    final class LoopPool: @unchecked Sendable {
        var idle: [String: [UpstreamConnection]] = [:]
    }

    public init(tls: TLSClientConfiguration?, timeouts: Timeouts = Timeouts()) {
        self.tls = tls
        self.timeouts = timeouts
    }

    /// Connections currently kept idle on `loop` (for tests and status).
    public func idleConnectionCount(on loop: EventLoop) -> Int {
        pool(for: loop).idle.values.reduce(0) { $0 + $1.count }
    }

    private func pool(for loop: EventLoop) -> LoopPool {
        pools.withLock { pools in
            if let pool = pools[loop.index] { return pool }
            let pool = LoopPool()
            pools[loop.index] = pool
            return pool
        }
    }

    /// Sends `method path` with `headers` and `body` to `url`'s origin. Call on `loop`; the
    /// exchange's callbacks run there.
    public func execute(_ method: HTTPMethod, _ url: UpstreamURL, path: String, headers: HeaderFields, body: [UInt8],
                        on loop: EventLoop, exchange: ClientExchange) {
        var request: [UInt8] = []
        var allHeaders = headers
        allHeaders.replace("Host", with: url.hostHeader)
        allHeaders.replace("Content-Length", with: String(body.count))
        if !allHeaders.contains("User-Agent") { allHeaders.add("User-Agent", "relayd") }
        request.append(contentsOf: "\(method.rawValue) \(url.basePath)\(path) HTTP/1.1\r\n".utf8)
        for field in allHeaders { ResponseHead.appendField(field.name, field.value, to: &request) }
        ResponseHead.appendEnd(to: &request)
        request.append(contentsOf: body)
        armTimeouts(exchange, on: loop)
        let bytes = request
        connection(to: url, on: loop, exchange: exchange) { connection in
            connection.send(bytes, method: method, exchange: exchange)
        }
    }

    /// A pooled connection or a new one.
    private func connection(to url: UpstreamURL, on loop: EventLoop, exchange: ClientExchange,
                            _ use: @escaping @Sendable (UpstreamConnection) -> Void) {
        let pool = pool(for: loop)
        while let candidate = pool.idle[url.poolKey]?.popLast() {
            if candidate.isIdle { return use(candidate) }
        }
        // Until a connection exists, cancelling only stops the attempt. (Loop-confined flag.)
        let attempt = Progress()
        exchange.cancelAction = { attempt.cancelled = true }
        Resolver.resolve(host: url.host, port: url.port, on: loop) { [self] result in
            guard !attempt.cancelled else { return }
            switch result {
            case .failure(let error):
                exchange.deliverError(ProviderError(.upstreamUnavailable, "cannot resolve the provider's host: \(error.call)", retryable: true))
            case .success(let addresses):
                Connector.connect(to: addresses, on: loop, timeout: timeouts.connect) { [self] result in
                    switch result {
                    case .failure(let error):
                        guard !attempt.cancelled else { return }
                        exchange.deliverError(ProviderError(.upstreamUnavailable, "cannot connect to the provider: \(error)", retryable: true))
                    case .success(let connection):
                        guard !attempt.cancelled else { return connection.close() }
                        var session: TLSClient?
                        if url.secure {
                            guard let tls else {
                                connection.close()
                                return exchange.deliverError(ProviderError(.internalError, "TLS is not configured"))
                            }
                            do {
                                session = try TLSClient(configuration: tls, serverName: url.host)
                            } catch {
                                connection.close()
                                return exchange.deliverError(ProviderError(.upstreamUnavailable, "\(error)", retryable: false))
                            }
                        }
                        let upstream = UpstreamConnection(connection: connection, poolKey: url.poolKey, tls: session)
                        upstream.onIdle = { [weak pool] idle in pool?.idle[idle.poolKey, default: []].append(idle) }
                        upstream.onClosed = { [weak pool] closed in pool?.idle[closed.poolKey]?.removeAll { $0 === closed } }
                        use(upstream)
                    }
                }
            }
        }
    }

    /// First-byte and idle deadlines, checked on the loop until the exchange ends.
    private func armTimeouts(_ exchange: ClientExchange, on loop: EventLoop) {
        let state = Progress()
        let previousHead = exchange.onHead, previousBody = exchange.onBody
        exchange.onHead = { head in state.sawHead = true; state.last = .now; previousHead(head) }
        exchange.onBody = { bytes in state.last = .now; previousBody(bytes) }
        let (firstByte, idle) = (timeouts.firstByte, timeouts.idle)
        @Sendable func check() {
            guard !exchange.finished else { return }
            let limit = state.sawHead ? idle : firstByte
            let quiet = Double(state.last.duration(to: .now).components.seconds)
                + Double(state.last.duration(to: .now).components.attoseconds) / 1e18
            if quiet >= limit {
                let what = state.sawHead ? "no data from the provider for \(Int(idle)) s" : "no answer from the provider in \(Int(firstByte)) s"
                exchange.cancel()
                exchange.onError(ProviderError(.upstreamTimeout, what, retryable: true))
                return
            }
            loop.schedule(after: min(limit - quiet + 0.01, 1)) { check() }
        }
        loop.schedule(after: min(firstByte, 1)) { check() }
    }

    /// Mutable state of one exchange, touched only on its loop.
    final class Progress: @unchecked Sendable {
        var cancelled = false
        var sawHead = false
        var last = ContinuousClock.now
    }
}
