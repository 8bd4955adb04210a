import Testing
@testable import WebSocket

/// A frame (or frame start) the server's parser must reject.
struct FrameRejection: Sendable, CustomTestStringConvertible {
    let name: String
    let input: [UInt8]
    let reason: WebSocketError.Reason
    let closeCode: UInt16
    let allowRSV1: Bool
    let maxFrameLength: Int

    init(_ name: String, _ input: [UInt8], _ reason: WebSocketError.Reason, _ closeCode: UInt16,
         allowRSV1: Bool = false, maxFrameLength: Int = 1 << 20) {
        self.name = name
        self.input = input
        self.reason = reason
        self.closeCode = closeCode
        self.allowRSV1 = allowRSV1
        self.maxFrameLength = maxFrameLength
    }

    var configuration: FrameParser.Configuration {
        .init(expectMasked: true, allowRSV1: allowRSV1, maxFrameLength: maxFrameLength)
    }

    var testDescription: String { "\(name) -> \(closeCode) \(reason)" }
}

private let key: [UInt8] = [0x01, 0x02, 0x03, 0x04]
/// A 64-bit extended length field.
private func length64(_ value: UInt64) -> [UInt8] { stride(from: 56, through: 0, by: -8).map { UInt8((value >> UInt64($0)) & 0xFF) } }

let frameRejections: [FrameRejection] = {
    var list: [FrameRejection] = [
        FrameRejection("unmasked client text", [0x81, 0x05] + bytes("Hello"), .unmaskedClientFrame, 1002),
        FrameRejection("unmasked client ping", [0x89, 0x00], .unmaskedClientFrame, 1002),
        FrameRejection("unmasked client, 16-bit length", [0x82, 0x7E, 0x01, 0x00] + pattern(256), .unmaskedClientFrame, 1002),
        FrameRejection("unmasked client, 64-bit length", [0x82, 0x7F] + length64(0x10000) + pattern(100), .unmaskedClientFrame, 1002),
        FrameRejection("RSV1 without extension", rawClientFrame(first: 0xC1, payload: bytes("a")), .reservedBitsSet, 1002),
        FrameRejection("RSV2", rawClientFrame(first: 0xA1, payload: bytes("a")), .reservedBitsSet, 1002),
        FrameRejection("RSV3", rawClientFrame(first: 0x91, payload: bytes("a")), .reservedBitsSet, 1002),
        FrameRejection("RSV2 with deflate", rawClientFrame(first: 0xA1, payload: bytes("a")), .reservedBitsSet, 1002, allowRSV1: true),
        FrameRejection("RSV3 with deflate", rawClientFrame(first: 0x91, payload: bytes("a")), .reservedBitsSet, 1002, allowRSV1: true),
        FrameRejection("RSV1 on ping with deflate", rawClientFrame(first: 0xC9, payload: []), .reservedBitsSet, 1002, allowRSV1: true),
        FrameRejection("RSV1 on close with deflate", rawClientFrame(first: 0xC8, payload: [0x03, 0xE8]), .reservedBitsSet, 1002, allowRSV1: true),
        FrameRejection("fragmented ping", rawClientFrame(first: 0x09, payload: bytes("p")), .fragmentedControlFrame, 1002),
        FrameRejection("fragmented pong", rawClientFrame(first: 0x0A, payload: []), .fragmentedControlFrame, 1002),
        FrameRejection("fragmented close", rawClientFrame(first: 0x08, payload: [0x03, 0xE8]), .fragmentedControlFrame, 1002),
        FrameRejection("ping with 126 bytes", rawClientFrame(first: 0x89, payload: pattern(126)), .controlFrameTooLong, 1002),
        FrameRejection("close with 126 bytes", rawClientFrame(first: 0x88, payload: [0x03, 0xE8] + [UInt8](repeating: 0x61, count: 124)), .controlFrameTooLong, 1002),
        FrameRejection("pong with 64-bit length", [0x8A, 0xFF] + length64(0x10000) + key, .controlFrameTooLong, 1002),
        FrameRejection("16-bit length 125", [0x82, 0xFE, 0x00, 0x7D] + key + pattern(125), .nonMinimalLength, 1002),
        FrameRejection("16-bit length 0", [0x82, 0xFE, 0x00, 0x00] + key, .nonMinimalLength, 1002),
        FrameRejection("64-bit length 65535", [0x82, 0xFF] + length64(0xFFFF) + key, .nonMinimalLength, 1002),
        FrameRejection("64-bit length 5", [0x81, 0xFF] + length64(5) + key + bytes("Hello"), .nonMinimalLength, 1002),
        FrameRejection("64-bit length 0", [0x81, 0xFF] + length64(0) + key, .nonMinimalLength, 1002),
        FrameRejection("64-bit length with MSB set", [0x82, 0xFF] + length64(1 << 63) + key, .lengthTooLarge, 1002),
        FrameRejection("64-bit length all ones", [0x82, 0xFF] + length64(.max) + key, .lengthTooLarge, 1002),
        FrameRejection("7-bit length over limit", [0x82, 0x80 | 11] + key, .messageTooBig, 1009, maxFrameLength: 10),
        FrameRejection("16-bit length over limit", [0x82, 0xFE, 0x03, 0xE9] + key, .messageTooBig, 1009, maxFrameLength: 1000),
        FrameRejection("64-bit length over limit", [0x82, 0xFF] + length64(1 << 20 + 1) + key, .messageTooBig, 1009),
        FrameRejection("64-bit length 2^62", [0x82, 0xFF] + length64(1 << 62) + key, .messageTooBig, 1009),
    ]
    for opcode: UInt8 in [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
        list.append(FrameRejection("opcode \(opcode)", rawClientFrame(first: 0x80 | opcode, payload: bytes("x")), .unknownOpcode, 1002))
    }
    return list
}()

@Suite("Frame header rules")
struct FrameRuleTests {
    @Test(arguments: frameRejections)
    func rejected(_ rejection: FrameRejection) {
        let outcome = parseFramesAllWays(rejection.input, configuration: rejection.configuration)
        #expect(outcome.events.isEmpty, "no event before a header error")
        #expect(outcome.error?.reason == rejection.reason)
        #expect(outcome.error?.closeCode.rawValue == rejection.closeCode)
    }

    /// Every header rule is checked from the header alone: the error comes with the last
    /// header byte, with none of the payload fed, and not a byte earlier.
    @Test(arguments: frameRejections)
    func rejectedAtEndOfHeader(_ rejection: FrameRejection) {
        let first = rejection.input[0]
        let second = rejection.input[1]
        let shortLength = Int(second & 0x7F)
        // The unmasked, reserved-bit and opcode rules need only the first two bytes.
        let needsWholeHeader = [.nonMinimalLength, .lengthTooLarge, .messageTooBig].contains(rejection.reason)
        let headerLength = needsWholeHeader
            ? 2 + (shortLength == 126 ? 2 : (shortLength == 127 ? 8 : 0)) + (second & 0x80 != 0 ? 4 : 0)
            : 2
        var parser = FrameParser(configuration: rejection.configuration)
        for index in 0..<(headerLength - 1) {
            parser.append([rejection.input[index]])
            do {
                let event = try parser.next()
                #expect(event == nil, "an event before the header was complete")
            } catch {
                Issue.record("threw \(error.reason) after header byte \(index + 1) of \(headerLength)")
            }
        }
        parser.append([rejection.input[headerLength - 1]])
        #expect(throws: WebSocketError(rejection.reason), "first byte \(hex([first]))") { try parser.next() }
    }

    @Test(arguments: [[0x81, 0x05], [0x82, 0x7E], [0x82, 0x7F]] as [[UInt8]])
    func unmaskedClientFrameNeedsOnlyTwoBytes(header: [UInt8]) throws {
        // Whatever the length form, the first two bytes tell: no need to wait for the
        // extended length.
        var parser = FrameParser()
        parser.append([header[0]])
        #expect(try parser.next() == nil)
        parser.append([header[1]])
        let error = #expect(throws: WebSocketError.self) { try parser.next() }
        #expect(error?.reason == .unmaskedClientFrame)
        #expect(error?.closeCode == .protocolError)
    }

    @Test func maskedServerFrameRejectedByClientParser() {
        let outcome = parseFramesAllWays(RFC6455Examples.maskedText, configuration: unmaskedConfig)
        #expect(outcome.error == WebSocketError(.maskedServerFrame))
        #expect(outcome.error?.closeCode == .protocolError)
    }

    @Test func rsv1AcceptedOnlyWithExtension() {
        let frame = rawClientFrame(first: 0xC1, payload: bytes("abc"))
        let withDeflate = parseFramesAllWays(frame, configuration: .init(allowRSV1: true))
        #expect(withDeflate.error == nil)
        #expect(withDeflate.headers.map(\.rsv1) == [true])
        #expect(withDeflate.payloads == [bytes("abc")])
        #expect(parseFramesAllWays(frame).error == WebSocketError(.reservedBitsSet))
    }

    @Test func frameAtExactlyTheLimitIsAccepted() {
        let config = FrameParser.Configuration(maxFrameLength: 1000)
        let atLimit = FrameEncoder.frame(opcode: .binary, payload: pattern(1000), maskingKey: rfcKey)
        let outcome = parseFramesAllWays(atLimit, configuration: config)
        #expect(outcome.error == nil)
        #expect(outcome.payloads == [pattern(1000)])
        let overLimit = FrameEncoder.frame(opcode: .binary, payload: pattern(1001), maskingKey: rfcKey)
        #expect(parseFramesAllWays(overLimit, configuration: config).error == WebSocketError(.messageTooBig))
    }

    @Test func controlFrameAt125BytesIsAccepted() {
        let payload = pattern(125)
        let outcome = parseFramesAllWays(rawClientFrame(first: 0x89, payload: payload))
        #expect(outcome.error == nil)
        #expect(outcome.headers == [FrameHeader(opcode: .ping, payloadLength: 125, maskingKey: (0x12, 0x34, 0x56, 0x78))])
        #expect(outcome.payloads == [payload])
    }

    @Test func errorsAfterGoodFramesKeepTheGoodOnes() {
        let good = clientFrame(.text, bytes("ok"))
        let outcome = parseFramesAllWays(good + good + rawClientFrame(first: 0x83, payload: []))
        #expect(outcome.payloads == [bytes("ok"), bytes("ok")])
        #expect(outcome.error == WebSocketError(.unknownOpcode))
    }
}

@Suite("WebSocketError and CloseCode")
struct ErrorMappingTests {
    static let expectedCodes: [(WebSocketError.Reason, UInt16)] = [
        (.unmaskedClientFrame, 1002), (.maskedServerFrame, 1002), (.reservedBitsSet, 1002), (.unknownOpcode, 1002),
        (.fragmentedControlFrame, 1002), (.controlFrameTooLong, 1002), (.nonMinimalLength, 1002),
        (.lengthTooLarge, 1002), (.unexpectedContinuation, 1002), (.expectedContinuation, 1002),
        (.messageTooBig, 1009), (.tooManyFragments, 1009), (.invalidUTF8, 1007), (.invalidCloseCode, 1002),
        (.invalidClosePayload, 1002), (.invalidCompressedData, 1002),
    ]

    @Test func closeCodePerReason() {
        for (reason, code) in Self.expectedCodes {
            let error = WebSocketError(reason)
            #expect(error.closeCode.rawValue == code, "\(reason)")
            // The message goes in a close frame after the 2-byte code: ASCII, ≤ 123 bytes.
            #expect(!error.message.isEmpty && error.message.utf8.count <= 123 && error.message.utf8.allSatisfy { $0 < 0x80 }, "\(reason)")
            #expect(error.description == "\(code) \(error.message)")
        }
    }

    @Test func isValidFromPeerOverTheWholeRange() {
        var valid: [ClosedRange<UInt16>] = []
        var start: UInt16?
        for raw in 0...UInt16.max {
            let ok = CloseCode(raw).isValidFromPeer
            if ok, start == nil { start = raw }
            if !ok, let first = start { valid.append(first...(raw - 1)); start = nil }
        }
        if let first = start { valid.append(first...UInt16.max) }
        #expect(valid == [1000...1003, 1007...1014, 3000...4999])
    }
}
