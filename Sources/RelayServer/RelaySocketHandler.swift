import Access
import JSON
import Foundation
import Logging
import RelayIO
import Streams
import Upstream
import WebSocket

/// relayd's message protocol on `/ws`: JSON text frames, each an object with a `type`.
/// Anything a client gets wrong at this level (malformed JSON, an unknown type, a binary
/// frame) is answered with an `error` event and the connection stays open; only protocol
/// violations close it. Several chats may run at once; each is a stream (`LiveStream`) that
/// outlives this connection: closing it detaches, and `resume` attaches again, here or on
/// another connection. Called on the session's loop, so its dictionaries need no lock.
final class RelaySocketHandler: WebSocketHandler, @unchecked Sendable {
    private let context: ServerContext
    private let relay: ChatRelay
    private var subscription: SocketSubscription?
    /// Who this connection acts for; nil until a first `auth` message when clients
    /// authenticate and the upgrade carried no token.
    private var principal: Principal?
    /// When the session's token expires (a JWT's `exp`); the session is closed then unless a
    /// new `auth` message brings a later one. Nil for static tokens and without authentication.
    private var expiresAt: Double?
    /// Bumped by every (re)authentication: an older expiry timer that fires finds it stale.
    private var expiryGeneration = 0
    private var lastHeartbeat: ContinuousClock.Instant?
    /// Streams this connection is attached to, by stream id, until they end.
    fileprivate var attached: [String: LiveStream] = [:]
    /// The same streams by chat `id` (a client names its chats by it): O(1) look-ups for a
    /// new chat's duplicate check and for `cancel`, however many run here.
    private var streamIDsByChat: [String: String] = [:]

    init(context: ServerContext, relay: ChatRelay, principal: Principal?, expiresAt: Double? = nil) {
        self.context = context
        self.relay = relay
        self.principal = principal
        self.expiresAt = expiresAt
    }

    /// How long a connection that must authenticate by message may stay without doing so.
    static let authenticationTimeout = 10.0

    func sessionDidOpen(_ session: WebSocketSession) {
        subscription = SocketSubscription(session: session, handler: self)
        if principal == nil {
            session.loop.schedule(after: Self.authenticationTimeout) { [weak self, weak session] in
                guard let self, let session, self.principal == nil else { return }
                self.relay.metrics.rejected("unauthorized")
                session.close(.policyViolation, reason: "authentication required")
            }
        } else {
            armExpiry(session)
        }
    }

    /// The longest single wait of the expiry timer; a later expiry re-arms when it fires
    /// (a delay of centuries would overflow the loop's nanosecond deadline).
    static let longestExpiryWait = 86_400.0

    /// Closes the session (1008, reason `token_expired`) when its token stops being accepted:
    /// a WebSocket must not outlive the credential that opened it. A new `auth` message with
    /// a fresh token re-arms it.
    private func armExpiry(_ session: WebSocketSession) {
        expiryGeneration &+= 1
        guard let expiresAt else { return }
        let generation = expiryGeneration
        let deadline = relay.access.acceptedUntil(expiresAt: expiresAt)
        let delay = min(max(0, deadline - AccessPolicy.now), Self.longestExpiryWait)
        session.loop.schedule(after: delay) { [weak self, weak session] in
            guard let self, let session, self.expiryGeneration == generation else { return }
            guard AccessPolicy.now >= deadline else { return self.armExpiry(session) } // a long wait, in steps
            self.relay.metrics.rejected("token_expired")
            session.close(.policyViolation, reason: "token_expired")
        }
    }

    func sessionDidClose(_ session: WebSocketSession, code: CloseCode?) {
        // The streams go on: the client may resume them. Nobody attached for the detach
        // timeout stops the provider.
        guard let subscription else { return }
        for stream in attached.values { stream.detach(subscription) }
        attached.removeAll()
        streamIDsByChat.removeAll()
    }

    func statusFields(now: ContinuousClock.Instant) -> String {
        var fields = "\"principal\":\(principal.map { JSONText.quote($0.id) } ?? "null")"
        fields += ",\"last_heartbeat_s_ago\":\(lastHeartbeat.map { $0.duration(to: now).statusSeconds } ?? "null")"
        return fields + ",\"streams\":[\(attached.keys.sorted().map(JSONText.quote).joined(separator: ","))]"
    }

    /// Answers still streaming here are let finish on this connection: with streams kept in
    /// this process only, a client sent elsewhere could not resume them.
    func sessionMayCloseForDrain(_ session: WebSocketSession) -> Bool { attached.isEmpty }

    func session(_ session: WebSocketSession, didReceive message: WebSocketMessage) {
        guard case .text(let bytes) = message else {
            return session.send(text: Self.error("bad_request", "binary messages are not supported; send JSON text"))
        }
        guard let object = try? JSONDocument(parsing: bytes).root, object.isObject else {
            return session.send(text: Self.error("bad_request", "expected a JSON object"))
        }
        guard let type = object["type"]?.string else {
            return session.send(text: Self.error("bad_request", "missing \"type\""))
        }
        guard principal != nil else { return authenticate(object, type: type, session: session) }
        switch type {
        case "heartbeat":
            heartbeat(object["timestamp"], session: session)
        case "chat":
            startChat(object, session: session)
        case "resume":
            resume(object, session: session)
        case "cancel":
            cancel(object, session: session)
        case "auth":
            reauthenticate(object, session: session)
        default:
            session.send(text: Self.error("bad_request", "unknown message type \(type.prefix(64))"))
        }
    }

    /// The first message of a connection that must authenticate (browsers cannot set headers
    /// on a WebSocket, and a token in the URL may end up in access logs):
    /// `{"type":"auth","token":"…"}`. Anything else, or a bad token, closes with 1008.
    private func authenticate(_ object: JSONValue, type: String, session: WebSocketSession) {
        guard type == "auth" else {
            relay.metrics.rejected("unauthorized")
            return session.close(.policyViolation, reason: "authentication required: send {\"type\":\"auth\",\"token\":…} first")
        }
        switch relay.access.authenticate(token: object["token"]?.string) {
        case .success(let authentication):
            principal = authentication.principal
            expiresAt = authentication.expiresAt
            armExpiry(session)
            session.send(text: "{\"type\":\"auth_ok\"}")
        case .failure(let rejection):
            session.close(.policyViolation, reason: rejection.code)
        }
    }

    /// An `auth` message on an authenticated session: a fresh token for the same principal
    /// moves the session's expiry (a client renews before `exp`). A bad token, or one for
    /// another principal, is an `error` event; the session keeps its current token and expiry.
    private func reauthenticate(_ object: JSONValue, session: WebSocketSession) {
        guard relay.access.authenticationEnabled else { return session.send(text: "{\"type\":\"auth_ok\"}") }
        switch relay.access.authenticate(token: object["token"]?.string) {
        case .success(let authentication):
            guard authentication.principal == principal else {
                return session.send(text: Self.error("forbidden", "the token is for another client; open a new connection with it"))
            }
            expiresAt = authentication.expiresAt
            armExpiry(session)
            session.send(text: "{\"type\":\"auth_ok\"}")
        case .failure(let rejection):
            session.send(text: Self.error(rejection.code, rejection.message))
        }
    }

    /// `heartbeat` → `heartbeat_ack` echoing the client's timestamp, with the server's clock
    /// so the client can estimate skew and round trip.
    private func heartbeat(_ timestamp: JSONValue?, session: WebSocketSession) {
        context.heartbeats.add(1, ordering: .relaxed)
        lastHeartbeat = .now
        context.metrics.heartbeatsReceived.increment()
        let echoed = ChatWire.heartbeatEcho(timestamp)
        if context.logsDebug {
            context.logger.debug("heartbeat received, timestamp \(echoed)", metadata: ["relayd.conn": "\(session.id)"])
        }
        session.send(text: ChatWire.heartbeatAck(echoed: echoed, serverTime: WallClock.milliseconds))
        context.metrics.heartbeatsAcked.increment()
    }

    private func startChat(_ object: JSONValue, session: WebSocketSession) {
        let request: ChatRequest
        switch ChatWire.parseChat(object) {
        case .failure(let error):
            return session.send(text: ChatWire.error(id: object["id"]?.string, error))
        case .success(let parsed):
            request = parsed
        }
        let clientID: String?
        switch ChatWire.clientID(in: object) {
        case .failure(let error): return session.send(text: ChatWire.error(id: request.id, error))
        case .success(let value): clientID = value
        }
        guard streamIDsByChat[request.id] == nil else {
            return session.send(text: ChatWire.error(id: request.id, ProviderError(.badRequest, "a chat with this id is already running")))
        }
        let maximum = relay.store.configuration.maxStreamsPerConnection
        guard attached.count < maximum else {
            return session.send(text: relay.access.tooManyStreamsOnConnection(maximum).event(id: request.id))
        }
        switch relay.start(request, clientID: clientID, principal: principal, connectionID: session.id, on: session.loop) {
        case .rejected(let rejection):
            session.send(text: rejection.event(id: request.id))
        case .failed(let error):
            session.send(text: ChatWire.error(id: request.id, error))
        case .started(let stream), .existing(let stream):
            attach(stream, after: -1, session: session)
        }
    }

    /// `{"type":"resume","stream_id":"…","last_seq":42}`: every event after 42, then live ones.
    private func resume(_ object: JSONValue, session: WebSocketSession) {
        let streamID: String, lastSeq: Int
        switch ChatWire.parseResume(object) {
        case .failure(let error): return session.send(text: Self.error(error.code.rawValue, error.message))
        case .success(let resume): (streamID, lastSeq) = resume
        }
        guard let stream = relay.store.stream(streamID) else {
            relay.noteResume(.websocket, connectionID: session.id, streamID: streamID, lastSeq: lastSeq, replayed: nil)
            return session.send(text: ChatRelay.expired(streamID))
        }
        guard relay.access.mayUse(stream, as: principal) else {
            return session.send(text: Self.error("forbidden", "this stream was started by another client"))
        }
        guard attached[stream.id] == nil else { return } // already receiving it here
        attach(stream, after: lastSeq, session: session, isResume: true)
    }

    private func attach(_ stream: LiveStream, after seq: Int?, session: WebSocketSession, isResume: Bool = false) {
        guard let subscription else { return }
        attached[stream.id] = stream
        streamIDsByChat[stream.chatID] = stream.id
        let loop = session.loop
        let relay = self.relay
        let connectionID = session.id
        stream.loop.execute {
            let replayed = stream.attach(subscription, after: seq)
            if isResume { relay.noteResume(.websocket, connectionID: connectionID, streamID: stream.id, lastSeq: seq ?? -1, replayed: replayed) }
            guard replayed == nil else { return }
            loop.execute {
                subscription.handler?.streamEnded(stream.id, session: subscription.session)
                subscription.session?.send(text: ChatRelay.expired(stream.id, id: stream.chatID))
            }
        }
    }

    /// `{"type":"cancel","id":"c1"}` (a chat attached here) or `{"stream_id":"…"}` (any).
    private func cancel(_ object: JSONValue, session: WebSocketSession) {
        let id = object["id"]?.string
        let stream = object["stream_id"]?.string.flatMap(relay.store.stream) ?? id.flatMap { streamIDsByChat[$0] }.flatMap { attached[$0] }
        guard let stream else {
            return session.send(text: ChatWire.error(id: id, ProviderError(.badRequest, "no running chat with this id")))
        }
        guard relay.access.mayUse(stream, as: principal) else {
            return session.send(text: Self.error("forbidden", "this stream was started by another client"))
        }
        // A canceller that was not attached hears the end too (`done`, cancelled).
        if attached[stream.id] == nil { attach(stream, after: nil, session: session) }
        stream.loop.execute { stream.cancel() }
    }

    fileprivate func streamEnded(_ streamID: String, session: WebSocketSession?) {
        if let stream = attached.removeValue(forKey: streamID), streamIDsByChat[stream.chatID] == streamID {
            streamIDsByChat[stream.chatID] = nil
        }
        // Draining, and the last answer here is complete: now the session may go.
        if attached.isEmpty, relay.isDraining, let session { session.beginDrain() }
    }

    static func error(_ code: String, _ message: String, retryable: Bool = false) -> String {
        "{\"type\":\"error\",\"code\":\(JSONText.quote(code)),\"message\":\(JSONText.quote(message)),\"retryable\":\(retryable)}"
    }
}

/// A WebSocket connection as a stream's subscriber: each event leaves as a text frame.
private final class SocketSubscription: StreamSubscriber, @unchecked Sendable {
    weak var session: WebSocketSession?
    weak var handler: RelaySocketHandler?
    let loop: EventLoop

    init(session: WebSocketSession, handler: RelaySocketHandler) {
        self.session = session
        self.handler = handler
        loop = session.loop
    }

    func receive(_ event: StreamEvent, of stream: LiveStream) {
        session?.send(text: event.json)
        if event.isTerminal { handler?.streamEnded(stream.id, session: session) }
    }
}

/// Echoes every message back as it came: the conformance endpoint (`--echo-path`), so the
/// Autobahn testsuite exercises exactly the frame, deflate and limit code of `/ws`.
final class EchoHandler: WebSocketHandler {
    func sessionDidOpen(_ session: WebSocketSession) {}
    func sessionDidClose(_ session: WebSocketSession, code: CloseCode?) {}

    func session(_ session: WebSocketSession, didReceive message: WebSocketMessage) {
        switch message {
        case .text(let bytes): session.send(text: bytes)
        case .binary(let bytes): session.send(binary: bytes)
        default: break
        }
    }
}

/// Milliseconds since the Unix epoch, for `server_time`.
enum WallClock {
    static var milliseconds: Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
