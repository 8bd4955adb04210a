import Testing
@testable import WebSocket

private func closePayload(_ code: UInt16, _ reason: [UInt8] = []) -> [UInt8] {
    [UInt8(code >> 8), UInt8(code & 0xFF)] + reason
}

@Suite("Close frames")
struct CloseFrameTests {
    static let validCodes: [UInt16] = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]
    static let invalidCodes: [UInt16] = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]

    @Test(arguments: validCodes)
    func validCodeAccepted(code: UInt16) {
        let outcome = readAllWays(clientFrame(.close, closePayload(code, bytes("bye"))))
        #expect(outcome == MessageOutcome(messages: [.close(code: CloseCode(code), reason: "bye")]))
        let bare = readAllWays(clientFrame(.close, closePayload(code)))
        #expect(bare == MessageOutcome(messages: [.close(code: CloseCode(code), reason: "")]))
    }

    @Test(arguments: invalidCodes)
    func invalidCodeRejected(code: UInt16) {
        let outcome = readAllWays(clientFrame(.close, closePayload(code, bytes("bye"))))
        #expect(outcome.messages.isEmpty)
        #expect(outcome.error == WebSocketError(.invalidCloseCode))
        #expect(outcome.error?.closeCode.rawValue == 1002)
    }

    @Test func emptyPayloadHasNoCode() {
        let outcome = readAllWays(clientFrame(.close, []))
        #expect(outcome == MessageOutcome(messages: [.close(code: nil, reason: "")]))
    }

    @Test func oneBytePayloadRejected() {
        for byte: UInt8 in [0x03, 0xE8, 0x00] {
            let outcome = readAllWays(clientFrame(.close, [byte]))
            #expect(outcome.error == WebSocketError(.invalidClosePayload))
            #expect(outcome.error?.closeCode.rawValue == 1002)
        }
    }

    @Test(arguments: [
        [0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0x61, 0x80], [0xE2, 0x82], // bad or truncated
    ] as [[UInt8]])
    func nonUTF8ReasonRejected(reason: [UInt8]) {
        let outcome = readAllWays(clientFrame(.close, closePayload(1000, reason)))
        #expect(outcome.messages.isEmpty)
        #expect(outcome.error == WebSocketError(.invalidClosePayload))
        #expect(outcome.error?.closeCode.rawValue == 1002)
    }

    @Test func multiByteReasonUpTo125Bytes() {
        let reason = String(repeating: "€", count: 41) // 123 bytes: the most that fits
        let outcome = readAllWays(clientFrame(.close, closePayload(1001, bytes(reason))))
        #expect(outcome == MessageOutcome(messages: [.close(code: .goingAway, reason: reason)]))
    }

    @Test func closeBetweenFragments() {
        let input = clientFrame(.text, bytes("Hel"), fin: false) + clientFrame(.close, closePayload(1000))
        let outcome = readAllWays(input)
        #expect(outcome == MessageOutcome(messages: [.close(code: .normal, reason: "")]))
    }
}

@Suite("Fragmentation")
struct FragmentationTests {
    @Test func pingBetweenFragmentsArrivesFirst() {
        let input = clientFrame(.text, bytes("Hel"), fin: false)
            + clientFrame(.ping, bytes("are you there"))
            + clientFrame(.continuation, bytes("lo"))
        let outcome = readAllWays(input)
        #expect(outcome == MessageOutcome(messages: [.ping(bytes("are you there")), .text(bytes("Hello"))]))
    }

    @Test func severalControlFramesBetweenFragments() {
        let input = clientFrame(.binary, [1, 2], fin: false)
            + clientFrame(.pong, [])
            + clientFrame(.continuation, [3], fin: false)
            + clientFrame(.ping, [9])
            + clientFrame(.ping, pattern(125))
            + clientFrame(.continuation, [], fin: false)
            + clientFrame(.continuation, [4, 5])
            + clientFrame(.text, bytes("next"))
        let outcome = readAllWays(input)
        #expect(outcome == MessageOutcome(messages: [
            .pong([]), .ping([9]), .ping(pattern(125)), .binary([1, 2, 3, 4, 5]), .text(bytes("next")),
        ]))
    }

    @Test func rfcFragmentedHelloMasked() {
        // RFC 6455 §5.7's fragmented "Hello", masked as a client sends it.
        let input = clientFrame(.text, bytes("Hel"), fin: false) + clientFrame(.continuation, bytes("lo"))
        #expect(readAllWays(input) == MessageOutcome(messages: [.text(bytes("Hello"))]))
    }

    @Test func emptyMessages() {
        let input = clientFrame(.text, []) + clientFrame(.binary, []) + clientFrame(.ping, [])
            + clientFrame(.text, [], fin: false) + clientFrame(.continuation, [])
        #expect(readAllWays(input) == MessageOutcome(messages: [.text([]), .binary([]), .ping([]), .text([])]))
    }

    @Test func continuationWithoutStart() {
        let outcome = readAllWays(clientFrame(.continuation, bytes("lo")))
        #expect(outcome.error == WebSocketError(.unexpectedContinuation))
        #expect(outcome.error?.closeCode.rawValue == 1002)
        // A continuation after a message that has ended is just as unexpected.
        let after = readAllWays(clientFrame(.text, bytes("a")) + clientFrame(.continuation, bytes("b")))
        #expect(after == MessageOutcome(messages: [.text(bytes("a"))], error: WebSocketError(.unexpectedContinuation)))
    }

    @Test func newDataFrameBeforeMessageFinished() {
        for second in [Opcode.text, .binary] {
            let input = clientFrame(.text, bytes("Hel"), fin: false) + clientFrame(second, bytes("lo"))
            let outcome = readAllWays(input)
            #expect(outcome == MessageOutcome(messages: [], error: WebSocketError(.expectedContinuation)))
            #expect(outcome.error?.closeCode.rawValue == 1002)
        }
    }

    @Test func fragmentLimit() {
        let limits = MessageReader.Limits(maxFragments: 3)
        let three = clientFrame(.binary, [1], fin: false) + clientFrame(.continuation, [2], fin: false)
            + clientFrame(.continuation, [3])
        #expect(readAllWays(three, limits: limits) == MessageOutcome(messages: [.binary([1, 2, 3])]))
        // Control frames between fragments are not fragments of the message.
        let withPings = clientFrame(.binary, [1], fin: false) + clientFrame(.ping, []) + clientFrame(.ping, [])
            + clientFrame(.continuation, [2], fin: false) + clientFrame(.ping, []) + clientFrame(.continuation, [3])
        #expect(readAllWays(withPings, limits: limits).messages == [.ping([]), .ping([]), .ping([]), .binary([1, 2, 3])])

        let four = clientFrame(.binary, [1], fin: false) + clientFrame(.continuation, [2], fin: false)
            + clientFrame(.continuation, [3], fin: false) + clientFrame(.continuation, [4])
        let outcome = readAllWays(four, limits: limits)
        #expect(outcome == MessageOutcome(messages: [], error: WebSocketError(.tooManyFragments)))
        #expect(outcome.error?.closeCode.rawValue == 1009)
        // The fourth frame's header alone is enough.
        let fourthHeader = Array(clientFrame(.continuation, [4]).prefix(6))
        let perPart = messagesPerPart([Array(four.prefix(four.count - 7)), fourthHeader], limits: limits)
        #expect(perPart == [.success([]), .failure(WebSocketError(.tooManyFragments))])
        // The count starts again with each message.
        #expect(readAllWays(three + three, limits: limits).messages == [.binary([1, 2, 3]), .binary([1, 2, 3])])
    }

    @Test func messageSizeLimitAcrossFragments() {
        let limits = MessageReader.Limits(maxMessageBytes: 10)
        let atLimit = clientFrame(.binary, pattern(6), fin: false) + clientFrame(.continuation, pattern(4, seed: 2))
        #expect(readAllWays(atLimit, limits: limits) == MessageOutcome(messages: [.binary(pattern(6) + pattern(4, seed: 2))]))

        let first = clientFrame(.text, bytes("abcdef"), fin: false)
        let second = clientFrame(.continuation, bytes("ghijk"))
        let outcome = readAllWays(first + second, limits: limits)
        #expect(outcome == MessageOutcome(messages: [], error: WebSocketError(.messageTooBig)))
        #expect(outcome.error?.closeCode.rawValue == 1009)
        // Thrown at the second header, before its payload.
        let perPart = messagesPerPart([first, Array(second.prefix(6))], limits: limits)
        #expect(perPart == [.success([]), .failure(WebSocketError(.messageTooBig))])
        // Control frames in between do not count, and the size starts again with each message.
        let withPing = clientFrame(.binary, pattern(6), fin: false) + clientFrame(.ping, pattern(9))
            + clientFrame(.continuation, pattern(4, seed: 2))
        #expect(readAllWays(withPing + atLimit, limits: limits).messages == [
            .ping(pattern(9)), .binary(pattern(6) + pattern(4, seed: 2)), .binary(pattern(6) + pattern(4, seed: 2)),
        ])
    }

    @Test func singleFrameOverTheMessageLimitFailsAtItsHeader() {
        let limits = MessageReader.Limits(maxMessageBytes: 100)
        let frame = clientFrame(.binary, pattern(101))
        #expect(readAllWays(frame, limits: limits).error == WebSocketError(.messageTooBig))
        let perPart = messagesPerPart([Array(frame.prefix(5)), Array(frame[5..<6])], limits: limits)
        #expect(perPart == [.success([]), .failure(WebSocketError(.messageTooBig))])
    }

    @Test func unmaskedClientFrameFailsAfterTwoBytes() {
        let perPart = messagesPerPart([[0x81], [0x05]])
        #expect(perPart == [.success([]), .failure(WebSocketError(.unmaskedClientFrame))])
        let sixteenBit = messagesPerPart([[0x82], [0x7E]])
        #expect(sixteenBit == [.success([]), .failure(WebSocketError(.unmaskedClientFrame))])
        #expect(readAllWays(RFC6455Examples.unmaskedText).error?.closeCode.rawValue == 1002)
    }

    @Test func rsv1RejectedWithoutDeflate() {
        let outcome = readAllWays(clientFrame(.text, bytes("x"), rsv1: true))
        #expect(outcome.error == WebSocketError(.reservedBitsSet))
    }
}

@Suite("UTF-8 in text messages")
struct TextValidationTests {
    @Test func validMultiByteText() {
        let text = "κόσμε € 😀 \u{10FFFF}\u{FFFF} ok"
        let outcome = readAllWays(clientFrame(.text, bytes(text)))
        #expect(outcome == MessageOutcome(messages: [.text(bytes(text))]))
    }

    @Test(arguments: [[0xE2], [0xE2, 0x82], [0xF0], [0xF0, 0x9F], [0xF0, 0x9F, 0x98]] as [[UInt8]])
    func codePointSplitAcrossFragments(head: [UInt8]) {
        let full = bytes("a€😀")
        // Cut the message where `head` (a prefix of a code point) ends.
        let cut = head[0] == 0xE2 ? 1 + head.count : 4 + head.count
        let input = clientFrame(.text, Array(full[..<cut]), fin: false) + clientFrame(.continuation, Array(full[cut...]))
        #expect(readAllWays(input) == MessageOutcome(messages: [.text(full)]))
    }

    @Test func codePointSplitOverThreeFragments() {
        let input = clientFrame(.text, [0xF0], fin: false) + clientFrame(.continuation, [0x9F, 0x98], fin: false)
            + clientFrame(.ping, []) + clientFrame(.continuation, [0x80])
        #expect(readAllWays(input) == MessageOutcome(messages: [.ping([]), .text(bytes("😀"))]))
    }

    @Test func invalidByteFailsBeforeTheFrameIsComplete() {
        let payload = bytes("abc") + [0xFF] + bytes("defghijklmnop")
        let frame = clientFrame(.text, payload)
        let header = Array(frame.prefix(6))
        // Header and "abc": fine so far.
        #expect(messagesPerPart([header + Array(frame[6..<9])]) == [.success([])])
        // The bad byte arrives: fails now, 13 payload bytes before the frame would end.
        let perPart = messagesPerPart([header + Array(frame[6..<9]), [frame[9]]])
        #expect(perPart == [.success([]), .failure(WebSocketError(.invalidUTF8))])
        #expect(messagesPerPart([Array(frame.prefix(10))]) == [.failure(WebSocketError(.invalidUTF8))])
        #expect(readAllWays(frame).error?.closeCode.rawValue == 1007)
    }

    @Test func invalidByteInALaterFragmentFailsBeforeTheMessageEnds() {
        let first = clientFrame(.text, bytes("fine so far "), fin: false)
        let second = clientFrame(.continuation, [0x61, 0xC0, 0x80, 0x61, 0x61], fin: false)
        let perPart = messagesPerPart([first, Array(second.prefix(8))])
        #expect(perPart == [.success([]), .failure(WebSocketError(.invalidUTF8))])
    }

    @Test(arguments: [
        ("overlong 2-byte NUL", [0xC0, 0x80]),
        ("overlong 2-byte C1", [0xC1, 0xBF]),
        ("overlong 3-byte NUL", [0xE0, 0x80, 0x80]),
        ("overlong 3-byte U+07FF", [0xE0, 0x9F, 0xBF]),
        ("overlong 4-byte U+FFFF", [0xF0, 0x8F, 0xBF, 0xBF]),
        ("high surrogate", [0xED, 0xA0, 0x80]),
        ("low surrogate", [0xED, 0xBF, 0xBF]),
        ("above U+10FFFF", [0xF4, 0x90, 0x80, 0x80]),
        ("F5 lead", [0xF5, 0x80, 0x80, 0x80]),
        ("lone continuation", [0x80]),
        ("lead then ASCII", [0xC3, 0x41]),
        ("FE", [0xFE]),
        ("FF", [0xFF]),
    ] as [(String, [UInt8])])
    func invalidSequenceRejected(name: String, sequence: [UInt8]) {
        let outcome = readAllWays(clientFrame(.text, bytes("ok ") + sequence + bytes(" tail")))
        #expect(outcome == MessageOutcome(messages: [], error: WebSocketError(.invalidUTF8)), "\(name)")
        #expect(outcome.error?.closeCode.rawValue == 1007)
        // In a non-final fragment it fails without waiting for the rest of the message.
        let fragment = readAllWays(clientFrame(.text, bytes("ok ") + sequence + bytes(" tail"), fin: false))
        #expect(fragment.error == WebSocketError(.invalidUTF8), "\(name)")
        // The same bytes in a binary message are fine.
        #expect(readAllWays(clientFrame(.binary, sequence)) == MessageOutcome(messages: [.binary(sequence)]))
    }

    @Test(arguments: [[0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xC3], [0xF4]] as [[UInt8]])
    func truncatedAtMessageEnd(tail: [UInt8]) {
        let single = readAllWays(clientFrame(.text, bytes("a") + tail))
        #expect(single == MessageOutcome(messages: [], error: WebSocketError(.invalidUTF8)))
        #expect(single.error?.closeCode.rawValue == 1007)
        // A truncated code point at the end of a fragment is only an error when the message ends.
        let first = clientFrame(.text, bytes("a") + tail, fin: false)
        let last = clientFrame(.continuation, [])
        #expect(messagesPerPart([first, last]) == [.success([]), .failure(WebSocketError(.invalidUTF8))])
    }
}

@Suite("MessageReader state")
struct MessageReaderStateTests {
    @Test func errorIsSticky() {
        var reader = MessageReader()
        reader.append(clientFrame(.continuation, []))
        #expect(throws: WebSocketError(.unexpectedContinuation)) { try reader.next() }
        reader.append(clientFrame(.text, bytes("valid")))
        #expect(throws: WebSocketError(.unexpectedContinuation)) { try reader.next() }
    }

    @Test func bufferedByteCountCountsPartialMessage() throws {
        var reader = MessageReader()
        reader.append(clientFrame(.binary, pattern(50), fin: false) + Array(clientFrame(.continuation, pattern(10)).prefix(9)))
        #expect(try reader.next() == nil)
        // 50 assembled, 3 unread continuation payload bytes are handed out, the rest is a head.
        #expect(reader.bufferedByteCount == 53)
    }

    @Test func parseCloseDirectly() throws {
        #expect(try MessageReader.parseClose([]) == .close(code: nil, reason: ""))
        #expect(try MessageReader.parseClose([0x0F, 0xA0] + bytes("x")) == .close(code: CloseCode(4000), reason: "x"))
        #expect(throws: WebSocketError(.invalidCloseCode)) { try MessageReader.parseClose([0x03, 0xED]) }
        #expect(throws: WebSocketError(.invalidClosePayload)) { try MessageReader.parseClose([0x03]) }
    }
}
