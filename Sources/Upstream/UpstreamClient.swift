import HTTP1
import RelayIO
import Synchronization
import TLS

/// relayd's HTTP/1.1 client to model providers, on relayd's own event loops: name
/// resolution off the loop, non-blocking connect, TLS through OpenSSL with verification
/// always on, and a keep-alive pool per loop and origin so a chat does not pay for a new
/// connection (and TLS handshake) each time. Through a proxy when `HTTPS_PROXY`/`HTTP_PROXY`
/// say so (see `ProxyConfiguration`).
public final class UpstreamClient: Sendable {
    public struct Timeouts: Sendable {
        /// Resolving and connecting.
        public var connect: Double = 10
        /// From the request to the response head: reasoning models think before they answer.
        public var firstByte: Double = 60
        /// Between two pieces of the body.
        public var idle: Double = 60
        /// The whole exchange, from the request to the end of the answer: a stream that
        /// trickles forever still ends.
        public var total: Double = 900
        /// How long a kept-alive connection waits in the pool for its next request. Shorter
        /// than providers' own idle limits (often 60 s or more), so relayd closes first and
        /// never sends a request on a socket the provider is closing.
        public var poolIdle: Double = 30
        public init() {}
    }

    /// Idle connections kept per event loop and origin: a burst of 10,000 chats must not
    /// leave 10,000 sockets (and their TLS sessions) open once it has passed; 512 covers the
    /// concurrency one loop serves without a new TLS handshake per chat, the idle timeout the rest.
    public let maxIdlePerOrigin: Int

    public let timeouts: Timeouts
    public let proxy: ProxyConfiguration
    private let tls: TLSClientConfiguration?
    /// Idle connections per loop index, then per origin. Each loop's entry is touched only on
    /// that loop; the lock only guards the outer dictionary.
    private let pools = Mutex<[Int: LoopPool]>([:])

    final class LoopPool: @unchecked Sendable {
        var idle: [String: [UpstreamConnection]] = [:]

        /// Keeps `connection` for the next request to its origin, for `timeout` seconds, or
        /// closes it when `maximum` already wait there.
        func park(_ connection: UpstreamConnection, maximum: Int, timeout: Double) {
            guard idle[connection.poolKey, default: []].count < maximum else { return connection.close() }
            idle[connection.poolKey, default: []].append(connection)
            connection.poolGeneration &+= 1
            let generation = connection.poolGeneration
            connection.connection.loop.schedule(after: timeout) { [weak connection] in
                guard let connection, connection.poolGeneration == generation, connection.isIdle else { return }
                connection.close() // onClosed takes it out of the pool
            }
        }
    }

    public init(tls: TLSClientConfiguration?, timeouts: Timeouts = Timeouts(), proxy: ProxyConfiguration = ProxyConfiguration(),
                maxIdlePerOrigin: Int = 512) {
        self.maxIdlePerOrigin = maxIdlePerOrigin
        self.tls = tls
        self.timeouts = timeouts
        self.proxy = proxy
    }

    /// Idle connections kept on `loop`, by origin (and proxy): for `/api/status`. Call on
    /// `loop`, where its pool is touched.
    public func idleConnections(on loop: EventLoop) -> [String: Int] {
        pool(for: loop).idle.compactMapValues { $0.isEmpty ? nil : $0.count }
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
        request.reserveCapacity(body.count + 512)
        var allHeaders = headers
        allHeaders.replace("Host", with: url.hostHeader)
        allHeaders.replace("Content-Length", with: String(body.count))
        if !allHeaders.contains("User-Agent") { allHeaders.add("User-Agent", "relayd") }
        let route = proxy.proxy(for: url)
        // A plain-http request through a proxy names its origin (absolute form, RFC 9112
        // §3.2.2) and carries the proxy's credentials; https goes through a tunnel instead.
        let forwarded = route != nil && !url.secure
        let target = forwarded ? "http://\(url.hostHeader)\(url.basePath)\(path)" : "\(url.basePath)\(path)"
        if forwarded, let authorization = route?.authorization { allHeaders.replace("Proxy-Authorization", with: authorization) }
        request.append(contentsOf: "\(method.rawValue) \(target) HTTP/1.1\r\n".utf8)
        for field in allHeaders { ResponseHead.appendField(field.name, field.value, to: &request) }
        ResponseHead.appendEnd(to: &request)
        request.append(contentsOf: body)
        armTimeouts(exchange, on: loop)
        let bytes = request
        connection(to: url, via: route, on: loop, exchange: exchange) { connection in
            connection.send(bytes, method: method, exchange: exchange)
        }
    }

    /// A pooled connection or a new one (to the proxy, when there is one: a `CONNECT` tunnel
    /// for https origins).
    private func connection(to url: UpstreamURL, via route: ProxyEndpoint?, on loop: EventLoop, exchange: ClientExchange,
                            _ use: @escaping @Sendable (UpstreamConnection) -> Void) {
        let pool = pool(for: loop)
        // Tunnels are per origin; plain requests through a proxy can share one connection.
        let poolKey = route.map { url.secure ? "\(url.poolKey) via \($0)" : "http proxy \($0)" } ?? url.poolKey
        while let candidate = pool.idle[poolKey]?.popLast() {
            if candidate.isIdle { return use(candidate) }
        }
        // Until a connection exists, cancelling only stops the attempt. (Loop-confined flag.)
        let attempt = Progress()
        exchange.cancelAction = { attempt.cancelled = true }
        let (host, port) = route.map { ($0.host, $0.port) } ?? (url.host, url.port)
        let what = route == nil ? "the provider" : "the proxy"
        Resolver.resolve(host: host, port: port, on: loop) { [self] result in
            guard !attempt.cancelled else { return }
            switch result {
            case .failure(let error):
                exchange.deliverError(ProviderError(.upstreamUnavailable, "cannot resolve \(what)'s host", retryable: true,
                                                    detail: error.call))
            case .success(let addresses):
                Connector.connect(to: addresses, on: loop, timeout: timeouts.connect) { [self] result in
                    switch result {
                    case .failure(let error):
                        guard !attempt.cancelled else { return }
                        // The address stays in the log (`detail`): the client learns only what went wrong.
                        exchange.deliverError(ProviderError(.upstreamUnavailable, "cannot connect to \(what): \(error.reason)",
                                                            retryable: true, detail: "\(error)"))
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
                        var tunnelRequest: [UInt8]?
                        if let route, url.secure {
                            var head = "CONNECT \(url.hostHeaderWithPort) HTTP/1.1\r\nHost: \(url.hostHeaderWithPort)\r\n"
                            if let authorization = route.authorization { head += "Proxy-Authorization: \(authorization)\r\n" }
                            tunnelRequest = Array((head + "\r\n").utf8)
                        }
                        let upstream = UpstreamConnection(connection: connection, poolKey: poolKey, tls: session, tunnelRequest: tunnelRequest)
                        let (maximum, timeout) = (maxIdlePerOrigin, timeouts.poolIdle)
                        upstream.onIdle = { [weak pool] idle in pool?.park(idle, maximum: maximum, timeout: timeout) }
                        upstream.onClosed = { [weak pool] closed in pool?.idle[closed.poolKey]?.removeAll { $0 === closed } }
                        use(upstream)
                    }
                }
            }
        }
    }

    /// First-byte, idle and total deadlines, checked on the loop until the exchange ends. One
    /// timer per exchange, due when the nearest deadline would pass (not every second: with
    /// thousands of streams that cost more than relaying their chunks); a chunk only moves a
    /// timestamp, and the timer, when it fires early, sleeps for what is left.
    private func armTimeouts(_ exchange: ClientExchange, on loop: EventLoop) {
        let deadlines = Deadlines(exchange: exchange, loop: loop, timeouts: timeouts)
        let previousHead = exchange.onHead, previousBody = exchange.onBody
        exchange.onHead = { head in
            deadlines.headArrived()
            previousHead(head)
        }
        exchange.onBody = { bytes in
            deadlines.last = .now
            previousBody(bytes)
        }
        deadlines.arm(after: min(timeouts.firstByte, timeouts.total))
    }

    /// One exchange's deadlines, touched only on its loop. The exchange's callbacks hold them
    /// until it ends; the pending timer holds them weakly, and they hold the exchange weakly:
    /// a timer cannot be taken back, and one armed for the first-byte deadline (60 s) that
    /// held the exchange kept about 330 bytes per chat in the timer heap that long after the
    /// answer ended (90 MB at 4,500 chats/s).
    final class Deadlines: @unchecked Sendable {
        private weak var exchange: ClientExchange?
        private let loop: EventLoop
        private let timeouts: Timeouts
        private let start = ContinuousClock.now
        private var sawHead = false
        var last = ContinuousClock.now
        private var generation = 0

        init(exchange: ClientExchange, loop: EventLoop, timeouts: Timeouts) {
            self.exchange = exchange
            self.loop = loop
            self.timeouts = timeouts
        }

        func headArrived() {
            sawHead = true
            last = .now
            // The idle deadline may come before the first-byte one that is armed.
            if timeouts.idle < timeouts.firstByte { arm(after: min(timeouts.idle, timeouts.total - Self.seconds(since: start))) }
        }

        /// Replaces the pending check (an older one that fires finds its generation stale).
        func arm(after delay: Double) {
            generation &+= 1
            let generation = self.generation
            loop.schedule(after: max(delay, 0) + 0.01) { [weak self] in
                guard let self, self.generation == generation else { return }
                self.check()
            }
        }

        private func check() {
            guard let exchange, !exchange.finished else { return }
            let (firstByte, idle, total) = (timeouts.firstByte, timeouts.idle, timeouts.total)
            let limit = sawHead ? idle : firstByte
            let quiet = Self.seconds(since: last)
            let elapsed = Self.seconds(since: start)
            if quiet >= limit || elapsed >= total {
                func text(_ seconds: Double) -> String { seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds) }
                let what = elapsed >= total ? "the answer took longer than \(text(total)) s"
                    : sawHead ? "no data from the provider for \(text(idle)) s" : "no answer from the provider in \(text(firstByte)) s"
                return exchange.cancel(reporting: ProviderError(.upstreamTimeout, what, retryable: true))
            }
            arm(after: min(limit - quiet, total - elapsed))
        }

        private static func seconds(since instant: ContinuousClock.Instant) -> Double {
            let elapsed = instant.duration(to: .now).components
            return Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        }
    }

    /// Whether a connection attempt was cancelled; touched only on its loop.
    final class Progress: @unchecked Sendable {
        var cancelled = false
    }
}
