import CoreMetrics
import Prometheus
import Synchronization

/// relayd's metrics, through swift-metrics with a Prometheus registry of the server's own
/// (not the process-wide `MetricsSystem`, so tests can run many servers side by side and read
/// each one's figures). Served as Prometheus text at `GET /metrics`.
///
/// Label values come from small fixed sets (transports, close codes, route patterns,
/// configured providers, relayd's error codes), never from what a client sends, so a client
/// cannot grow the registry. Handles used per chunk are made once per provider
/// (`ProviderMetrics`); the rest are made when first used and cached by the registry.
public final class RelayMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let providerMetrics = Mutex<[String: ProviderMetrics]>([:])
    private let requestCounters = Mutex<[RequestKey: CoreMetrics.Counter]>([:])

    public enum Transport: String, Sendable { case http, websocket, sse }

    let webSocketConnects: CoreMetrics.Counter
    let heartbeatsReceived: CoreMetrics.Counter
    let heartbeatsAcked: CoreMetrics.Counter
    let deadPeers: CoreMetrics.Counter
    let eventsReplayed: CoreMetrics.Counter
    let activeStreams: CoreMetrics.Meter
    let replayBufferBytes: CoreMetrics.Meter
    let streamsKept: CoreMetrics.Meter
    private let connectionsOpen: [Transport: CoreMetrics.Meter]

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Chat pacing: first chunks take from tens of ms (small models) to a minute (reasoning
        // models); gaps between chunks from under a ms (bursts) to seconds (a stalled provider).
        factory.durationHistogramBuckets = [
            "relayd_time_to_first_chunk_seconds": [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60].map(Duration.seconds),
            "relayd_inter_chunk_gap_seconds": [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10].map(Duration.seconds),
        ]
        self.factory = factory
        webSocketConnects = CoreMetrics.Counter(label: "relayd_websocket_connects_total", factory: factory)
        heartbeatsReceived = CoreMetrics.Counter(label: "relayd_heartbeats_received_total", factory: factory)
        heartbeatsAcked = CoreMetrics.Counter(label: "relayd_heartbeats_acked_total", factory: factory)
        deadPeers = CoreMetrics.Counter(label: "relayd_dead_peers_dropped_total", factory: factory)
        eventsReplayed = CoreMetrics.Counter(label: "relayd_resume_events_replayed_total", factory: factory)
        activeStreams = CoreMetrics.Meter(label: "relayd_streams_active", factory: factory)
        replayBufferBytes = CoreMetrics.Meter(label: "relayd_replay_buffer_bytes", factory: factory)
        streamsKept = CoreMetrics.Meter(label: "relayd_streams_kept", factory: factory)
        var open: [Transport: CoreMetrics.Meter] = [:]
        for transport in [Transport.http, .websocket, .sse] {
            open[transport] = CoreMetrics.Meter(label: "relayd_connections_open", dimensions: [("transport", transport.rawValue)], factory: factory)
            open[transport]!.set(0)
        }
        connectionsOpen = open
        for counter in [webSocketConnects, heartbeatsReceived, heartbeatsAcked, deadPeers, eventsReplayed] { counter.increment(by: 0) }
        activeStreams.set(0)
    }

    // MARK: Connections

    func connectionOpened(_ transport: Transport) { connectionsOpen[transport]!.increment() }
    func connectionClosed(_ transport: Transport) { connectionsOpen[transport]!.decrement() }

    /// A connection changed what it carries (an upgrade, an SSE response starting or ending).
    func connectionSwitched(from old: Transport, to new: Transport) {
        guard old != new else { return }
        connectionsOpen[old]!.decrement()
        connectionsOpen[new]!.increment()
    }

    func webSocketDisconnected(code: UInt16?) {
        CoreMetrics.Counter(label: "relayd_websocket_disconnects_total", dimensions: [("code", Self.closeCodeLabel(code))], factory: factory).increment()
    }

    /// Close codes a client may send are 3000–4999 too: those beyond the ones relayd knows
    /// share one label, so a client cannot make new series.
    static func closeCodeLabel(_ code: UInt16?) -> String {
        guard let code else { return "1006" }
        switch code {
        case 1000...1015, 4000, 4001, 4100: return String(code)
        default: return "other"
        }
    }

    func slowClientClosed(_ transport: Transport) {
        CoreMetrics.Counter(label: "relayd_slow_clients_closed_total", dimensions: [("transport", transport.rawValue)], factory: factory).increment()
    }

    // MARK: Requests

    /// Called for every request: the counter is looked up in a cache of our own rather than
    /// made through the factory (which allocates and takes the registry's lock) each time.
    func request(route: String, status: Int) {
        let key = RequestKey(route: route, status: status)
        let counter = requestCounters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = CoreMetrics.Counter(label: "relayd_http_requests_total",
                                              dimensions: [("route", route), ("status", String(status))], factory: factory)
            counters[key] = counter
            return counter
        }
        counter.increment()
    }

    private struct RequestKey: Hashable {
        var route: String
        var status: Int
    }

    /// A request or connection refused by a policy (limits, authentication, draining).
    func rejected(_ reason: String) {
        CoreMetrics.Counter(label: "relayd_rejected_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    // MARK: Streams

    func resumed(_ transport: Transport, recovered: Bool, replayed: Int) {
        CoreMetrics.Counter(label: "relayd_resumes_total", dimensions: [("transport", transport.rawValue), ("outcome", recovered ? "recovered" : "expired")],
                factory: factory).increment()
        if replayed > 0 { eventsReplayed.increment(by: Int64(replayed)) }
    }

    /// The handles a provider's streams use on every chunk, made once.
    func provider(_ name: String) -> ProviderMetrics {
        providerMetrics.withLock { cache in
            if let metrics = cache[name] { return metrics }
            let metrics = ProviderMetrics(provider: name, factory: factory)
            cache[name] = metrics
            return metrics
        }
    }

    /// Prometheus text (version 0.0.4) of every metric.
    public func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }
}

/// One provider's per-chat metrics.
final class ProviderMetrics: Sendable {
    let provider: String
    private let factory: PrometheusMetricsFactory
    let streamsStarted: CoreMetrics.Counter
    let timeToFirstChunk: CoreMetrics.Timer
    let interChunkGap: CoreMetrics.Timer

    init(provider: String, factory: PrometheusMetricsFactory) {
        self.provider = provider
        self.factory = factory
        let dimensions = [("provider", provider)]
        streamsStarted = CoreMetrics.Counter(label: "relayd_streams_started_total", dimensions: dimensions, factory: factory)
        timeToFirstChunk = CoreMetrics.Timer(label: "relayd_time_to_first_chunk_seconds", dimensions: dimensions, factory: factory)
        interChunkGap = CoreMetrics.Timer(label: "relayd_inter_chunk_gap_seconds", dimensions: dimensions, factory: factory)
    }

    func upstreamError(code: String) {
        CoreMetrics.Counter(label: "relayd_upstream_errors_total", dimensions: [("provider", provider), ("code", code)], factory: factory).increment()
    }

    func retried() {
        CoreMetrics.Counter(label: "relayd_upstream_retries_total", dimensions: [("provider", provider)], factory: factory).increment()
    }

    func fellBack(to other: String) {
        CoreMetrics.Counter(label: "relayd_upstream_fallbacks_total", dimensions: [("provider", provider), ("to", other)], factory: factory).increment()
    }
}
