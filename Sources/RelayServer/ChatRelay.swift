import Access
import JSON
import Logging
import RelayIO
import Synchronization
import Streams
import Upstream

/// What both transports (WebSocket and SSE) do with a chat: pick the provider, start a
/// stream that the provider feeds, and find streams again to resume or cancel them.
final class ChatRelay: Sendable {
    let providers: ProviderRegistry
    let store: any StreamStore
    let metrics: RelayMetrics
    /// Set when shutdown begins: no new chats; resumes and cancels go on.
    let draining = Atomic<Bool>(false)
    var isDraining: Bool { draining.load(ordering: .relaxed) }

    let access: AccessPolicy
    let logger: Logger
    /// Bytes of the requests of the chats streaming now (`StreamConfiguration.maxRequestBytesInFlight`).
    private let requestBytesInFlight = Atomic<Int>(0)

    init(providers: ProviderRegistry, streams: StreamConfiguration, metrics: RelayMetrics = RelayMetrics(),
         access: AccessPolicy? = nil, logger: Logger = Logger(label: "relayd")) {
        self.providers = providers
        self.logger = logger
        self.metrics = metrics
        self.access = access ?? AccessPolicy(configuration: AccessConfiguration(), metrics: metrics)
        store = InMemoryStreamStore(configuration: streams)
    }

    enum Start {
        case started(LiveStream)
        /// The same client sent the same chat `id` again (a retried request): the stream it
        /// already has, so the provider is not called (nor billed) twice.
        case existing(LiveStream)
        case failed(ProviderError)
        /// A policy refused it (a rate or concurrency limit, a model not allowed, a drain).
        case rejected(AccessRejection)
    }

    /// Starts `request` on `loop` (the caller's), or finds the stream it already started.
    func start(_ request: ChatRequest, clientID: String?, principal: Principal?, connectionID: UInt64, on loop: EventLoop) -> Start {
        if let clientID, let existing = store.stream(clientID: clientID, chatID: request.id, owner: principal) {
            return .existing(existing)
        }
        if isDraining { return .rejected(access.draining()) }
        guard let provider = providers.provider(named: request.provider) else {
            return .failed(ProviderError(.unknownProvider, "no provider named \(request.provider ?? "?") is configured; see GET /api/providers"))
        }
        let model = request.model ?? provider.defaultModel
        guard provider.allows(model: model) else {
            return .failed(ProviderError(.badRequest, "\(provider.name) has no model \(model.prefix(100))"))
        }
        let owner = principal ?? .anonymous(id: "local")
        // What the request holds until its answer ends: its text, and a little per message.
        let requestBytes = request.messages.reduce(1024) { $0 + $1.content.utf8.count + 64 }
        guard requestBytesInFlight.add(requestBytes, ordering: .relaxed).newValue <= store.configuration.maxRequestBytesInFlight else {
            requestBytesInFlight.subtract(requestBytes, ordering: .relaxed)
            return .rejected(access.serverBusy("relayd holds as many chat requests as it may", reason: "request_bytes"))
        }
        if let rejection = access.admitChat(for: owner, provider: provider.name, model: model) {
            requestBytesInFlight.subtract(requestBytes, ordering: .relaxed)
            return .rejected(rejection)
        }
        guard let stream = store.makeStream(chatID: request.id, clientID: clientID, owner: principal, provider: provider.name,
                                            model: model, loop: loop) else {
            requestBytesInFlight.subtract(requestBytes, ordering: .relaxed)
            access.streamFinished(for: owner)
            return .rejected(access.serverBusy("relayd streams as many chats as it may", reason: "live_streams"))
        }
        // Names and sizes only: never the messages, a key or a header. The logger with this
        // chat's ids is made only when a line will be written (a chat costs microseconds).
        let baseLogger = logger
        let streamID = stream.id
        let logsDebug = logger.logLevel <= .debug
        @Sendable func streamLogger() -> Logger {
            var streamLogger = baseLogger
            streamLogger[metadataKey: "relayd.conn"] = "\(connectionID)"
            streamLogger[metadataKey: "relayd.stream"] = "\(streamID)"
            return streamLogger
        }
        if logsDebug {
            streamLogger().debug("chat started", metadata: [
                "provider": "\(provider.name)", "model": "\(model.prefix(100))", "messages": "\(request.messages.count)",
            ])
        }
        let chatID = request.id
        let providerMetrics = metrics.provider(provider.name)
        providerMetrics.streamsStarted.increment()
        metrics.activeStreams.increment()
        let activeStreams = metrics.activeStreams
        let access = self.access
        stream.onFinished = { [self] in
            activeStreams.decrement()
            access.streamFinished(for: owner)
            requestBytesInFlight.subtract(requestBytes, ordering: .relaxed)
        }
        stream.publish(.start) { _ in ChatWire.start(id: chatID, streamID: stream.id, provider: provider.name, model: model) }
        var context = ProviderContext(loop: loop)
        let metrics = self.metrics
        context.observe = { observation in
            switch observation {
            case .retry(let name, _): metrics.provider(name).retried()
            case .fallback(let name, let other): metrics.provider(name).fellBack(to: other)
            }
        }
        let pace = ChunkPace(metrics: providerMetrics)
        // The provider's callback holds the stream until the provider is done with it.
        stream.cancellation = provider.stream(request, model: model, context: context) { event in
            loop.execute {
                switch event {
                case .delta(let content, let reasoning):
                    pace.chunk()
                    stream.publish(.chunk) { ChatWire.chunk(id: chatID, seq: $0, content: content, reasoning: reasoning) }
                case .done(let reason, let usage):
                    if logsDebug {
                        streamLogger().debug("chat finished", metadata: ["finish_reason": "\(reason.rawValue)", "seq": "\(stream.nextSeq)"])
                    }
                    stream.publish(.done) { ChatWire.done(id: chatID, seq: $0, finishReason: reason, usage: usage) }
                case .failed(let error):
                    providerMetrics.upstreamError(code: error.code.rawValue)
                    var metadata: Logger.Metadata = ["code": "\(error.code.rawValue)", "retryable": "\(error.retryable)"]
                    // What the client was not told (an address, a host), for the operator.
                    if let detail = error.detail { metadata["detail"] = "\(detail)" }
                    streamLogger().warning("chat failed", metadata: metadata)
                    stream.publish(.error) { ChatWire.error(id: chatID, seq: $0, error) }
                }
            }
        }
        return .started(stream)
    }

    /// A resume on either transport, counted and logged the same way. `replayed` is nil when
    /// the stream was unknown or no longer whole.
    func noteResume(_ transport: RelayMetrics.Transport, connectionID: UInt64, streamID: some StringProtocol,
                    lastSeq: Int, replayed: Int?) {
        metrics.resumed(transport, recovered: replayed != nil, replayed: replayed ?? 0)
        logger.info("stream resumed", metadata: [
            "relayd.conn": "\(connectionID)", "relayd.stream": "\(streamID.prefix(64))", "transport": "\(transport.rawValue)",
            "last_seq": "\(lastSeq)", "outcome": "\(replayed != nil ? "recovered" : "expired")", "replayed": "\(replayed ?? 0)",
        ])
    }

    static let expiredMessage = "this stream is no longer available; start the chat again"

    /// `stream_expired`: the stream is unknown, past its TTL, or no longer holds the events
    /// the client asked for.
    static func expired(_ streamID: String, id: String? = nil) -> String {
        var text = "{\"type\":\"error\""
        if let id { text += ",\"id\":\(JSONText.quote(id))" }
        text += ",\"stream_id\":\(JSONText.quote(streamID)),\"code\":\"stream_expired\",\"message\":\(JSONText.quote(expiredMessage)),\"retryable\":false}"
        return text
    }
}

/// Times one stream's chunks for the provider's histograms: the wait for the first, then
/// each gap. Touched on the stream's loop only.
private final class ChunkPace: @unchecked Sendable {
    private let metrics: ProviderMetrics
    private let started = ContinuousClock.now
    private var last: ContinuousClock.Instant?

    init(metrics: ProviderMetrics) { self.metrics = metrics }

    func chunk() {
        let now = ContinuousClock.now
        if let last {
            metrics.interChunkGap.recordNanoseconds(last.duration(to: now).nanoseconds)
        } else {
            metrics.timeToFirstChunk.recordNanoseconds(started.duration(to: now).nanoseconds)
        }
        last = now
    }
}
