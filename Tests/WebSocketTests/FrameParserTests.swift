import Testing
@testable import WebSocket

/// Unmasked frames (as a server sends them) are parsed with a client's configuration.
let unmaskedConfig = FrameParser.Configuration(expectMasked: false)

/// RFC 6455 §5.7, byte for byte.
enum RFC6455Examples {
    static let hello = bytes("Hello")
    static let unmaskedText: [UInt8] = [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F]
    static let maskedText: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
    static let fragmentedFirst: [UInt8] = [0x01, 0x03, 0x48, 0x65, 0x6C]
    static let fragmentedSecond: [UInt8] = [0x80, 0x02, 0x6C, 0x6F]
    static let unmaskedPing: [UInt8] = [0x89, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F]
    static let maskedPong: [UInt8] = [0x8A, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
    static let binary256Payload = pattern(256, seed: 256)
    static let binary256: [UInt8] = [0x82, 0x7E, 0x01, 0x00] + binary256Payload
    static let binary64KPayload = pattern(65536, seed: 65536)
    static let binary64K: [UInt8] = [0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00] + binary64KPayload
}

@Suite("RFC 6455 §5.7 examples")
struct RFCExampleTests {
    typealias E = RFC6455Examples

    @Test func singleFrameUnmaskedText() {
        let outcome = parseFramesAllWays(E.unmaskedText, configuration: unmaskedConfig)
        #expect(outcome.error == nil)
        #expect(outcome.events == [.head(FrameHeader(fin: true, opcode: .text, payloadLength: 5)), .payload(E.hello), .end])
        #expect(outcome.bufferedByteCount == 0)
        #expect(FrameEncoder.frame(opcode: .text, payload: E.hello) == E.unmaskedText)
    }

    @Test func singleFrameMaskedText() {
        let outcome = parseFramesAllWays(E.maskedText)
        #expect(outcome.error == nil)
        #expect(outcome.events == [
            .head(FrameHeader(fin: true, opcode: .text, payloadLength: 5, maskingKey: rfcKey)), .payload(E.hello), .end,
        ])
        #expect(FrameEncoder.frame(opcode: .text, payload: E.hello, maskingKey: rfcKey) == E.maskedText)
    }

    @Test func fragmentedUnmaskedText() {
        let outcome = parseFramesAllWays(E.fragmentedFirst + E.fragmentedSecond, configuration: unmaskedConfig)
        #expect(outcome.error == nil)
        #expect(outcome.events == [
            .head(FrameHeader(fin: false, opcode: .text, payloadLength: 3)), .payload(bytes("Hel")), .end,
            .head(FrameHeader(fin: true, opcode: .continuation, payloadLength: 2)), .payload(bytes("lo")), .end,
        ])
        #expect(FrameEncoder.frame(opcode: .text, payload: bytes("Hel"), fin: false) == E.fragmentedFirst)
        #expect(FrameEncoder.frame(opcode: .continuation, payload: bytes("lo")) == E.fragmentedSecond)
    }

    @Test func unmaskedPing() {
        let outcome = parseFramesAllWays(E.unmaskedPing, configuration: unmaskedConfig)
        #expect(outcome.error == nil)
        #expect(outcome.events == [.head(FrameHeader(opcode: .ping, payloadLength: 5)), .payload(E.hello), .end])
        #expect(FrameEncoder.frame(opcode: .ping, payload: E.hello) == E.unmaskedPing)
    }

    @Test func maskedPong() {
        let outcome = parseFramesAllWays(E.maskedPong)
        #expect(outcome.error == nil)
        #expect(outcome.events == [
            .head(FrameHeader(opcode: .pong, payloadLength: 5, maskingKey: rfcKey)), .payload(E.hello), .end,
        ])
        #expect(FrameEncoder.frame(opcode: .pong, payload: E.hello, maskingKey: rfcKey) == E.maskedPong)
    }

    @Test func binary256BytesSixteenBitLength() {
        let outcome = parseFramesAllWays(E.binary256, configuration: unmaskedConfig)
        #expect(outcome.error == nil)
        #expect(outcome.events == [
            .head(FrameHeader(opcode: .binary, payloadLength: 256)), .payload(E.binary256Payload), .end,
        ])
        #expect(FrameEncoder.frame(opcode: .binary, payload: E.binary256Payload) == E.binary256)
    }

    @Test func binary64KiBSixtyFourBitLength() {
        let outcome = parseFramesAllWays(E.binary64K, configuration: unmaskedConfig)
        #expect(outcome.error == nil)
        #expect(outcome.headers == [FrameHeader(opcode: .binary, payloadLength: 65536)])
        #expect(outcome.payloads == [E.binary64KPayload])
        #expect(outcome.events.last == .end)
        #expect(FrameEncoder.frame(opcode: .binary, payload: E.binary64KPayload) == E.binary64K)
    }

    @Test func allExamplesBackToBack() {
        // Data and control frames in one stream: the parser must find every boundary.
        let stream = E.unmaskedText + E.fragmentedFirst + E.unmaskedPing + E.fragmentedSecond + E.binary256
        let outcome = parseFramesAllWays(stream, configuration: unmaskedConfig)
        #expect(outcome.error == nil)
        #expect(outcome.headers.map(\.opcode) == [.text, .text, .ping, .continuation, .binary])
        #expect(outcome.payloads == [E.hello, bytes("Hel"), E.hello, bytes("lo"), E.binary256Payload])
    }

    @Test func incompleteFrameStaysBuffered() {
        // Header only partly in: nothing comes out and the bytes stay buffered.
        let outcome = feedFrames([E.maskedText[..<4]], configuration: .init())
        #expect(outcome.events.isEmpty)
        #expect(outcome.error == nil)
        #expect(outcome.bufferedByteCount == 4)
        // Header and part of the payload: head and the unmasked piece so far, no end.
        let partial = parseFramesAllWays(Array(E.maskedText[..<8]))
        #expect(partial.events == [
            .head(FrameHeader(opcode: .text, payloadLength: 5, maskingKey: rfcKey)), .payload(bytes("He")),
        ])
        #expect(partial.bufferedByteCount == 0)
    }
}

@Suite("Length encodings round-trip through FrameEncoder and FrameParser")
struct LengthFormTests {
    /// Lengths on both sides of each boundary between the 7-, 16- and 64-bit forms.
    static let lengths = [0, 1, 5, 124, 125, 126, 127, 200, 65535, 65536, 65537, 70001]

    static func form(_ length: Int) -> UInt8 { length < 126 ? UInt8(length) : (length <= 0xFFFF ? 126 : 127) }

    @Test(arguments: lengths)
    func unmasked(length: Int) {
        let payload = pattern(length, seed: UInt32(length + 7))
        let frame = FrameEncoder.frame(opcode: .binary, payload: payload)
        let headerLength = length < 126 ? 2 : (length <= 0xFFFF ? 4 : 10)
        #expect(frame.count == headerLength + length)
        #expect(frame[0] == 0x82)
        #expect(frame[1] == Self.form(length))
        #expect(Array(frame[1..<headerLength]) == lengthBytes(length, masked: false))
        let outcome = parseFramesAllWays(frame, configuration: unmaskedConfig, byteByByte: length <= 70001)
        #expect(outcome.error == nil)
        #expect(outcome.headers == [FrameHeader(opcode: .binary, payloadLength: length)])
        #expect(outcome.payloads == [payload])
    }

    @Test(arguments: lengths)
    func masked(length: Int) {
        let payload = pattern(length, seed: UInt32(length + 11))
        let key: (UInt8, UInt8, UInt8, UInt8) = (0xA1, 0x00, 0x5C, 0xFF)
        let frame = FrameEncoder.frame(opcode: .text, payload: payload, fin: false, maskingKey: key)
        let headerLength = (length < 126 ? 2 : (length <= 0xFFFF ? 4 : 10)) + 4
        #expect(frame.count == headerLength + length)
        #expect(frame[0] == 0x01)
        #expect(frame[1] == 0x80 | Self.form(length))
        #expect(Array(frame[(headerLength - 4)..<headerLength]) == [0xA1, 0x00, 0x5C, 0xFF])
        // The payload on the wire is XORed with the key, byte i with key[i % 4].
        let keyBytes: [UInt8] = [0xA1, 0x00, 0x5C, 0xFF]
        #expect(Array(frame[headerLength...]) == payload.enumerated().map { $0.element ^ keyBytes[$0.offset % 4] })
        let outcome = parseFramesAllWays(frame)
        #expect(outcome.error == nil)
        #expect(outcome.headers == [FrameHeader(fin: false, opcode: .text, payloadLength: length, maskingKey: key)])
        #expect(outcome.payloads == [payload])
    }

    @Test func maskedFramesInOneStream() {
        // Several masked frames of every form back to back, each with its own key: the
        // unmasking offset must restart at each frame.
        var stream: [UInt8] = []
        var expected: [[UInt8]] = []
        for (index, length) in [3, 130, 7, 65540, 1].enumerated() {
            let payload = pattern(length, seed: UInt32(index + 100))
            expected.append(payload)
            let key = (UInt8(index), UInt8(0x10 + index), UInt8(0x99), UInt8(0xF0 | index))
            stream += FrameEncoder.frame(opcode: .binary, payload: payload, maskingKey: key)
        }
        let outcome = parseFramesAllWays(stream, byteByByte: true)
        #expect(outcome.error == nil)
        #expect(outcome.payloads == expected)
    }

    @Test func appendMatchesFrame() {
        var output: [UInt8] = [0xEE]
        FrameEncoder.append(opcode: .close, payload: [0x03, 0xE8], maskingKey: rfcKey, to: &output)
        #expect(output == [0xEE] + FrameEncoder.frame(opcode: .close, payload: [0x03, 0xE8], maskingKey: rfcKey))
        #expect(output == [0xEE, 0x88, 0x82, 0x37, 0xFA, 0x21, 0x3D, 0x03 ^ 0x37, 0xE8 ^ 0xFA])
        #expect(FrameEncoder.frame(opcode: .text, payload: [0x41], rsv1: true) == [0xC1, 0x01, 0x41])
    }
}
