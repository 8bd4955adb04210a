import Logging
import Synchronization

/// What every connection shares with the server: configuration, routes, counters. Immutable
/// apart from the atomics, so any loop may read it.
final class ServerContext: Sendable {
    let configuration: ServerConfiguration
    let router: Router
    let webSocketRoutes: [String: WebSocketRoute]
    let logger: Logger
    let metrics: RelayMetrics
    let access: AccessPolicy
    let startedAt = ContinuousClock.now
    let openConnections = Atomic<Int>(0)
    let acceptedConnections = Atomic<Int>(0)
    let draining = Atomic<Bool>(false)
    let webSocketsOpen = Atomic<Int>(0)
    let webSocketsDeadPeers = Atomic<Int>(0)
    let webSocketsSlowClosed = Atomic<Int>(0)
    let heartbeats = Atomic<Int>(0)
    /// Request body bytes buffered by every connection together (`maxBodyBytesInFlight`).
    let bodyBytesInFlight = Atomic<Int>(0)
    /// Read once: the level lives in the log handler, behind an existential, and the hot
    /// path asks on every request.
    let logsDebug: Bool
    let logsTrace: Bool

    init(configuration: ServerConfiguration, router: Router, webSocketRoutes: [String: WebSocketRoute], logger: Logger,
         metrics: RelayMetrics, access: AccessPolicy) {
        self.configuration = configuration
        self.metrics = metrics
        self.access = access
        self.router = router
        self.webSocketRoutes = webSocketRoutes
        self.logger = logger
        logsDebug = logger.logLevel <= .debug
        logsTrace = logger.logLevel <= .trace
    }

    var isDraining: Bool { draining.load(ordering: .relaxed) }
    var connectionCount: Int { openConnections.load(ordering: .relaxed) }
    var uptimeSeconds: Int { Int(startedAt.duration(to: .now).components.seconds) }
}
