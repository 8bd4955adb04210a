import Dispatch
import Foundation
import RelayServer
import Testing
import WebSocket

/// Sends `count` messages of `size` bytes, one every `intervalMs`, when a client says "go":
/// a stand-in for an upstream stream that does not wait for slow clients.
final class FloodHandler: WebSocketHandler {
    let count: Int, size: Int, intervalMs: Int
    init(count: Int, size: Int, intervalMs: Int) { (self.count, self.size, self.intervalMs) = (count, size, intervalMs) }
    func sessionDidOpen(_ session: WebSocketSession) {}
    func sessionDidClose(_ session: WebSocketSession, code: CloseCode?) {}
    func session(_ session: WebSocketSession, didReceive message: WebSocketMessage) {
        let (count, size, interval) = (self.count, self.size, self.intervalMs)
        let piece = [UInt8](repeating: 0x61, count: size)
        for index in 0..<count {
            producerQueue.asyncAfter(deadline: .now() + .milliseconds(interval * index)) { session.send(binary: piece) }
        }
    }
}

func webSocketRoutes(_ configure: @escaping (inout WebSocketConfiguration) -> Void = { _ in }) -> (HTTPServer) -> Void {
    { server in
        var configuration = WebSocketConfiguration()
        configure(&configuration)
        server.relayWebSocket("/ws", configuration: configuration)
        server.echoWebSocket("/echo")
        var flood = configuration
        flood.maxOutboundBytes = 256 * 1024
        server.webSocket("/flood", configuration: flood) { _ in FloodHandler(count: 256, size: 64 * 1024, intervalMs: 2) }
    }
}

@Suite("WebSocket over real sockets")
struct WebSocketServerTests {
    @Test func handshakeAndHeartbeat() throws {
        try withServer(routes: webSocketRoutes()) { _, port in
            let socket = try RawWebSocket(port: port)
            #expect(socket.handshake.status == 101)
            #expect(socket.handshake.header("Sec-WebSocket-Accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
            #expect(socket.handshake.header("Upgrade")?.lowercased() == "websocket")
            let before = Int64(Date().timeIntervalSince1970 * 1000)
            try socket.send(text: #"{"type":"heartbeat","timestamp":1754907229768}"#)
            let ack = try #require(try socket.readText())
            let object = try #require(try JSONSerialization.jsonObject(with: Data(ack.utf8)) as? [String: Any])
            #expect(object["type"] as? String == "heartbeat_ack")
            #expect((object["timestamp"] as? NSNumber)?.int64Value == 1754907229768)
            let serverTime = try #require((object["server_time"] as? NSNumber)?.int64Value)
            #expect(serverTime >= before - 1000 && serverTime <= Int64(Date().timeIntervalSince1970 * 1000) + 1000)
        }
    }

    @Test func badMessagesGetErrorEventsAndTheConnectionStaysOpen() throws {
        try withServer(routes: webSocketRoutes()) { _, port in
            let socket = try RawWebSocket(port: port)
            for (opcode, payload) in [(Opcode.text, "not json"), (.text, #"{"type":"teleport"}"#), (.text, "[1,2]"), (.binary, "\u{1}\u{2}")] {
                try socket.send(opcode, Array(payload.utf8))
                let event = try #require(try socket.readText())
                let object = try #require(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])
                #expect(object["type"] as? String == "error")
                #expect(object["code"] as? String == "bad_request")
                #expect(object["retryable"] as? Bool == false)
                #expect((object["message"] as? String)?.isEmpty == false)
            }
            try socket.send(text: #"{"type":"heartbeat","timestamp":1}"#)
            #expect(try socket.readText()?.contains("heartbeat_ack") == true)
        }
    }

    @Test func handshakeRejections() throws {
        try withServer({ $0.cors = CORSPolicy(parsing: "https://app.example") }, routes: webSocketRoutes()) { _, port in
            let oldVersion = try RawClient(port: port)
            try oldVersion.send("GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
            let upgradeRequired = try oldVersion.readResponse()
            #expect(upgradeRequired.status == 426)
            #expect(upgradeRequired.header("Sec-WebSocket-Version") == "13")

            let badKey = try RawClient(port: port)
            try badKey.send("GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: c2hvcnQ=\r\n\r\n")
            let badRequest = try badKey.readResponse()
            #expect(badRequest.status == 400)
            #expect(badRequest.text.contains("\"error\""))

            let plainGet = try RawClient(port: port)
            try plainGet.send("GET /ws HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try plainGet.readResponse().status == 400)

            let foreign = try RawWebSocket(port: port, headers: ["Origin": "https://evil.example"])
            #expect(foreign.handshake.status == 403)
            let allowed = try RawWebSocket(port: port, headers: ["Origin": "https://app.example"])
            #expect(allowed.handshake.status == 101)
            let mixedCase = try RawClient(port: port)
            try mixedCase.send("GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: WebSocket\r\nConnection: keep-alive, UPGRADE\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
            #expect(try mixedCase.readResponse(head: true).status == 101)
        }
    }

    @Test func pingIsAnsweredWithPong() throws {
        try withServer(routes: webSocketRoutes()) { _, port in
            let socket = try RawWebSocket(port: port)
            try socket.send(.ping, Array("abc".utf8))
            let frame = try #require(try socket.readFrame())
            #expect(frame.header.opcode == .pong)
            #expect(frame.payload == Array("abc".utf8))
            try socket.send(.pong, Array("unsolicited".utf8)) // ignored
            try socket.send(text: #"{"type":"heartbeat","timestamp":2}"#)
            #expect(try socket.readText()?.contains("heartbeat_ack") == true)
        }
    }

    @Test func serverPingsAndDropsADeadPeer() throws {
        try withServer(routes: webSocketRoutes { $0.pingInterval = 0.2; $0.deadPeerGrace = 0.1 }) { server, port in
            let socket = try RawWebSocket(port: port)
            let start = Date()
            var pings = 0
            // Read (so the server's frames arrive) but send nothing: no pong, no heartbeat.
            while let frame = try socket.readFrame() {
                if frame.header.opcode == .ping { pings += 1 }
            }
            let elapsed = Date().timeIntervalSince(start)
            #expect(pings >= 1)
            #expect(elapsed >= 0.4 && elapsed < 3, "dropped after \(elapsed) s")
            for _ in 0..<100 where server.deadPeerCount == 0 { Thread.sleep(forTimeInterval: 0.01) }
            #expect(server.deadPeerCount == 1)
            #expect(String(decoding: server.metrics.exposition(), as: UTF8.self).contains("relayd_dead_peers_dropped_total 1\n"))
        }
    }

    @Test func aClientThatAnswersPingsStaysConnected() throws {
        try withServer(routes: webSocketRoutes { $0.pingInterval = 0.2; $0.deadPeerGrace = 0.1 }) { server, port in
            let socket = try RawWebSocket(port: port)
            let start = Date()
            while Date().timeIntervalSince(start) < 1.2 {
                let frame = try #require(try socket.readFrame())
                if frame.header.opcode == .ping { try socket.send(.pong, frame.payload) }
            }
            #expect(server.deadPeerCount == 0)
            try socket.send(text: #"{"type":"heartbeat","timestamp":3}"#)
            #expect(try socket.readText()?.contains("heartbeat_ack") == true)
        }
    }

    @Test(arguments: [
        ("unmasked frame", [UInt8]([0x81, 0x02, 0x68, 0x69]), UInt16(1002)),
        ("invalid UTF-8", FrameEncoder.frame(opcode: .text, payload: [0xC0, 0x80], maskingKey: RawWebSocket.key), UInt16(1007)),
        ("reserved bit", [UInt8]([0xA1, 0x80, 1, 2, 3, 4]), UInt16(1002)),
        ("too big", [UInt8]([0x82, 0xFF, 0, 0, 0, 0, 0, 0x20, 0, 0, 1, 2, 3, 4]), UInt16(1009)),
        ("bad close code", FrameEncoder.frame(opcode: .close, payload: [0x03, 0xEC], maskingKey: RawWebSocket.key), UInt16(1002)),
    ])
    func protocolViolationsCloseWithTheirCode(name: String, bytes: [UInt8], code: UInt16) throws {
        try withServer(routes: webSocketRoutes()) { _, port in
            let socket = try RawWebSocket(port: port)
            try socket.client.send(bytes)
            #expect(try socket.readCloseCode() == code, "\(name)")
            #expect(socket.client.closesWithin(3), "\(name)")
        }
    }

    @Test func closeHandshakeEchoesTheCode() throws {
        try withServer(routes: webSocketRoutes()) { server, port in
            let socket = try RawWebSocket(port: port)
            try socket.send(.close, FrameEncoder.closePayload(.normal, reason: "bye"))
            #expect(try socket.readCloseCode() == 1000)
            #expect(socket.client.closesWithin(3))
            socket.client.close() // as clients do once the server has closed
            for _ in 0..<100 where server.webSocketCount > 0 { Thread.sleep(forTimeInterval: 0.01) }
            #expect(server.webSocketCount == 0)
        }
    }

    @Test func fragmentedMessagesWithInterleavedPingAreEchoed() throws {
        try withServer(routes: webSocketRoutes()) { _, port in
            let socket = try RawWebSocket(port: port, path: "/echo")
            try socket.send(.text, Array("Hel".utf8), fin: false)
            try socket.send(.ping, Array("p".utf8))
            try socket.send(.continuation, Array("lo, wörld".utf8), fin: false)
            try socket.send(.continuation, [], fin: true)
            let pong = try #require(try socket.readFrame())
            #expect(pong.header.opcode == .pong)
            #expect(try socket.readText() == "Hello, wörld")
        }
    }

    @Test func aSlowConsumerIsClosedWhileAFastOneKeepsStreaming() throws {
        try withServer(routes: webSocketRoutes()) { server, port in
            let slow = try RawWebSocket(port: port, path: "/flood")
            let fast = try RawWebSocket(port: port, path: "/flood")
            try slow.send(text: "go")
            try fast.send(text: "go")
            var received = 0
            while received < 256, let frame = try fast.readFrame() {
                if frame.header.opcode == .binary { received += 1 }
            }
            #expect(received == 256)
            #expect(server.slowClientCount == 1)
            #expect(String(decoding: server.metrics.exposition(), as: UTF8.self)
                .contains("relayd_slow_clients_closed_total{transport=\"websocket\"} 1\n"))
            // The slow client, reading at last, finds a close frame telling it to reconnect and resume.
            #expect(try slow.readCloseCode() == CloseCode.reconnectAndResume.rawValue)
        }
    }

    @Test func drainSendsServiceRestart() throws {
        var configuration = ServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let server = HTTPServer(configuration: configuration)
        webSocketRoutes()(server)
        try server.start()
        let socket = try RawWebSocket(port: server.localAddress!.port)
        let done = DispatchSemaphore(value: 0)
        server.shutdown(drainSeconds: 2) { done.signal() }
        #expect(try socket.readCloseCode() == 1012)
        try socket.send(.close, FrameEncoder.closePayload(.serviceRestart))
        #expect(socket.client.closesWithin(3))
        #expect(done.wait(timeout: .now() + 3) == .success)
    }

    /// Python's `websockets` library as a real client: handshake with permessage-deflate,
    /// heartbeat and ack, ping/pong, large compressed echo, error events, clean close.
    @Test func pythonWebsocketsClient() throws {
        try withServer(routes: webSocketRoutes()) { _, port in
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("peers/ws_peer.py").path
            let python = ProcessInfo.processInfo.environment["RELAYD_TEST_PYTHON"] ?? which("python3") ?? "/usr/bin/python3"
            let (status, output) = try run(python, [script, String(port)])
            #expect(status == 0, "\(output)")
            #expect(output.contains("ALL OK"), "\(output)")
        }
    }
}
