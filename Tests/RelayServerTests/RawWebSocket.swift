import Foundation
import WebSocket

/// A frame-level WebSocket client for tests: sends masked frames it builds itself and reads
/// the server's frames one by one, so a test sees pings, exact close codes and ordering.
final class RawWebSocket {
    let client: RawClient
    private var parser = FrameParser(configuration: .init(expectMasked: false, allowRSV1: true, maxFrameLength: 64 << 20))
    let handshake: RawClient.Response

    /// Connects and completes the handshake on `path`.
    init(port: Int, path: String = "/ws", headers: [String: String] = [:], timeout: Double = 5) throws {
        client = try RawClient(port: port, timeout: timeout)
        var request = "GET \(path) HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        try client.send(request + "\r\n")
        handshake = try client.readResponse(head: true)
        parser.append(client.takeBuffered())
    }

    static let key: (UInt8, UInt8, UInt8, UInt8) = (0x37, 0xFA, 0x21, 0x3D)

    func send(_ opcode: Opcode, _ payload: [UInt8], fin: Bool = true) throws {
        try client.send(FrameEncoder.frame(opcode: opcode, payload: payload, fin: fin, maskingKey: Self.key))
    }

    func send(text: String) throws { try send(.text, Array(text.utf8)) }

    /// The next complete frame from the server; nil when the connection closed.
    func readFrame() throws -> (header: FrameHeader, payload: [UInt8])? {
        var header: FrameHeader?
        var payload: [UInt8] = []
        while true {
            while let event = try parser.next() {
                switch event {
                case .head(let h): header = h
                case .payload(let bytes): payload += bytes
                case .end: return (header!, payload)
                }
            }
            guard let chunk = try client.readAvailable() else { return nil }
            parser.append(chunk)
        }
    }

    /// The next text message, answering nothing and skipping pings.
    func readText() throws -> String? {
        while let frame = try readFrame() {
            if frame.header.opcode == .text { return String(decoding: frame.payload, as: UTF8.self) }
            if frame.header.opcode == .close { return nil }
        }
        return nil
    }

    /// Reads until a close frame; returns its code (nil if the TCP connection just ended).
    func readCloseCode() throws -> UInt16? {
        while let frame = try readFrame() {
            if frame.header.opcode == .close, frame.payload.count >= 2 {
                return UInt16(frame.payload[0]) << 8 | UInt16(frame.payload[1])
            }
        }
        return nil
    }
}
