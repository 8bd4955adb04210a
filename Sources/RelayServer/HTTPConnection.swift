import HTTP1
import Logging
import RelayIO

/// Drives one connection through HTTP/1.1: feeds reads to the parser, runs one exchange at
/// a time (responses leave in request order because the next request is not parsed before
/// the current response ends), applies the timeout policy, and decides when to read, flush
/// and close. Lives on its connection's loop; all its state is confined there.
final class HTTPConnection: ConnectionDelegate, @unchecked Sendable {
    let connection: Connection
    private let context: ServerContext
    private let loopContext: LoopContext
    private var parser: RequestParser
    private var deadline: ConnectionDeadline
    /// The request being read: its head and the body so far.
    private var head: RequestHead?
    private var body: [UInt8] = []
    /// The exchange whose response is pending.
    private var exchange: HTTPResponder?
    private var streamingChunked = false
    private var keepAlive = true
    private var inputClosed = false
    private var draining = false
    private var closing = false
    private var processing = false

    init(connection: Connection, context: ServerContext, loopContext: LoopContext) {
        self.connection = connection
        self.context = context
        self.loopContext = loopContext
        parser = RequestParser(limits: context.configuration.limits)
        deadline = ConnectionDeadline(
            headerTimeout: .milliseconds(Int64(context.configuration.headerTimeout * 1000)),
            idleTimeout: .milliseconds(Int64(context.configuration.idleTimeout * 1000)),
            now: .now)
    }

    private var configuration: ServerConfiguration { context.configuration }

    // MARK: ConnectionDelegate

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        deadline.received(at: .now)
        parser.append(bytes)
        processInput()
    }

    func connectionDidReadEOF(_ connection: Connection) {
        inputClosed = true
        if streamingChunked {
            // The client left in the middle of a stream; nobody will read the rest.
            connection.close()
            return
        }
        processInput()
    }

    func connectionDidDrainOutbound(_ connection: Connection) {
        updateReading()
        exchange?.connectionDrained()
    }

    func connectionDidClose(_ connection: Connection) {
        loopContext.connections[connection.id] = nil
        context.openConnections.subtract(1, ordering: .relaxed)
        exchange?.end(closed: true)
        exchange = nil
        if context.logger.logLevel <= .trace {
            context.logger.trace("connection closed", metadata: ["relayd.conn": "\(connection.id)"])
        }
    }

    // MARK: Input

    /// Parses and dispatches buffered requests until one is pending or more bytes are needed.
    private func processInput() {
        guard !processing else { return }
        processing = true
        defer { processing = false }
        while !closing, exchange == nil {
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
                body.append(contentsOf: piece)
            case .end:
                dispatch()
            }
        }
        if !closing, exchange == nil {
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
        if case .contentLength(let length) = head.framing { body.reserveCapacity(min(length, 64 * 1024)) }
        deadline.enter(.readingBody, at: .now)
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

    private func dispatch() {
        guard let head else { return }
        self.head = nil
        let request = HTTPRequest(head: head, body: body, peer: connection.peer, connectionID: connection.id)
        body = []
        keepAlive = head.keepAlive && !draining && !context.isDraining
        deadline.enter(.responding, at: .now)
        let responder = HTTPResponder(request: request, loop: connection.loop, connection: self)
        exchange = responder
        route(request, responder)
    }

    private func route(_ request: HTTPRequest, _ responder: HTTPResponder) {
        let origin = request.headers["Origin"]
        if request.method == .options {
            if let origin, request.headers.contains("Access-Control-Request-Method") {
                let methods = context.router.allow(for: request.path) ?? "GET, HEAD, POST, OPTIONS"
                responder.respond(configuration.cors.preflightResponse(origin: origin, methods: methods))
                return
            }
            if let allow = context.router.allow(for: request.path) {
                responder.respond(HTTPResponse(status: .noContent, headers: ["Allow": allow]))
            } else if request.head.target == "*" {
                responder.respond(HTTPResponse(status: .noContent, headers: ["Allow": "GET, HEAD, POST, OPTIONS"]))
            } else {
                responder.respond(.error(.notFound, code: "not_found", message: "no such endpoint"))
            }
            return
        }
        switch context.router.resolve(request.method, request.path) {
        case .handler(let handler):
            handler(request, responder)
        case .methodNotAllowed(let allow):
            responder.respond(.error(.methodNotAllowed, code: "method_not_allowed",
                                     message: "\(request.method) is not allowed here", headers: ["Allow": allow]))
        case .notFound:
            responder.respond(.error(.notFound, code: "not_found", message: "no such endpoint"))
        }
    }

    /// The headers every response gets: CORS, Date, and the connection's fate.
    private func finalHeaders(_ headers: HeaderFields, for request: HTTPRequest) -> HeaderFields {
        var headers = headers
        configuration.cors.responseHeaders(origin: request.headers["Origin"], into: &headers)
        headers.add("Date", loopContext.date)
        if !keepAlive {
            headers.add("Connection", "close")
        } else if request.head.version == .http1_0 {
            headers.add("Connection", "keep-alive")
        }
        return headers
    }

    func sendResponse(_ response: HTTPResponse, for responder: HTTPResponder) {
        guard responder === exchange else { return }
        responder.status = response.status
        var headers = finalHeaders(response.headers, for: responder.request)
        if !response.status.forbidsBody {
            headers.replace("Content-Length", with: String(response.body.count))
        }
        let head = ResponseHead(status: response.status, headers: headers)
        let includeBody = responder.request.method != .head && !response.status.forbidsBody
        connection.write { output in
            head.encode(into: &output)
            if includeBody { output.append(contentsOf: response.body) }
        }
        complete(responder)
    }

    func startStream(status: HTTPStatus, headers: HeaderFields, for responder: HTTPResponder) {
        guard responder === exchange else { return }
        responder.status = status
        let request = responder.request
        if request.head.version == .http1_0 { keepAlive = false } // close-delimited (RFC 9112 §6.3)
        var headers = finalHeaders(headers, for: request)
        streamingChunked = request.head.version == .http1_1
        if streamingChunked { headers.replace("Transfer-Encoding", with: "chunked") }
        connection.write(encoding: ResponseHead(status: status, headers: headers).encode)
        if request.method == .head {
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
        connection.flush()
        if connection.outboundByteCount > configuration.maxOutboundBytes {
            // A client that cannot keep up: closing is better than growing without bound.
            context.logger.info("closing slow client", metadata: [
                "relayd.conn": "\(connection.id)", "outbound_bytes": "\(connection.outboundByteCount)",
            ])
            connection.close()
            return
        }
        updateReading()
    }

    func finishStream(for responder: HTTPResponder) {
        guard responder === exchange else { return }
        if streamingChunked { connection.write(ChunkedEncoder.end) }
        streamingChunked = false
        complete(responder)
    }

    /// Ends the current exchange and moves on to the next request, if any.
    private func complete(_ responder: HTTPResponder) {
        if context.logger.logLevel <= .debug {
            let request = responder.request
            context.logger.debug("request", metadata: [
                "relayd.conn": "\(connection.id)",
                "method": "\(request.method)", "path": "\(request.path)",
                "status": "\(responder.status?.code ?? 0)",
            ])
        }
        exchange = nil
        responder.end(closed: false)
        if !keepAlive {
            closing = true
            connection.closeAfterFlush()
            return
        }
        deadline.enter(parser.isMidRequest ? .awaitingHead : .idle, at: .now)
        if processing { return } // the parse loop goes on by itself
        processInput()
    }

    /// Answers an error and closes: after a parse error the byte stream cannot be trusted.
    private func reject(_ status: HTTPStatus, message: String, head: RequestHead?) {
        guard !closing else { return }
        closing = true
        var headers: HeaderFields = ["Connection": "close", "Date": loopContext.date]
        if let head { configuration.cors.responseHeaders(origin: head.headers["Origin"], into: &headers) }
        let response = HTTPResponse.error(status, code: HTTPResponse.errorCode(for: status), message: message, headers: headers)
        var responseHeaders = response.headers
        responseHeaders.add("Content-Length", String(response.body.count))
        connection.write { output in
            ResponseHead(status: status, headers: responseHeaders).encode(into: &output)
            output.append(contentsOf: response.body)
        }
        if context.logger.logLevel <= .debug {
            context.logger.debug("request rejected", metadata: [
                "relayd.conn": "\(connection.id)", "status": "\(status.code)", "reason": "\(message)",
            ])
        }
        connection.closeAfterFlush()
    }

    // MARK: Timeouts and drain

    func checkTimeout(at now: ContinuousClock.Instant) {
        guard !closing else { return }
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

    func forceClose() { connection.close() }
}
