import HTTP1
import JSON
import Logging
import RelayIO
import WebSocket

/// What a WebSocket endpoint does with a session's messages. Called on the session's loop.
public protocol WebSocketHandler: AnyObject {
    func sessionDidOpen(_ session: WebSocketSession)
    /// A text or binary message (control frames are the session's business).
    func session(_ session: WebSocketSession, didReceive message: WebSocketMessage)
    /// The connection is gone; `code` is the close code sent or received, nil if it dropped.
    func sessionDidClose(_ session: WebSocketSession, code: CloseCode?)
    /// Shutdown began: whether the session may be closed now (1012), or has work to finish
    /// first, in which case the handler calls `beginDrain` again when it is done.
    func sessionMayCloseForDrain(_ session: WebSocketSession) -> Bool
    /// JSON members (without braces) the handler adds to the session's `/api/status` entry.
    func statusFields(now: ContinuousClock.Instant) -> String
}

extension WebSocketHandler {
    public func sessionMayCloseForDrain(_ session: WebSocketSession) -> Bool { true }
    public func statusFields(now: ContinuousClock.Instant) -> String { "" }
}

/// Makes the handler for a new session from its upgrade request.
public typealias WebSocketHandlerFactory = @Sendable (HTTPRequest) -> WebSocketHandler

/// One WebSocket connection after the handshake: reads frames through `MessageReader`,
/// answers pings, runs the close handshake and the keep-alive policy, and bounds what it
/// buffers for a slow client. Pinned to its connection's loop; the public methods may be
/// called from anywhere and hop there.
public final class WebSocketSession: ConnectionDelegate, ManagedConnection, @unchecked Sendable {
    enum State { case open, closing, closed }

    public let request: HTTPRequest
    public var id: UInt64 { connection.id }
    public var peer: SocketAddress { connection.peer }
    /// The event loop the session lives on; its handler is called there.
    public var loop: EventLoop { connection.loop }
    let connection: Connection
    private let context: ServerContext
    private let loopContext: LoopContext
    private let configuration: WebSocketConfiguration
    private let deflate: PermessageDeflate?
    private var reader: MessageReader
    private var keepAlive: WebSocketKeepAlive
    private var handler: WebSocketHandler?
    private var state = State.open
    /// The code that ended the session, for the log and the handler.
    private var closeCode: CloseCode?
    private let openedAt = ContinuousClock.now
    /// Called once when the connection closes (releases what the connection held).
    var onClose: (() -> Void)?
    /// Input is not read while the client's output is backed up (see `readMessages`).
    private var readingPaused = false

    init(connection: Connection, request: HTTPRequest, deflate: PermessageDeflate?, configuration: WebSocketConfiguration,
         handler: WebSocketHandler, context: ServerContext, loopContext: LoopContext) {
        self.connection = connection
        self.request = request
        self.deflate = deflate
        self.configuration = configuration
        self.handler = handler
        self.context = context
        self.loopContext = loopContext
        reader = MessageReader(limits: .init(maxMessageBytes: configuration.maxMessageBytes, maxFragments: configuration.maxFragments),
                               deflate: deflate, codecs: loopContext.codecs)
        keepAlive = WebSocketKeepAlive(pingInterval: .seconds(configuration.pingInterval), grace: .seconds(configuration.deadPeerGrace),
                                       closeTimeout: .seconds(configuration.closeTimeout), now: .now,
                                       firstPingAfter: .seconds(configuration.pingInterval * Double.random(in: 0.5...1)))
    }

    /// Takes over the connection; `leftover` are bytes that came after the handshake.
    func start(leftover: [UInt8]) {
        context.webSocketsOpen.add(1, ordering: .relaxed)
        context.metrics.webSocketConnects.increment()
        context.logger.info("WebSocket client connected", metadata: [
            "relayd.conn": "\(id)", "peer": "\(peer)", "path": "\(request.path)",
            "deflate": "\(deflate != nil)",
        ])
        handler?.sessionDidOpen(self)
        if !leftover.isEmpty {
            reader.append(leftover)
            readMessages()
        }
        connection.flush()
    }

    // MARK: Public API

    /// Sends a text message (the bytes must be UTF-8).
    public func send(text: [UInt8]) {
        connection.loop.execute { [self] in sendData(.text, text) }
    }

    public func send(text: String) { send(text: Array(text.utf8)) }

    public func send(binary: [UInt8]) {
        connection.loop.execute { [self] in sendData(.binary, binary) }
    }

    /// Starts the close handshake.
    public func close(_ code: CloseCode = .normal, reason: String = "") {
        connection.loop.execute { [self] in startClose(code, reason: reason) }
    }

    // MARK: ConnectionDelegate

    public func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        keepAlive.received(at: .now)
        reader.append(bytes)
        readMessages()
        connection.flush()
    }

    public func connectionDidReadEOF(_ connection: Connection) {
        // TCP closed without a close frame (1006, RFC 6455 §7.1.5) or after ours.
        connection.close()
    }

    /// The client read what was backed up: take its input again.
    public func connectionDidDrainOutbound(_ connection: Connection) {
        guard readingPaused, state != .closed else { return }
        readingPaused = false
        connection.setReading(true)
        readMessages()
        connection.flush()
    }

    public func connectionDidClose(_ connection: Connection) {
        state = .closed
        reader.releaseResources()
        loopContext.connections[id] = nil
        context.openConnections.subtract(1, ordering: .relaxed)
        context.webSocketsOpen.subtract(1, ordering: .relaxed)
        context.metrics.connectionClosed(.websocket)
        context.metrics.webSocketDisconnected(code: closeCode?.rawValue)
        onClose?()
        onClose = nil
        context.logger.info("WebSocket client disconnected", metadata: [
            "relayd.conn": "\(id)", "peer": "\(peer)", "code": "\(closeCode.map { String($0.rawValue) } ?? "1006")",
        ])
        let handler = self.handler
        self.handler = nil
        handler?.sessionDidClose(self, code: closeCode)
    }

    // MARK: Reading

    /// Handles the buffered frames, one message at a time, while the client reads what they
    /// produce. Once its unsent output passes the high watermark, input is no longer read
    /// (backpressure): a client that sends pings, or anything else that is answered, and
    /// never reads the answers cannot make relayd buffer them. Reading resumes when the
    /// socket drains; a client that never drains is dropped by the dead-peer rule.
    private func readMessages() {
        while state != .closed, !readingPaused {
            if connection.outboundByteCount >= context.configuration.outboundHighWatermark {
                connection.flush()
                if connection.isClosed { return }
                if connection.outboundByteCount >= context.configuration.outboundHighWatermark {
                    readingPaused = true
                    connection.setReading(false)
                    return
                }
            }
            let message: WebSocketMessage?
            do {
                message = try reader.next()
            } catch {
                fail(error)
                return
            }
            guard let message else { return }
            switch message {
            case .ping(let payload):
                if state == .open { writeFrame(.pong, payload) }
            case .pong:
                break // liveness is any frame; unsolicited pongs are fine (RFC 6455 §5.5.3)
            case .close(let code, _):
                receivedClose(code)
                return
            case .text, .binary:
                // After our close frame, data is read and dropped (RFC 6455 §1.4).
                if state == .open { handler?.session(self, didReceive: message) }
            }
        }
    }

    private func receivedClose(_ code: CloseCode?) {
        if state == .open {
            // Echo the code (RFC 6455 §5.5.1); an empty close is answered with an empty one.
            closeCode = code ?? .normal
            writeFrame(.close, code.map { FrameEncoder.closePayload($0) } ?? [])
        }
        state = .closing
        // The server closes the TCP connection first (RFC 6455 §7.1.1).
        connection.closeAfterFlush()
    }

    /// A protocol violation: close frame with its code, then drop the connection.
    private func fail(_ error: WebSocketError) {
        guard state != .closed else { return }
        if context.logsDebug {
            context.logger.debug("WebSocket protocol error", metadata: ["relayd.conn": "\(id)", "error": "\(error)"])
        }
        if state == .open {
            closeCode = error.closeCode
            writeFrame(.close, FrameEncoder.closePayload(error.closeCode, reason: error.message))
        }
        state = .closing
        connection.closeAfterFlush()
    }

    // MARK: Writing

    private func sendData(_ opcode: Opcode, _ payload: [UInt8]) {
        guard state == .open else { return }
        if let deflate, deflate.compressesOutbound, payload.count >= PermessageDeflate.minimumCompressedSize {
            let compressed = payload.withUnsafeBytes { loopContext.codecs.compress($0, windowBits: deflate.serverMaxWindowBits) }
            writeFrame(opcode, compressed, rsv1: true)
        } else {
            writeFrame(opcode, payload)
        }
    }

    private func checkBacklog() {
        if state == .open, connection.outboundByteCount > configuration.maxOutboundBytes {
            // The client cannot keep up. Tell it to reconnect and resume; then give it the
            // close timeout to read that, never more memory.
            context.webSocketsSlowClosed.add(1, ordering: .relaxed)
            context.metrics.slowClientClosed(.websocket)
            context.logger.info("closing slow WebSocket client", metadata: [
                "relayd.conn": "\(id)", "outbound_bytes": "\(connection.outboundByteCount)",
            ])
            startClose(.reconnectAndResume, reason: "too slow: reconnect and resume")
        }
    }

    /// Every frame leaves through here, control frames included, so every byte queued for
    /// the client counts toward `maxOutboundBytes`.
    private func writeFrame(_ opcode: Opcode, _ payload: [UInt8], rsv1: Bool = false) {
        connection.write { output in FrameEncoder.append(opcode: opcode, payload: payload, rsv1: rsv1, to: &output) }
        connection.flushAtEndOfTurn { [self] in checkBacklog() }
    }

    private func startClose(_ code: CloseCode, reason: String) {
        guard state == .open else { return }
        state = .closing
        closeCode = code
        writeFrame(.close, FrameEncoder.closePayload(code, reason: reason))
        keepAlive.closeSent(at: .now)
        connection.flush()
    }

    // MARK: ManagedConnection

    func checkTimeout(at now: ContinuousClock.Instant) {
        switch keepAlive.check(at: now) {
        case .none:
            break
        case .sendPing:
            if state == .open {
                writeFrame(.ping, [])
                connection.flush()
            }
        case .deadPeer:
            context.webSocketsDeadPeers.add(1, ordering: .relaxed)
            context.metrics.deadPeers.increment()
            context.logger.info("WebSocket heartbeat timeout", metadata: [
                "relayd.conn": "\(id)", "peer": "\(peer)",
                "silent_s": "\(keepAlive.lastReceived.duration(to: now).components.seconds)",
            ])
            closeCode = .heartbeatTimeout
            // Best effort: the peer is most likely gone, but a live one behind a stalled proxy
            // learns why.
            if state == .open { writeFrame(.close, FrameEncoder.closePayload(.heartbeatTimeout, reason: "no frame received in time")) }
            connection.flush()
            connection.close()
        case .closeTimedOut:
            connection.close()
        }
    }

    /// Shutdown: 1012 tells the client the server is restarting and when to come back. A
    /// session still relaying a live answer keeps it until the answer ends (its handler says
    /// when), so a deploy does not cut answers that only this process holds.
    public func beginDrain() {
        guard state == .open else { return }
        if handler?.sessionMayCloseForDrain(self) ?? true {
            startClose(.serviceRestart, reason: DrainHint.closeReason())
        }
    }

    func drainDeadline() { startClose(.serviceRestart, reason: DrainHint.closeReason()) }

    func forceClose() { connection.close() }

    func statusJSON(now: ContinuousClock.Instant) -> String {
        var fields = "{\"id\":\(id),\"transport\":\"websocket\",\"peer\":\(JSONText.quote(peer.description))"
        if let clientIP = request.clientIP { fields += ",\"client_ip\":\(JSONText.quote(clientIP))" }
        fields += ",\"path\":\(JSONText.quote(String(request.path))),\"age_s\":\(openedAt.duration(to: now).statusSeconds)"
        fields += ",\"last_frame_s_ago\":\(keepAlive.lastReceived.duration(to: now).statusSeconds)"
        if let extra = handler?.statusFields(now: now), !extra.isEmpty { fields += "," + extra }
        return fields + "}"
    }
}
