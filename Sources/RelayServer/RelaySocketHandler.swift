import Foundation
import Logging
import WebSocket

/// relayd's message protocol on `/ws`: JSON text frames, each an object with a `type`.
/// Anything a client gets wrong at this level (malformed JSON, an unknown type, a binary
/// frame) is answered with an `error` event and the connection stays open; only protocol
/// violations close it.
final class RelaySocketHandler: WebSocketHandler {
    private let context: ServerContext

    init(context: ServerContext) { self.context = context }

    func sessionDidOpen(_ session: WebSocketSession) {}

    func sessionDidClose(_ session: WebSocketSession, code: CloseCode?) {}

    func session(_ session: WebSocketSession, didReceive message: WebSocketMessage) {
        guard case .text(let bytes) = message else {
            return session.send(text: Self.error("bad_request", "binary messages are not supported; send JSON text"))
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            return session.send(text: Self.error("bad_request", "expected a JSON object"))
        }
        guard let type = object["type"] as? String else {
            return session.send(text: Self.error("bad_request", "missing \"type\""))
        }
        switch type {
        case "heartbeat":
            heartbeat(object["timestamp"], session: session)
        default:
            session.send(text: Self.error("bad_request", "unknown message type \(type.prefix(64))"))
        }
    }

    /// `heartbeat` → `heartbeat_ack` echoing the client's timestamp, with the server's clock
    /// so the client can estimate skew and round trip.
    private func heartbeat(_ timestamp: Any?, session: WebSocketSession) {
        context.heartbeats.add(1, ordering: .relaxed)
        let echoed: String
        if let number = timestamp as? NSNumber, !(timestamp is Bool) {
            echoed = Double(number.int64Value) == number.doubleValue ? String(number.int64Value) : String(number.doubleValue)
        } else {
            echoed = "null"
        }
        if context.logsDebug {
            context.logger.debug("heartbeat received, timestamp \(echoed)", metadata: ["relayd.conn": "\(session.id)"])
        }
        session.send(text: "{\"type\":\"heartbeat_ack\",\"timestamp\":\(echoed),\"server_time\":\(WallClock.milliseconds)}")
    }

    static func error(_ code: String, _ message: String, retryable: Bool = false) -> String {
        "{\"type\":\"error\",\"code\":\(JSONText.quote(code)),\"message\":\(JSONText.quote(message)),\"retryable\":\(retryable)}"
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
