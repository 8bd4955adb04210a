import JSON
import Dispatch
import HTTP1
import Logging
import RelayIO
import Synchronization
import Upstream

/// relayd's HTTP/1.1 server: a listener, a group of event loops, and the routes.
///
/// Add routes before `start()`. `shutdown` stops accepting, lets in-flight responses finish
/// for the drain period, then closes whatever is left.
public final class HTTPServer: @unchecked Sendable {
    public let configuration: ServerConfiguration
    /// Every figure `GET /metrics` shows, in this server's own Prometheus registry.
    public let metrics = RelayMetrics()
    let access: AccessPolicy
    private let logger: Logger
    private var router = Router()
    private var webSocketRoutes: [String: WebSocketRoute] = [:]
    private var context: ServerContext?
    private var listener: Listener?
    private let group: EventLoopGroup
    private var loopContexts: [LoopContext] = []
    /// The chats and their streams, once `relayWebSocket` has set them up.
    private(set) var relay: ChatRelay?
    private let nextConnectionID = Atomic<UInt64>(1)
    private let rejectedConnections = Atomic<Int>(0)
    /// Callers of `shutdown` waiting for the drain to end; nil once it has.
    private let drainWaiters = Mutex<[@Sendable () -> Void]?>([])

    public init(configuration: ServerConfiguration, logger: Logger = Logger(label: "relayd")) {
        self.configuration = configuration
        self.logger = logger
        access = AccessPolicy(configuration: configuration.access, metrics: metrics)
        group = EventLoopGroup(loopCount: configuration.loopCount)
        router.add(.get, "/health") { [weak self] request, responder in
            responder.respond(self?.healthResponse() ?? .error(.serviceUnavailable, code: "stopping", message: "stopping"))
        }
        // Behind the admin token (HTTPConnection checks it before routing).
        router.add(.get, "/api/status") { [weak self] _, responder in
            guard let self else { return responder.respond(.error(.serviceUnavailable, code: "stopping", message: "stopping")) }
            self.respondStatus(responder)
        }
    }

    /// The upstream client whose keep-alive pools `/api/status` shows. Set before `start()`.
    public var upstream: UpstreamClient?

    /// The loops' threads end with the server (tests make many servers).
    deinit { group.stop() }

    /// Registers a route. Call before `start()`.
    public func route(_ method: HTTPMethod, _ path: String, _ handler: @escaping RouteHandler) {
        precondition(context == nil, "routes must be added before start()")
        router.add(method, path, handler)
    }

    /// Serves `path` as WebSocket with `handler` making each session's handler.
    public func webSocket(_ path: String, configuration: WebSocketConfiguration = WebSocketConfiguration(),
                          handler: @escaping WebSocketHandlerFactory) {
        precondition(context == nil, "routes must be added before start()")
        webSocketRoutes[path] = WebSocketRoute(configuration: configuration) { request, _ in handler(request) }
    }

    /// relayd's message protocol (heartbeats, chats, resumes) at `path`, the same chats over
    /// HTTP (SSE: `POST /api/chat/stream`, `GET`/`DELETE /api/streams/{id}`; JSON:
    /// `POST /api/chat`), and `GET /api/providers`.
    public func relayWebSocket(_ path: String = "/ws", configuration: WebSocketConfiguration = WebSocketConfiguration(),
                               providers: ProviderRegistry = ProviderRegistry([DemoProvider()]),
                               streams: StreamConfiguration = StreamConfiguration(), sse: SSEConfiguration = SSEConfiguration()) {
        precondition(context == nil, "routes must be added before start()")
        let relay = ChatRelay(providers: providers, streams: streams, metrics: metrics, access: access, logger: logger)
        self.relay = relay
        StreamHTTPRoutes(relay: relay, configuration: sse).install(on: &router)
        webSocketRoutes[path] = WebSocketRoute(configuration: configuration, authenticatesByMessage: true) { request, context in
            RelaySocketHandler(context: context, relay: relay, principal: request.principal, expiresAt: request.principalExpiresAt)
        }
        let metrics = self.metrics
        router.add(.get, "/metrics") { _, responder in
            // Gauges of what the store holds are read when scraped, not kept up to date per event.
            metrics.replayBufferBytes.set(Int64(relay.store.bytes))
            metrics.streamsKept.set(Int64(relay.store.count))
            var headers = HeaderFields()
            headers.add("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            headers.add("Cache-Control", "no-store")
            responder.respond(HTTPResponse(status: .ok, headers: headers, body: metrics.exposition()))
        }
        let listing = Self.providerListing(providers)
        router.add(.get, "/api/providers") { _, responder in
            var response = HTTPResponse.json(.ok, listing)
            response.headers.add("Cache-Control", "no-store")
            responder.respond(response)
        }
    }

    /// The browser client compiled into the binary (the top-level files of `web/`):
    /// `/relay-client.js` and `/relay-client.d.ts` always; with `demoPage`, the demo page at
    /// `/` and every other file by its name. Returns the paths served.
    @discardableResult
    public func webClient(demoPage: Bool = true, assets: WebAssets = .embedded()) -> [String] {
        precondition(context == nil, "routes must be added before start()")
        assets.install(on: &router, demoPage: demoPage)
        let missing = WebAssets.clientModuleNames.subtracting(assets.names)
        if !missing.isEmpty {
            logger.warning("web client files missing from this build (was web/ there?)", metadata: ["missing": "\(missing.sorted().joined(separator: ","))"])
        }
        return assets.paths(demoPage: demoPage)
    }

    /// `{"default":…,"providers":[{"name":…,"models":[…],"default_model":…}]}`: names and
    /// models only, never a key or a URL.
    static func providerListing(_ registry: ProviderRegistry) -> String {
        let entries = registry.order.compactMap { registry.providers[$0] }.map { provider in
            "{\"name\":\(JSONText.quote(provider.name)),\"models\":[\(provider.models.map(JSONText.quote).joined(separator: ","))],\"default_model\":\(JSONText.quote(provider.defaultModel))}"
        }
        return "{\"default\":\(JSONText.quote(registry.defaultProvider)),\"providers\":[\(entries.joined(separator: ","))]}\n"
    }

    /// An echo endpoint for conformance testing (the Autobahn testsuite), with the same frame,
    /// deflate and limit code as the other WebSocket paths.
    public func echoWebSocket(_ path: String, configuration: WebSocketConfiguration = .conformance) {
        webSocket(path, configuration: configuration) { _ in EchoHandler() }
    }

    /// Streams kept (live, or finished and still resumable), and the bytes of their events.
    public var streamCount: Int { relay?.store.count ?? 0 }
    public var streamBytes: Int { relay?.store.bytes ?? 0 }

    /// Open WebSocket sessions.
    public var webSocketCount: Int { context?.webSocketsOpen.load(ordering: .relaxed) ?? 0 }
    /// WebSocket sessions closed by the dead-peer rule.
    public var deadPeerCount: Int { context?.webSocketsDeadPeers.load(ordering: .relaxed) ?? 0 }
    /// WebSocket sessions closed because they could not keep up.
    public var slowClientCount: Int { context?.webSocketsSlowClosed.load(ordering: .relaxed) ?? 0 }

    /// The address actually bound (with the real port when 0 was asked for).
    public var localAddress: SocketAddress? { listener?.localAddress }

    /// Open client connections.
    public var connectionCount: Int { context?.connectionCount ?? 0 }

    /// Connections turned away with 503 because `maxConnections` were open.
    public var rejectedConnectionCount: Int { rejectedConnections.load(ordering: .relaxed) }

    public var isDraining: Bool { context?.isDraining ?? false }

    public func start() throws {
        let context = ServerContext(configuration: configuration, router: router, webSocketRoutes: webSocketRoutes, logger: logger,
                                    metrics: metrics, access: access)
        let listener = try Listener(host: configuration.host, port: configuration.port)
        self.context = context
        self.listener = listener
        loopContexts = group.loops.map { LoopContext(loop: $0) }
        let timers = [configuration.headerTimeout, configuration.idleTimeout, configuration.sendTimeout]
            + webSocketRoutes.values.flatMap { [$0.configuration.pingInterval, $0.configuration.closeTimeout] }
        let sweepInterval = min(1.0, max(0.02, timers.min()! / 4))
        for loopContext in loopContexts {
            loopContext.loop.execute {
                loopContext.sweepTimer = loopContext.loop.scheduleRepeating(every: sweepInterval) {
                    loopContext.sweep(now: .now)
                }
            }
        }
        listener.start { [weak self] fd, peer in
            guard let self else { return SocketCloser.close(fd) }
            self.accepted(fd: fd, peer: peer, context: context)
        }
    }

    private func accepted(fd: Int32, peer: SocketAddress, context: ServerContext) {
        let id = nextConnectionID.add(1, ordering: .relaxed).oldValue
        let loopContext = loopContexts[Int(id) % loopContexts.count]
        let connection = Connection(fd: fd, peer: peer, id: id, loop: loopContext.loop)
        if context.connectionCount >= configuration.maxConnections {
            rejectedConnections.add(1, ordering: .relaxed)
            metrics.rejected("too_many_connections")
            loopContext.loop.execute { Self.turnAway(connection) }
            return
        }
        context.openConnections.add(1, ordering: .relaxed)
        context.acceptedConnections.add(1, ordering: .relaxed)
        metrics.connectionOpened(.http)
        loopContext.loop.execute {
            let handler = HTTPConnection(connection: connection, context: context, loopContext: loopContext)
            loopContext.connections[id] = handler
            connection.start(delegate: handler)
        }
    }

    /// Over the connection limit: a 503 that tells the client to retry, then close.
    private static func turnAway(_ connection: Connection) {
        connection.start(delegate: DiscardingDelegate.shared)
        connection.write(overloadResponse)
        connection.closeAfterFlush(linger: 1)
    }

    static let overloadResponse: [UInt8] = {
        let response = HTTPResponse.error(.serviceUnavailable, code: "too_many_connections",
                                          message: "connection limit reached, retry shortly")
        var headers = response.headers
        headers.add("Content-Length", String(response.body.count))
        headers.add("Retry-After", "1")
        headers.add("Connection", "close")
        return ResponseHead(status: .serviceUnavailable, headers: headers).encoded() + response.body
    }()

    func healthResponse() -> HTTPResponse {
        guard let context else { return .error(.serviceUnavailable, code: "starting", message: "starting") }
        let status = context.isDraining ? "draining" : "ok"
        let json = "{\"status\":\"\(status)\",\"version\":\"\(RelaydVersion.string)\",\"uptime_s\":\(context.uptimeSeconds),\"connections\":\(context.connectionCount)}\n"
        var response = HTTPResponse.json(context.isDraining ? .serviceUnavailable : .ok, json)
        response.headers.add("Cache-Control", "no-store")
        return response
    }

    /// `/api/status`: what every loop holds right now, read on each loop (connections and
    /// streams are loop-confined), then put together. At most 1,000 of each per loop.
    private func respondStatus(_ responder: HTTPResponder) {
        guard let context else { return responder.respond(.error(.serviceUnavailable, code: "starting", message: "starting")) }
        let now = ContinuousClock.now
        let upstream = self.upstream
        let streamsByLoop = Dictionary(grouping: relay?.store.allStreams() ?? [], by: { $0.loop.index })
        let parts = Mutex<(connections: [String], streams: [String], idle: [String: Int])>(([], [], [:]))
        let group = DispatchGroup()
        for loopContext in loopContexts {
            group.enter()
            loopContext.loop.execute {
                let connections = loopContext.connections.values.prefix(1000).map { $0.statusJSON(now: now) }
                let streams = (streamsByLoop[loopContext.loop.index] ?? []).prefix(1000).map { $0.statusJSON(now: now) }
                let idle = upstream?.idleConnections(on: loopContext.loop) ?? [:]
                parts.withLock { parts in
                    parts.connections += connections
                    parts.streams += streams
                    parts.idle.merge(idle, uniquingKeysWith: +)
                }
                group.leave()
            }
        }
        group.notify(queue: .global()) {
            let (connections, streams, idle) = parts.withLock { ($0.connections, $0.streams, $0.idle) }
            let pools = idle.keys.sorted().map { "\(JSONText.quote($0)):\(idle[$0]!)" }.joined(separator: ",")
            let json = "{\"version\":\(JSONText.quote(RelaydVersion.string)),\"uptime_s\":\(context.uptimeSeconds),"
                + "\"draining\":\(context.isDraining),\"connection_count\":\(context.connectionCount),\"connections\":[\(connections.joined(separator: ","))],"
                + "\"stream_count\":\(streamsByLoop.values.reduce(0) { $0 + $1.count }),\"streams\":[\(streams.joined(separator: ","))],"
                + "\"upstream\":{\"idle_connections\":{\(pools)}}}\n"
            var response = HTTPResponse.json(.ok, json)
            response.headers.add("Cache-Control", "no-store")
            responder.respond(response)
        }
    }

    /// Drains for a deploy, then calls `completion` on a background queue:
    /// - `/health` answers 503 (the platform stops routing here) and new chats get 503
    ///   `draining`; the listener stays open until the end, so resumes and cancels still work;
    /// - idle connections close, idle WebSockets get 1012 with a jittered retry hint;
    /// - answers in flight finish where they are (an SSE response, a WebSocket with a live
    ///   stream), for up to `drainSeconds` (`configuration.drainSeconds` by default): streams
    ///   live in this process, so a client sent elsewhere could not resume them;
    /// - at the deadline, SSE responses end with `event: resume`, WebSockets get 1012, and
    ///   whatever is left is closed a moment later.
    public func shutdown(drainSeconds: Double? = nil, completion: @escaping @Sendable () -> Void) {
        guard let context else {
            completion()
            return
        }
        // Every caller is answered when the one drain ends; a second call does not cut it short.
        let finished = drainWaiters.withLock { waiters -> Bool in
            guard waiters != nil else { return true }
            waiters!.append(completion)
            return false
        }
        if finished {
            completion()
            return
        }
        guard !context.draining.exchange(true, ordering: .relaxed) else { return }
        relay?.draining.store(true, ordering: .relaxed)
        let listener = self.listener
        let loopContexts = self.loopContexts
        for loopContext in loopContexts {
            loopContext.loop.execute {
                for connection in loopContext.connections.values { connection.beginDrain() }
            }
        }
        let deadline = DispatchTime.now() + (drainSeconds ?? configuration.drainSeconds)
        let queue = DispatchQueue(label: "relayd.drain")
        @Sendable func finish() {
            listener?.stop()
            let group = DispatchGroup()
            for loopContext in loopContexts {
                group.enter()
                loopContext.loop.execute {
                    for connection in loopContext.connections.values { connection.forceClose() }
                    loopContext.sweepTimer?.cancel()
                    loopContext.sweepTimer = nil
                    group.leave()
                }
            }
            group.notify(queue: queue) { [self] in
                let waiters = drainWaiters.withLock { waiters in
                    defer { waiters = nil }
                    return waiters ?? []
                }
                waiters.forEach { $0() }
            }
        }
        @Sendable func poll() {
            if context.connectionCount == 0 { return finish() }
            if DispatchTime.now() >= deadline {
                // Goodbyes in each protocol's terms, a moment to send them, then close.
                for loopContext in loopContexts {
                    loopContext.loop.execute {
                        for connection in loopContext.connections.values { connection.drainDeadline() }
                    }
                }
                queue.asyncAfter(deadline: .now() + 0.25, execute: finish)
                return
            }
            queue.asyncAfter(deadline: .now() + 0.02, execute: poll)
        }
        queue.async(execute: poll)
    }

    /// `shutdown` for async callers.
    public func shutdown(drainSeconds: Double? = nil) async {
        await withCheckedContinuation { continuation in
            shutdown(drainSeconds: drainSeconds) { continuation.resume() }
        }
    }
}

/// For connections we only answer once and close: input is ignored.
final class DiscardingDelegate: ConnectionDelegate, @unchecked Sendable {
    static let shared = DiscardingDelegate()
    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {}
    func connectionDidReadEOF(_ connection: Connection) { connection.close() }
    func connectionDidDrainOutbound(_ connection: Connection) {}
    func connectionDidClose(_ connection: Connection) {}
}
