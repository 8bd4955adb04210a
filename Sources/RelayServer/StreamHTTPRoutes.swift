import HTTP1
import JSON
import RelayIO
import SSE
import Streams
import Upstream

/// The HTTP fallback for clients that cannot use WebSocket, carrying the same events:
///
/// - `POST /api/chat/stream`: the `chat` message without `type`, answered as SSE
///   (`event: start|chunk|done|error`, `id: <seq>`, `data: <the WebSocket JSON>`);
/// - `GET /api/streams/{id}`: the rest of a stream as SSE, after `Last-Event-ID` or `?after=`;
/// - `DELETE /api/streams/{id}`: cancels it (idempotent);
/// - `POST /api/chat`: the same chat answered as one JSON document once it is done.
struct StreamHTTPRoutes {
    let relay: ChatRelay
    let configuration: SSEConfiguration

    func install(on router: inout Router) {
        router.add(.post, "/api/chat/stream") { request, responder in startStream(request, responder) }
        router.add(.get, prefix: "/api/streams/") { request, responder in resume(request, responder) }
        router.add(.delete, prefix: "/api/streams/") { request, responder in cancel(request, responder) }
        router.add(.post, "/api/chat") { request, responder in complete(request, responder) }
    }

    /// The chat in a request body, or the error response to send instead.
    private func parseChat(_ request: HTTPRequest) -> Result<(ChatRequest, String?), ProviderError> {
        guard let object = try? JSONDocument(parsing: request.body).root, object.isObject else {
            return .failure(ProviderError(.badRequest, "the body must be a JSON chat object"))
        }
        switch ChatWire.parseChat(object) {
        case .failure(let error):
            return .failure(error)
        case .success(let chat):
            return ChatWire.clientID(in: object, fallback: request.headers["X-Client-Id"]).map { (chat, $0) }
        }
    }

    /// Parses the body's chat and starts it (or finds the stream the same client already
    /// started); errors are answered here.
    private func startChat(_ request: HTTPRequest, _ responder: HTTPResponder, _ use: (LiveStream) -> Void) {
        switch parseChat(request) {
        case .failure(let error):
            responder.respond(Self.errorResponse(error))
        case .success(let (chat, clientID)):
            switch relay.start(chat, clientID: clientID, principal: request.principal, connectionID: request.connectionID, on: responder.loop) {
            case .rejected(let rejection): responder.respond(rejection.response)
            case .failed(let error): responder.respond(Self.errorResponse(error))
            case .started(let stream), .existing(let stream): use(stream)
            }
        }
    }

    private func startStream(_ request: HTTPRequest, _ responder: HTTPResponder) {
        startChat(request, responder) { stream in attach(stream, after: -1, responder) }
    }

    private func resume(_ request: HTTPRequest, _ responder: HTTPResponder) {
        let streamID = String(request.path.dropFirst("/api/streams/".count))
        var after = -1
        if let text = request.headers["Last-Event-ID"] ?? request.head.queryValue("after").map(String.init) {
            guard let value = ChatWire.resumeSeq(text.trimmingOWS()) else {
                return responder.respond(.error(.badRequest, code: "bad_request",
                                                message: "Last-Event-ID or after must be a seq from -1 to \(ChatWire.resumableSeqs.upperBound)"))
            }
            after = value
        }
        guard let stream = relay.store.stream(streamID) else {
            relay.noteResume(.sse, connectionID: request.connectionID, streamID: streamID, lastSeq: after, replayed: nil)
            return responder.respond(Self.expired(streamID))
        }
        guard relay.access.mayUse(stream, as: request.principal) else { return responder.respond(Self.notYours) }
        attach(stream, after: after, responder, isResume: true)
    }

    private func cancel(_ request: HTTPRequest, _ responder: HTTPResponder) {
        let streamID = String(request.path.dropFirst("/api/streams/".count))
        guard let stream = relay.store.stream(streamID) else { return responder.respond(Self.expired(streamID)) }
        guard relay.access.mayUse(stream, as: request.principal) else { return responder.respond(Self.notYours) }
        stream.loop.execute {
            stream.cancel()
            responder.respond(.json(.ok, "{\"stream_id\":\(JSONText.quote(streamID)),\"cancelled\":true}\n"))
        }
    }

    private func complete(_ request: HTTPRequest, _ responder: HTTPResponder) {
        startChat(request, responder) { stream in
            let collector = AnswerCollector(responder: responder, streamID: stream.id)
            responder.onEnd { stream.detach(collector) }
            stream.loop.execute {
                if stream.attach(collector, after: -1) == nil { responder.respond(Self.expired(stream.id)) }
            }
        }
    }

    /// Sends the stream after `seq` as SSE on `responder`, or 410 when it cannot.
    private func attach(_ stream: LiveStream, after seq: Int, _ responder: HTTPResponder, isResume: Bool = false) {
        let subscription = SSESubscription(responder: responder, streamID: stream.id, configuration: configuration)
        responder.onEnd {
            subscription.stop()
            stream.detach(subscription)
        }
        // Weak: the subscription holds this closure (strongly, it would keep itself, its
        // response and the stream alive for good).
        subscription.onRollover = { [weak subscription] in if let subscription { stream.detach(subscription) } }
        let relay = self.relay
        let connectionID = responder.request.connectionID
        stream.loop.execute {
            let replayed = stream.attach(subscription, after: seq)
            if isResume { relay.noteResume(.sse, connectionID: connectionID, streamID: stream.id, lastSeq: seq, replayed: replayed) }
            guard replayed != nil else { return responder.respond(Self.expired(stream.id)) }
            let finished = stream.finished
            subscription.loop.execute { subscription.attached(streamFinished: finished) }
        }
    }

    static var notYours: HTTPResponse {
        .error(.forbidden, code: "forbidden", message: "this stream was started by another client")
    }

    static func expired(_ streamID: String) -> HTTPResponse {
        .error(.gone, code: "stream_expired", message: ChatRelay.expiredMessage)
    }

    /// A chat that could not start, as an HTTP error with relayd's code.
    static func errorResponse(_ error: ProviderError) -> HTTPResponse {
        .error(status(for: error.code), code: error.code.rawValue, message: error.message)
    }

    static func status(for code: ProviderError.Code) -> HTTPStatus {
        switch code {
        case .badRequest, .unknownProvider: return .badRequest
        case .upstreamRateLimited: return .tooManyRequests
        case .upstreamUnavailable: return .serviceUnavailable
        case .upstreamTimeout: return .gatewayTimeout
        case .upstreamAuth, .upstreamTruncated, .upstreamError: return .badGateway
        case .internalError: return .internalServerError
        }
    }
}

/// SSE timing: comments while the provider is silent (proxies close quiet responses), and a
/// rollover before a platform's request cap (Railway cuts HTTP requests at 15 minutes).
public struct SSEConfiguration: Sendable {
    public var pingInterval: Double = 15
    public var maxSeconds: Double = 600
    public init() {}
}
