import JSON
import Foundation
import Logging
import Upstream
import WebSocket

/// relayd's message protocol on `/ws`: JSON text frames, each an object with a `type`.
/// Anything a client gets wrong at this level (malformed JSON, an unknown type, a binary
/// frame) is answered with an `error` event and the connection stays open; only protocol
/// violations close it. Several chats may run at once; each has its own `seq`.
/// Called on the session's loop, so `chats` needs no lock.
final class RelaySocketHandler: WebSocketHandler, @unchecked Sendable {
    private let context: ServerContext
    private let providers: ProviderRegistry
    private var chats: [String: ChatRun] = [:]

    /// One chat in progress on this connection.
    final class ChatRun: @unchecked Sendable {
        let id: String
        var seq = 0
        var cancellation: ChatCancellation?
        init(id: String) { self.id = id }
        func nextSeq() -> Int {
            seq += 1
            return seq
        }
    }

    init(context: ServerContext, providers: ProviderRegistry) {
        self.context = context
        self.providers = providers
    }

    func sessionDidOpen(_ session: WebSocketSession) {}

    func sessionDidClose(_ session: WebSocketSession, code: CloseCode?) {
        // Until streams outlive connections, a chat nobody can receive is stopped, so the
        // provider stops generating (and billing).
        for run in chats.values { run.cancellation?.cancel() }
        chats.removeAll()
    }

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
        switch type {
        case "heartbeat":
            heartbeat(object["timestamp"], session: session)
        case "chat":
            startChat(object, session: session)
        case "cancel":
            cancelChat(object["id"]?.string, session: session)
        default:
            session.send(text: Self.error("bad_request", "unknown message type \(type.prefix(64))"))
        }
    }

    /// `heartbeat` → `heartbeat_ack` echoing the client's timestamp, with the server's clock
    /// so the client can estimate skew and round trip.
    private func heartbeat(_ timestamp: JSONValue?, session: WebSocketSession) {
        context.heartbeats.add(1, ordering: .relaxed)
        let echoed: String
        if let timestamp, timestamp.kind == .number {
            echoed = timestamp.int.map(String.init) ?? timestamp.double.map { String($0) } ?? "null"
        } else {
            echoed = "null"
        }
        if context.logsDebug {
            context.logger.debug("heartbeat received, timestamp \(echoed)", metadata: ["relayd.conn": "\(session.id)"])
        }
        session.send(text: "{\"type\":\"heartbeat_ack\",\"timestamp\":\(echoed),\"server_time\":\(WallClock.milliseconds)}")
    }

    private func startChat(_ object: JSONValue, session: WebSocketSession) {
        let request: ChatRequest
        switch ChatWire.parseChat(object) {
        case .failure(let error):
            return session.send(text: ChatWire.error(id: object["id"]?.string, error))
        case .success(let parsed):
            request = parsed
        }
        guard chats[request.id] == nil else {
            return session.send(text: ChatWire.error(id: request.id, ProviderError(.badRequest, "a chat with this id is already running")))
        }
        guard let provider = providers.provider(named: request.provider) else {
            return session.send(text: ChatWire.error(id: request.id, ProviderError(
                .unknownProvider, "no provider named \(request.provider ?? "?") is configured; see GET /api/providers")))
        }
        let model = request.model ?? provider.defaultModel
        guard provider.allows(model: model) else {
            return session.send(text: ChatWire.error(id: request.id, ProviderError(.badRequest, "\(provider.name) has no model \(model.prefix(100))")))
        }
        let run = ChatRun(id: request.id)
        chats[request.id] = run
        session.send(text: ChatWire.start(id: request.id, streamID: ChatWire.newStreamID(), provider: provider.name, model: model))
        let loop = session.loop
        let providerContext = ProviderContext(loop: loop)
        let owner = WeakPair(self, session)
        run.cancellation = provider.stream(request, model: model, context: providerContext) { event in
            loop.execute {
                guard let handler = owner.handler, let session = owner.session, handler.chats[run.id] === run else { return }
                handler.deliver(event, run: run, session: session)
            }
        }
    }

    private func deliver(_ event: ProviderEvent, run: ChatRun, session: WebSocketSession) {
        switch event {
        case .delta(let content, let reasoning):
            session.send(text: ChatWire.chunk(id: run.id, seq: run.nextSeq(), content: content, reasoning: reasoning))
        case .done(let reason, let usage):
            chats[run.id] = nil
            session.send(text: ChatWire.done(id: run.id, seq: run.nextSeq(), finishReason: reason, usage: usage))
        case .failed(let error):
            chats[run.id] = nil
            session.send(text: ChatWire.error(id: run.id, seq: run.nextSeq(), error))
        }
    }

    private func cancelChat(_ id: String?, session: WebSocketSession) {
        guard let id, let run = chats[id] else {
            return session.send(text: ChatWire.error(id: id, ProviderError(.badRequest, "no running chat with this id")))
        }
        run.cancellation?.cancel()
        chats[id] = nil
        session.send(text: ChatWire.done(id: id, seq: run.nextSeq(), finishReason: .cancelled, usage: nil))
    }

    static func error(_ code: String, _ message: String, retryable: Bool = false) -> String {
        "{\"type\":\"error\",\"code\":\(JSONText.quote(code)),\"message\":\(JSONText.quote(message)),\"retryable\":\(retryable)}"
    }
}

/// Weak references a provider's callback holds: a chat outliving its connection must not
/// keep the connection's objects alive.
private final class WeakPair: @unchecked Sendable {
    weak var handler: RelaySocketHandler?
    weak var session: WebSocketSession?
    init(_ handler: RelaySocketHandler, _ session: WebSocketSession) {
        self.handler = handler
        self.session = session
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
