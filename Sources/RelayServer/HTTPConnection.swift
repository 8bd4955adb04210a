import HTTP1
import JSON
import Logging
import RelayIO
import WebSocket

/// Drives one connection through HTTP/1.1: feeds reads to the parser, runs one exchange at
/// a time (responses leave in request order because the next request is not parsed before
/// the current response ends), applies the timeout policy, and decides when to read, flush
/// and close. Lives on its connection's loop; all its state is confined there.
final class HTTPConnection: ConnectionDelegate, ManagedConnection, @unchecked Sendable {
    let connection: Connection
    private let context: ServerContext
    private let loopContext: LoopContext
    private var parser: RequestParser
    private var deadline: ConnectionDeadline
    /// The request being read: its head and the body so far.
    private var head: RequestHead?
    private var body: [UInt8] = []
    /// What the request being read will get, decided from its head alone, before any of its
    /// body is read: who it is from, whether that client and its `Host` and `Origin` may
    /// call, and which route answers. A body nobody will use is never read.
    private var decision: Decision?
    /// The request being read as the route will see it (principal and client IP set).
    private var pendingRequest: HTTPRequest?
    /// Body bytes of this request counted in the server-wide budget (`maxBodyBytesInFlight`).
    private var bodyBytesReserved = 0
    /// The connection was refused by a per-IP limit: its one response closes it.
    private var refusedConnection = false

    private enum Decision {
        /// An answer known from the head: a refusal, a preflight, 404, 405.
        case respond(HTTPResponse)
        case upgrade(WebSocketRoute)
        case handle(RouteHandler)
    }
    /// The exchange whose response is pending.
    private var exchange: HTTPResponder?
    private var streamingChunked = false
    private var keepAlive = true
    private var inputClosed = false
    private var draining = false
    private var closing = false
    private var processing = false
    /// The connection now speaks WebSocket; this object is done with it.
    private var upgraded = false
    /// What the connection carries now, for the open-connections gauge.
    private var transport = RelayMetrics.Transport.http
    private let openedAt = ContinuousClock.now
    /// The client's address, once its first request was admitted (per-IP limits count it
    /// until the connection closes).
    private var clientIP: String?

    init(connection: Connection, context: ServerContext, loopContext: LoopContext) {
        self.connection = connection
        self.context = context
        self.loopContext = loopContext
        parser = RequestParser(limits: context.configuration.limits)
        deadline = ConnectionDeadline(
            headerTimeout: .milliseconds(Int64(context.configuration.headerTimeout * 1000)),
            bodyTimeout: .milliseconds(Int64(context.configuration.bodyTimeout * 1000)),
            idleTimeout: .milliseconds(Int64(context.configuration.idleTimeout * 1000)),
            now: .now)
    }

    private var configuration: ServerConfiguration { context.configuration }
    private var sendTimeout: Duration { .milliseconds(Int64(context.configuration.sendTimeout * 1000)) }

    // MARK: ConnectionDelegate

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        deadline.received(at: .now)
        parser.append(bytes)
        processInput()
    }

    func connectionDidReadEOF(_ connection: Connection) {
        inputClosed = true
        if exchange != nil {
            // The client left while its request was being answered (a closed tab, a
            // cancelled fetch): abort, so the route's onEnd handlers stop whatever it started.
            connection.close()
            return
        }
        processInput()
    }

    func connectionDidDrainOutbound(_ connection: Connection) {
        if let exchange {
            exchange.connectionDrained()
        } else {
            processInput() // pipelined requests waiting for the output to drain
        }
    }

    func connectionDidClose(_ connection: Connection) {
        closing = true // nothing more is parsed or dispatched
        releaseBodyBytes()
        loopContext.connections[connection.id] = nil
        context.openConnections.subtract(1, ordering: .relaxed)
        context.metrics.connectionClosed(transport)
        if let clientIP { context.access.connectionClosed(from: clientIP) }
        exchange?.end()
        exchange = nil
        if context.logsTrace {
            context.logger.trace("connection closed", metadata: ["relayd.conn": "\(connection.id)"])
        }
    }

    // MARK: Input

    /// Parses and dispatches buffered requests until one is pending or more bytes are needed.
    private func processInput() {
        guard !processing else { return }
        processing = true
        defer { processing = false }
        // Pipelined requests wait while output is above the watermark: a client that sends
        // requests but does not read the answers cannot make the server buffer them all.
        while !closing, !upgraded, exchange == nil, !connection.isClosed {
            if connection.outboundByteCount >= configuration.outboundHighWatermark {
                // Hand what we can to the kernel; go on only if that brought us under.
                connection.flush()
                if connection.isClosed || connection.outboundByteCount >= configuration.outboundHighWatermark { break }
            }
            let event: RequestParserEvent?
            do {
                event = try parser.next()
            } catch {
                reject(error.status, message: error.message, head: error.head ?? head)
                break
            }
            guard let event else { break }
            switch event {
            case .head(let head):
                received(head)
            case .body(let piece):
                guard reserveBodyBytes(piece.count) else {
                    refuse(.error(.serviceUnavailable, code: "server_busy", message: "too many request bodies in flight; try again shortly",
                                  headers: ["Retry-After": "2"]), head: head)
                    break
                }
                body.append(contentsOf: piece)
            case .end:
                dispatch()
            }
        }
        guard !connection.isClosed, !upgraded else { return }
        if !closing, exchange == nil, connection.outboundByteCount < configuration.outboundHighWatermark {
            if inputClosed {
                closing = true
                connection.closeAfterFlush()
            } else if draining, !parser.isMidRequest {
                closing = true
                connection.closeAfterFlush()
            } else if deadline.phase == .responding {
                deadline.enter(parser.isMidRequest ? .awaitingHead : .idle, at: .now)
            }
        }
        connection.flush()
        updateReading()
    }

    private func received(_ head: RequestHead) {
        self.head = head
        body = []
        deadline.enter(.readingBody, at: .now)
        var request = HTTPRequest(head: head, body: [], peer: connection.peer, connectionID: connection.id)
        let decision = decide(&request)
        if head.framing != .none, head.framing != .contentLength(0) {
            switch decision {
            case .handle where Self.methodsWithBody.contains(head.method):
                break
            case .respond(let response):
                return refuse(response, head: head)
            case .handle, .upgrade:
                return refuse(.error(.contentTooLarge, code: "content_too_large", message: "this endpoint takes no request body"), head: head)
            }
        }
        self.decision = decision
        pendingRequest = request
        if case .contentLength(let length) = head.framing { body.reserveCapacity(min(length, 64 * 1024)) }
        if let expect = head.headers["Expect"] {
            guard asciiCaseInsensitiveEquals(expect, "100-continue") else {
                reject(.expectationFailed, message: "only 100-continue is supported", head: head)
                return
            }
            // Only when the client is actually holding the body back.
            if head.expectsContinue, parser.bufferedByteCount == 0 {
                connection.write(HTTPWire.continueResponse)
                connection.flush()
            }
        }
    }

    private func updateReading() {
        guard !connection.isClosed else { return }
        let wanted = !closing && !inputClosed
            && connection.outboundByteCount < configuration.outboundHighWatermark
            && (exchange == nil || parser.bufferedByteCount < configuration.pipelineBufferLimit)
        connection.setReading(wanted)
    }

    // MARK: Exchanges

    /// Methods whose requests may carry a body to a route (the chat endpoints take `POST`).
    private static let methodsWithBody: Set<HTTPMethod> = [.post, .put, .patch]

    /// Runs the request whose last byte just arrived, as decided from its head.
    private func dispatch() {
        guard head != nil, var request = pendingRequest, let decision else { return }
        head = nil
        pendingRequest = nil
        self.decision = nil
        keepAlive = request.head.keepAlive && !draining && !context.isDraining && !refusedConnection
        deadline.enter(.responding, at: .now)
        // The responder keeps the request for the exchange's life (minutes, for a stream):
        // without its body, which the route alone reads now.
        let responder = HTTPResponder(request: request, loop: connection.loop, connection: self)
        request.body = body
        body = []
        releaseBodyBytes()
        exchange = responder
        switch decision {
        case .respond(let response): responder.respond(response)
        case .upgrade(let route): upgrade(request, responder, route)
        case .handle(let handler): handler(request, responder)
        }
    }

    /// Everything that depends on the head alone: per-IP admission (a connection's first
    /// request), `Host` and `Origin`, authentication, and the route.
    private func decide(_ request: inout HTTPRequest) -> Decision {
        // Evaluated per request: a proxy may carry several clients' requests on one connection.
        let ip = context.access.clientIP(request)
        if clientIP == nil {
            // The per-IP connection count keeps the first request's address for the
            // connection's life (a count needs one key to release); rate limits and principals
            // use each request's own.
            if let rejection = context.access.admitConnection(from: ip) {
                refusedConnection = true
                return .respond(rejection.response)
            }
            clientIP = ip
        }
        request.clientIP = ip
        if let rejection = checkHostAndOrigin(request) { return .respond(rejection) }
        let webSocket = context.webSocketRoutes[String(request.path)]
        if request.method != .options, let rejection = authorize(&request, webSocket: webSocket) {
            return .respond(rejection.response)
        }
        if let webSocket, request.method != .options { return .upgrade(webSocket) }
        if request.method == .options {
            if let origin = request.headers["Origin"], request.headers.contains("Access-Control-Request-Method") {
                let methods = context.router.allow(for: request.path) ?? "GET, HEAD, POST, OPTIONS"
                return .respond(configuration.cors.preflightResponse(origin: origin, methods: methods))
            }
            if let allow = context.router.allow(for: request.path) {
                return .respond(HTTPResponse(status: .noContent, headers: ["Allow": allow]))
            } else if request.head.target == "*" {
                return .respond(HTTPResponse(status: .noContent, headers: ["Allow": "GET, HEAD, POST, OPTIONS"]))
            }
            return .respond(.error(.notFound, code: "not_found", message: "no such endpoint"))
        }
        switch context.router.resolve(request.method, request.path) {
        case .handler(let handler):
            return .handle(handler)
        case .methodNotAllowed(let allow):
            return .respond(.error(.methodNotAllowed, code: "method_not_allowed",
                                   message: "\(request.method) is not allowed here", headers: ["Allow": allow]))
        case .notFound:
            return .respond(.error(.notFound, code: "not_found", message: "no such endpoint"))
        }
    }

    /// Counts body bytes against the server-wide budget: many slow uploads at once cannot
    /// hold more than `maxBodyBytesInFlight` between them.
    private func reserveBodyBytes(_ count: Int) -> Bool {
        guard context.bodyBytesInFlight.add(count, ordering: .relaxed).newValue <= configuration.maxBodyBytesInFlight else {
            context.bodyBytesInFlight.subtract(count, ordering: .relaxed)
            context.metrics.rejected("body_bytes")
            return false
        }
        bodyBytesReserved += count
        return true
    }

    private func releaseBodyBytes() {
        guard bodyBytesReserved > 0 else { return }
        context.bodyBytesInFlight.subtract(bodyBytesReserved, ordering: .relaxed)
        bodyBytesReserved = 0
    }

    /// Refusals that come before anything else a request could do. A `Host` this relayd does
    /// not answer to (DNS rebinding). A cross-origin request that changes something (`POST`,
    /// `DELETE`…) from a page whose origin is not allowed: browsers send a `text/plain` POST
    /// without a preflight, so CORS alone would let any site start chats with the operator's
    /// keys; the browser still sends `Origin`, and that is what is checked here.
    private func checkHostAndOrigin(_ request: HTTPRequest) -> HTTPResponse? {
        let host = request.headers["Host"]
        if let allowed = configuration.allowedHosts, request.path != "/health", !allowed.allows(host: host) {
            context.metrics.rejected("host_not_allowed")
            return .error(.forbidden, code: "host_not_allowed", message: "this Host is not served here; see --allowed-hosts")
        }
        switch request.method {
        case .get, .head, .options:
            return nil
        default:
            guard let origin = request.headers["Origin"], !configuration.cors.admits(origin: origin, host: host) else { return nil }
            context.metrics.rejected("origin_not_allowed")
            return .error(.forbidden, code: "origin_not_allowed", message: "origin is not in --cors-origins")
        }
    }

    /// Who may call what: the admin endpoints need the admin token; `/api/` routes and
    /// WebSocket upgrades get their principal (a bearer token when clients authenticate, else
    /// the client's address). An upgrade to `/ws` without a token is let through: the session
    /// then wants an `auth` message first (browsers cannot set headers on WebSockets). Other
    /// WebSocket routes (the echo endpoint) cannot authenticate by message, so they need the
    /// token on the upgrade.
    private func authorize(_ request: inout HTTPRequest, webSocket: WebSocketRoute?) -> AccessRejection? {
        let path = request.path
        if path == "/metrics" || path == "/api/status" { return context.access.authorizeAdmin(request, path: path) }
        let isWebSocket = webSocket != nil
        guard isWebSocket || path.hasPrefix("/api/") else { return nil }
        let queryToken = isWebSocket ? request.head.queryValue("token").flatMap { $0.isEmpty ? nil : PercentDecoding.decode($0) } : nil
        if webSocket?.authenticatesByMessage == true, context.access.authenticationEnabled, queryToken == nil,
           request.headers["Authorization"] == nil {
            return nil
        }
        switch context.access.principal(for: request, ip: request.clientIP ?? request.peer.host, queryToken: queryToken) {
        case .success(let authentication):
            request.principal = authentication.principal
            request.principalExpiresAt = authentication.expiresAt
            return nil
        case .failure(let rejection):
            return rejection
        }
    }

    /// The opening handshake (RFC 6455 §4.2.2). The origin is checked against the CORS
    /// allowlist, because CORS does not protect WebSockets: a page on any site may open one.
    private func upgrade(_ request: HTTPRequest, _ responder: HTTPResponder, _ route: WebSocketRoute) {
        if draining || context.isDraining {
            // A session opened now would only be told to go (1012) a moment later.
            responder.respond(.error(.serviceUnavailable, code: "draining", message: "server restarting, reconnect shortly",
                                     headers: ["Retry-After": "1"]))
            return
        }
        if let origin = request.headers["Origin"], !configuration.cors.admits(origin: origin, host: request.headers["Host"]) {
            context.metrics.rejected("origin_not_allowed")
            responder.respond(.error(.forbidden, code: "origin_not_allowed", message: "origin is not in --cors-origins"))
            return
        }
        let accepted: Handshake.Accepted
        switch Handshake.accept(request.head, allowDeflate: route.configuration.deflate) {
        case .failure(let rejection):
            var headers = HeaderFields()
            for (name, value) in rejection.headers { headers.add(name, value) }
            responder.respond(.error(rejection.status, code: rejection.status == .upgradeRequired ? "upgrade_required" : HTTPResponse.errorCode(for: rejection.status),
                                     message: rejection.message, headers: headers))
            return
        case .success(let value):
            accepted = value
        }
        exchange = nil
        responder.end()
        upgraded = true
        context.metrics.request(route: String(request.path), status: 101) // a configured WebSocket path
        context.metrics.connectionSwitched(from: transport, to: .websocket)
        connection.write { output in
            ResponseHead.appendStatusLine(.switchingProtocols, to: &output)
            for field in accepted.responseHeaders { ResponseHead.appendField(field.name, field.value, to: &output) }
            ResponseHead.appendEnd(to: &output)
        }
        let session = WebSocketSession(
            connection: connection, request: request, deflate: accepted.deflate, configuration: route.configuration,
            handler: route.makeHandler(request, context), context: context, loopContext: loopContext)
        loopContext.connections[connection.id] = session
        if let clientIP {
            // The session holds the connection's place in the per-IP count from now on.
            let access = context.access
            session.onClose = { access.connectionClosed(from: clientIP) }
            self.clientIP = nil
        }
        connection.replaceDelegate(session)
        connection.setReading(true)
        session.start(leftover: parser.takeBufferedBytes())
    }

    /// How a response's body is delimited.
    private enum Framing {
        case contentLength(Int)
        case chunked
        /// No length: 1xx/204/304, or a body that ends when the connection closes (HTTP/1.0 stream).
        case none
    }

    /// Writes a status line, the route's headers, and the fields every response gets (CORS,
    /// Date, framing, the connection's fate) straight into the outbound buffer: no header
    /// list is built per response. `body` follows the head.
    private func writeHead(_ status: HTTPStatus, _ headers: HeaderFields, origin: String?, framing: Framing, body: [UInt8]? = nil) {
        let date = loopContext.date
        let connectionValue: String? = !keepAlive ? "close" : (keepAliveNeedsSaying ? "keep-alive" : nil)
        let cors = configuration.cors
        connection.write { output in
            ResponseHead.appendStatusLine(status, to: &output)
            for field in headers { ResponseHead.appendField(field.name, field.value, to: &output) }
            cors.forEachResponseHeader(origin: origin, existing: headers) { ResponseHead.appendField($0, $1, to: &output) }
            ResponseHead.appendField("Date", date, to: &output)
            switch framing {
            case .contentLength(let length): ResponseHead.appendField("Content-Length", decimal: length, to: &output)
            case .chunked: ResponseHead.appendField("Transfer-Encoding", "chunked", to: &output)
            case .none: break
            }
            if let connectionValue { ResponseHead.appendField("Connection", connectionValue, to: &output) }
            ResponseHead.appendEnd(to: &output)
            if let body { output.append(contentsOf: body) }
        }
    }

    /// HTTP/1.0 keeps a connection only when both sides say so (RFC 9112 §9.3).
    private var keepAliveNeedsSaying = false

    func sendResponse(_ response: HTTPResponse, for responder: HTTPResponder) {
        guard responder === exchange else { return }
        responder.status = response.status
        let request = responder.request
        keepAliveNeedsSaying = request.head.version == .http1_0
        let forbidsBody = response.status.forbidsBody
        writeHead(response.status, response.headers, origin: request.headers["Origin"],
                  framing: forbidsBody ? .none : .contentLength(response.body.count),
                  body: request.method == .head || forbidsBody ? nil : response.body)
        complete(responder)
    }

    func startStream(status: HTTPStatus, headers: HeaderFields, for responder: HTTPResponder) {
        guard responder === exchange else { return }
        responder.status = status
        let request = responder.request
        if request.head.version == .http1_0 { keepAlive = false } // close-delimited (RFC 9112 §6.3)
        keepAliveNeedsSaying = false
        streamingChunked = request.head.version == .http1_1 && !status.forbidsBody
        writeHead(status, headers, origin: request.headers["Origin"], framing: streamingChunked ? .chunked : .none)
        if headers["Content-Type"]?.hasPrefix("text/event-stream") == true {
            context.metrics.connectionSwitched(from: transport, to: .sse)
            transport = .sse
        }
        if request.method == .head || status.forbidsBody {
            // 1xx, 204 and 304 never have content (RFC 9110 §6.4.1): the stream is empty.
            streamingChunked = false
            complete(responder)
            return
        }
        connection.flush()
    }

    func writeStream(_ bytes: [UInt8], for responder: HTTPResponder) {
        guard responder === exchange, responder.request.method != .head, !bytes.isEmpty else { return }
        if streamingChunked {
            connection.write { ChunkedEncoder.appendChunk(bytes, to: &$0) }
        } else {
            connection.write(bytes)
        }
        flushStreamSoon()
    }

    /// Streamed pieces written in one loop turn (several SSE events from one read of the
    /// provider) leave in one `send`, as WebSocket frames do.
    private func flushStreamSoon() {
        connection.flushAtEndOfTurn { [self] in
            if connection.outboundByteCount > configuration.maxOutboundBytes {
                // A client that cannot keep up: closing is better than growing without bound.
                context.logger.info("closing slow client", metadata: [
                    "relayd.conn": "\(connection.id)", "outbound_bytes": "\(connection.outboundByteCount)",
                ])
                context.metrics.slowClientClosed(transport)
                connection.close()
                return
            }
            updateReading()
        }
    }

    func finishStream(for responder: HTTPResponder) {
        guard responder === exchange else { return }
        if streamingChunked { connection.write(ChunkedEncoder.end) }
        streamingChunked = false
        flushStreamSoon()
        complete(responder)
    }

    /// Ends the current exchange and moves on to the next request, if any.
    private func complete(_ responder: HTTPResponder) {
        context.metrics.request(route: context.router.label(for: responder.request.path), status: responder.status?.code ?? 0)
        if transport == .sse {
            context.metrics.connectionSwitched(from: .sse, to: .http)
            transport = .http
        }
        if context.logsDebug {
            let request = responder.request
            context.logger.debug("request", metadata: [
                "relayd.conn": "\(connection.id)",
                "method": "\(request.method)", "path": "\(request.path)",
                "status": "\(responder.status?.code ?? 0)",
            ])
        }
        exchange = nil
        responder.end()
        if !keepAlive {
            closing = true
            connection.closeAfterFlush()
            return
        }
        deadline.enter(parser.isMidRequest ? .awaitingHead : .idle, at: .now)
        if processing { return } // the parse loop goes on by itself
        processInput()
    }

    /// Answers from the head, before the body is read, and closes: the unread body is
    /// discarded by the lingering close, never buffered.
    private func refuse(_ response: HTTPResponse, head: RequestHead?) {
        guard !closing else { return }
        closing = true
        keepAlive = false
        decision = nil
        pendingRequest = nil
        body = []
        releaseBodyBytes()
        context.metrics.request(route: head.map { context.router.label(for: $0.path) } ?? "unparsed", status: response.status.code)
        writeHead(response.status, response.headers, origin: head?.headers["Origin"], framing: .contentLength(response.body.count),
                  body: head?.method == .head ? nil : response.body)
        if context.logsDebug {
            context.logger.debug("request refused before its body", metadata: [
                "relayd.conn": "\(connection.id)", "status": "\(response.status.code)",
            ])
        }
        connection.closeAfterFlush()
    }

    /// Answers an error and closes: after a parse error the byte stream cannot be trusted.
    private func reject(_ status: HTTPStatus, message: String, head: RequestHead?) {
        guard !closing else { return }
        closing = true
        keepAlive = false
        let response = HTTPResponse.error(status, code: HTTPResponse.errorCode(for: status), message: message)
        context.metrics.request(route: "unparsed", status: status.code)
        writeHead(status, response.headers, origin: head?.headers["Origin"], framing: .contentLength(response.body.count), body: response.body)
        if context.logsDebug {
            context.logger.debug("request rejected", metadata: [
                "relayd.conn": "\(connection.id)", "status": "\(status.code)", "reason": "\(message)",
            ])
        }
        connection.closeAfterFlush()
    }

    // MARK: Timeouts and drain

    func checkTimeout(at now: ContinuousClock.Instant) {
        guard !closing else { return }
        if connection.hasUnsentOutput(checkingKernelQueue: deadline.phase == .idle) {
            // Output is still leaving: the connection is not idle. It is stuck only if the
            // client has taken nothing for the send timeout.
            if connection.lastWriteProgress.duration(to: now) >= sendTimeout {
                closing = true
                connection.close()
            }
            return
        }
        switch deadline.check(at: now) {
        case .none:
            break
        case .requestTimeout:
            reject(.requestTimeout, message: "request not received in time", head: head)
            connection.flush()
        case .close:
            closing = true
            connection.close()
        }
    }

    /// Shutdown has begun: finish the exchange in flight (its response says
    /// `Connection: close`), and close as soon as nothing is pending.
    func beginDrain() {
        draining = true
        keepAlive = false
        guard exchange == nil, !closing else { return }
        if !parser.isMidRequest {
            closing = true
            connection.closeAfterFlush()
        }
    }

    func drainDeadline() { exchange?.drainDeadlineReached() }

    func statusJSON(now: ContinuousClock.Instant) -> String {
        var fields = "{\"id\":\(connection.id),\"transport\":\"\(transport.rawValue)\",\"peer\":\(JSONText.quote(connection.peer.description))"
        if let clientIP { fields += ",\"client_ip\":\(JSONText.quote(clientIP))" }
        fields += ",\"age_s\":\(openedAt.duration(to: now).statusSeconds)"
        if let exchange { fields += ",\"request\":\(JSONText.quote("\(exchange.request.method) \(exchange.request.path.prefix(200))"))" }
        return fields + "}"
    }

    func forceClose() { connection.close() }
}
