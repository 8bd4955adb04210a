import Testing
@testable import WebSocket

/// RFC 7692 §7.2.3's examples (frame payloads, tail already stripped).
enum RFC7692Examples {
    /// §7.2.3.1: "Hello" compressed.
    static let hello: [UInt8] = [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]
    /// §7.2.3.2: the second "Hello", a back-reference into the first (context takeover).
    static let helloAgainWithContext: [UInt8] = [0xF2, 0x00, 0x11, 0x00, 0x00]
    /// §7.2.3.3: "Hello" in a stored (BTYPE=00) block.
    static let helloStored: [UInt8] = [0x00, 0x05, 0x00, 0xFA, 0xFF, 0x48, 0x65, 0x6C, 0x6C, 0x6F, 0x00]
    /// §7.2.3.4: a block with BFINAL set.
    static let helloFinalBlock: [UInt8] = [0xF3, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00, 0x00]
    /// §7.2.3.5: two blocks in one message.
    static let helloTwoBlocks: [UInt8] = [0xF2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xCA, 0xC9, 0xC9, 0x07, 0x00]
}

/// Inflates one whole message with a fresh or given inflater.
func inflateMessage(_ compressed: [UInt8], with inflater: Inflater = Inflater(), limit: Int = 1 << 24) throws(WebSocketError) -> [UInt8] {
    var output: [UInt8] = []
    var failure: WebSocketError?
    compressed.withUnsafeBytes { raw in
        do throws(WebSocketError) { try inflater.inflate(raw, final: true, limit: limit, into: &output) } catch { failure = error }
    }
    if let failure { throw failure }
    return output
}

@Suite("RFC 7692 §7.2.3 examples")
struct RFC7692ExampleTests {
    typealias E = RFC7692Examples

    @Test func compressedHello() {
        // §7.2.3.1 on the wire (unmasked, as a server sends it) and as a client sends it.
        #expect(FrameEncoder.frame(opcode: .text, payload: E.hello, rsv1: true) == [0xC1, 0x07] + E.hello)
        #expect(Deflater().compress(bytes("Hello")) == E.hello)
        let outcome = readAllWays(clientFrame(.text, E.hello, rsv1: true), deflate: deflate15)
        #expect(outcome == MessageOutcome(messages: [.text(bytes("Hello"))]))
    }

    @Test func contextTakeoverNeedsTheWindow() throws {
        // §7.2.3.2 with one inflater kept across messages: the second message refers back.
        let inflater = Inflater()
        #expect(try inflateMessage(E.hello, with: inflater) == bytes("Hello"))
        #expect(try inflateMessage(E.helloAgainWithContext, with: inflater) == bytes("Hello"))
        // After reset (no context takeover) the back-reference points at nothing.
        let fresh = Inflater()
        #expect(try inflateMessage(E.hello, with: fresh) == bytes("Hello"))
        fresh.reset()
        #expect(throws: WebSocketError(.invalidCompressedData)) { try inflateMessage(E.helloAgainWithContext, with: fresh) }
        #expect(throws: WebSocketError(.invalidCompressedData)) { try inflateMessage(E.helloAgainWithContext) }
    }

    @Test func contextTakeoverIsNotNegotiated() {
        // relayd answers client_no_context_takeover: the first message reads, a second that
        // leans on the first one's window is corrupt.
        let input = clientFrame(.text, E.hello, rsv1: true) + clientFrame(.text, E.helloAgainWithContext, rsv1: true)
        let outcome = readAllWays(input, deflate: deflate15)
        #expect(outcome == MessageOutcome(messages: [.text(bytes("Hello"))], error: WebSocketError(.invalidCompressedData)))
        #expect(outcome.error?.closeCode.rawValue == 1002)
    }

    @Test func storedBlock() {
        let outcome = readAllWays(clientFrame(.text, E.helloStored, rsv1: true), deflate: deflate15)
        #expect(outcome == MessageOutcome(messages: [.text(bytes("Hello"))]))
    }

    @Test func finalBlockThenAnotherMessage() {
        let input = clientFrame(.text, E.helloFinalBlock, rsv1: true) + clientFrame(.binary, E.hello, rsv1: true)
        let outcome = readAllWays(input, deflate: deflate15)
        #expect(outcome == MessageOutcome(messages: [.text(bytes("Hello")), .binary(bytes("Hello"))]))
    }

    @Test func twoBlocksInOneMessage() {
        let outcome = readAllWays(clientFrame(.text, E.helloTwoBlocks, rsv1: true), deflate: deflate15)
        #expect(outcome == MessageOutcome(messages: [.text(bytes("Hello"))]))
    }

    @Test func compressedHelloFragmented() {
        // RSV1 on the first frame only; the compressed bytes are cut anywhere.
        let input = clientFrame(.text, Array(E.hello[..<3]), fin: false, rsv1: true)
            + clientFrame(.ping, bytes("x"))
            + clientFrame(.continuation, Array(E.hello[3..<5]), fin: false)
            + clientFrame(.continuation, Array(E.hello[5...]))
        let outcome = readAllWays(input, deflate: deflate15)
        #expect(outcome == MessageOutcome(messages: [.ping(bytes("x")), .text(bytes("Hello"))]))
    }
}

@Suite("permessage-deflate messages")
struct DeflateMessageTests {
    @Test(arguments: [0, 1, 5, 127, 128, 1000])
    func shortRoundTrip(length: Int) {
        let text = loremText(length)
        let compressed = Deflater().compress(text)
        let outcome = readAllWays(clientFrame(.text, compressed, rsv1: true), deflate: deflate15)
        #expect(outcome == MessageOutcome(messages: [.text(text)]))
        let binary = pattern(length)
        let binaryOutcome = readAllWays(clientFrame(.binary, Deflater().compress(binary), rsv1: true), deflate: deflate15)
        #expect(binaryOutcome == MessageOutcome(messages: [.binary(binary)]))
    }

    @Test func hundredKilobyteText() {
        let text = loremText(100_000)
        let compressed = Deflater().compress(text)
        #expect(compressed.count < text.count / 2, "the fixture should compress")
        let outcome = readAllWays(clientFrame(.text, compressed, rsv1: true), deflate: deflate15, byteByByte: false)
        #expect(outcome == MessageOutcome(messages: [.text(text)]))
        // In small reads, as a socket would deliver it.
        let frame = clientFrame(.text, compressed, rsv1: true)
        let reads = Swift.stride(from: 0, to: frame.count, by: 7).map { frame[$0..<min(frame.count, $0 + 7)] }
        #expect(feedMessages(reads, limits: .init(), deflate: deflate15) == outcome)
    }

    @Test func hundredKilobyteBinaryFragmented() {
        let binary = pattern(60_000) + loremText(40_000)
        let compressed = Deflater().compress(binary)
        let cuts = [0, 1, compressed.count / 3, compressed.count / 2, compressed.count - 1, compressed.count]
        var input: [UInt8] = []
        for index in 0..<(cuts.count - 1) {
            let piece = Array(compressed[cuts[index]..<cuts[index + 1]])
            let last = index == cuts.count - 2
            input += clientFrame(index == 0 ? .binary : .continuation, piece, fin: last, rsv1: index == 0)
            if index == 2 { input += clientFrame(.pong, bytes("between")) }
        }
        let outcome = readAllWays(input, deflate: deflate15, byteByByte: false)
        #expect(outcome == MessageOutcome(messages: [.pong(bytes("between")), .binary(binary)]))
    }

    @Test func compressedAndPlainMessagesMix() {
        let input = clientFrame(.text, Deflater().compress(bytes("one")), rsv1: true)
            + clientFrame(.text, bytes("two"))
            + clientFrame(.binary, [0xFF, 0x00], fin: false) + clientFrame(.continuation, [0x01])
            + clientFrame(.text, Deflater().compress(bytes("four")), rsv1: true)
        let outcome = readAllWays(input, deflate: deflate15)
        #expect(outcome == MessageOutcome(messages: [
            .text(bytes("one")), .text(bytes("two")), .binary([0xFF, 0x00, 0x01]), .text(bytes("four")),
        ]))
    }

    @Test func rsv1OnContinuationRejected() {
        let compressed = Deflater().compress(loremText(300))
        let compressedStart = clientFrame(.text, Array(compressed.prefix(10)), fin: false, rsv1: true)
        let badContinuation = clientFrame(.continuation, Array(compressed.dropFirst(10)), rsv1: true)
        let outcome = readAllWays(compressedStart + badContinuation, deflate: deflate15)
        #expect(outcome == MessageOutcome(messages: [], error: WebSocketError(.reservedBitsSet)))
        #expect(outcome.error?.closeCode.rawValue == 1002)
        // Also when the message started uncompressed.
        let plain = clientFrame(.text, bytes("a"), fin: false) + clientFrame(.continuation, bytes("b"), rsv1: true)
        #expect(readAllWays(plain, deflate: deflate15).error == WebSocketError(.reservedBitsSet))
    }

    @Test(arguments: [
        [0xFF, 0xFF, 0xFF, 0xFF],          // BTYPE 11 (reserved)
        [0x00, 0x05, 0x00, 0x00, 0x00],    // stored block with LEN and NLEN not complements
        [0xF2, 0x00, 0x11, 0x00, 0x00],    // distance too far back (no window)
    ] as [[UInt8]])
    func corruptDataRejected(payload: [UInt8]) {
        let outcome = readAllWays(clientFrame(.binary, payload, rsv1: true), deflate: deflate15)
        #expect(outcome == MessageOutcome(messages: [], error: WebSocketError(.invalidCompressedData)))
        #expect(outcome.error?.closeCode.rawValue == 1002)
    }

    @Test func invalidUTF8InsideCompressedTextFailsFast() {
        // A stored block inflates as its bytes arrive: the bad byte fails the message before
        // the frame is complete.
        let text = bytes("abc") + [0xC0, 0x80] + bytes("defghijklmnopqrstuvwxyz")
        let stored: [UInt8] = [0x00, UInt8(text.count), 0x00, ~UInt8(text.count), 0xFF] + text + [0x00]
        let frame = clientFrame(.text, stored, rsv1: true)
        #expect(readAllWays(frame, deflate: deflate15) == MessageOutcome(messages: [], error: WebSocketError(.invalidUTF8)))
        // Frame header (6), block header (5) and "abc": fine so far. The next byte, C0 (never
        // valid in UTF-8), fails the message with 30 bytes of the frame still to come.
        let perPart = messagesPerPart([Array(frame.prefix(6 + 5 + 3)), [frame[6 + 5 + 3]]], deflate: deflate15)
        #expect(perPart == [.success([]), .failure(WebSocketError(.invalidUTF8))])
    }

    @Test func truncatedUTF8AtEndOfCompressedText() {
        let compressed = Deflater().compress(bytes("ab") + [0xE2, 0x82])
        let outcome = readAllWays(clientFrame(.text, compressed, rsv1: true), deflate: deflate15)
        #expect(outcome.error == WebSocketError(.invalidUTF8))
        #expect(outcome.error?.closeCode.rawValue == 1007)
    }

    @Test func uncompressedMessageWithDeflateNegotiated() {
        // RSV1 clear: the payload is taken as is, even if it happens to look like deflate data.
        let outcome = readAllWays(clientFrame(.binary, RFC7692Examples.hello), deflate: deflate15)
        #expect(outcome == MessageOutcome(messages: [.binary(RFC7692Examples.hello)]))
    }
}

@Suite("Decompression limits")
struct DecompressionBombTests {
    static let megabyte = 1 << 20
    static let tenMegabytesOfZeros = Deflater().compress([UInt8](repeating: 0, count: 10 * 1024 * 1024))

    @Test func bombRejectedThroughMessageReader() {
        let compressed = Self.tenMegabytesOfZeros
        #expect(compressed.count < 20_000, "10 MB of zeros compresses to about 10 KB")
        let limits = MessageReader.Limits(maxMessageBytes: Self.megabyte)
        for opcode in [Opcode.binary, .text] {
            let frame = clientFrame(opcode, compressed, rsv1: true)
            let outcome = readAllWays(frame, limits: limits, deflate: deflate15, splitStride: frame.count / 8, byteByByte: false)
            #expect(outcome == MessageOutcome(messages: [], error: WebSocketError(.messageTooBig)))
            #expect(outcome.error?.closeCode.rawValue == 1009)

            // It fails once about a megabyte has been inflated: long before the compressed
            // frame has all arrived, and without holding more than the limit.
            var reader = MessageReader(limits: limits, deflate: deflate15)
            var fedBytes = 0
            var thrown: WebSocketError?
            while fedBytes < frame.count, thrown == nil {
                let end = min(frame.count, fedBytes + 256)
                reader.append(Array(frame[fedBytes..<end]))
                fedBytes = end
                do {
                    while try reader.next() != nil {}
                } catch {
                    thrown = error
                }
            }
            #expect(thrown == WebSocketError(.messageTooBig))
            #expect(fedBytes < frame.count / 4, "failed only after \(fedBytes) of \(frame.count) bytes")
            #expect(reader.bufferedByteCount <= Self.megabyte + frame.count)
        }
    }

    @Test func inflaterStopsAtTheLimit() {
        var output: [UInt8] = []
        let inflater = Inflater()
        let error = #expect(throws: WebSocketError.self) {
            try Self.tenMegabytesOfZeros.withUnsafeBytes { raw in
                try inflater.inflate(raw, final: true, limit: Self.megabyte, into: &output)
            }
        }
        #expect(error == WebSocketError(.messageTooBig))
        #expect(output.count <= Self.megabyte)
        #expect(output.count > Self.megabyte / 2, "it inflated up to the limit first")
    }

    @Test func messageOfExactlyTheLimitPasses() {
        let limits = MessageReader.Limits(maxMessageBytes: 100_000)
        let atLimit = [UInt8](repeating: 0x61, count: 100_000)
        let ok = readAllWays(clientFrame(.text, Deflater().compress(atLimit), rsv1: true), limits: limits,
                             deflate: deflate15, byteByByte: false)
        #expect(ok == MessageOutcome(messages: [.text(atLimit)]))
        let over = readAllWays(clientFrame(.text, Deflater().compress(atLimit + [0x61]), rsv1: true), limits: limits,
                               deflate: deflate15, byteByByte: false)
        #expect(over == MessageOutcome(messages: [], error: WebSocketError(.messageTooBig)))
    }

    @Test func limitCountsEveryFragment() {
        let limits = MessageReader.Limits(maxMessageBytes: 1000)
        let first = Deflater().compress(loremText(600))
        // Two compressed fragments that together inflate past the limit. The second is a
        // continuation of the same deflate stream, so compress both halves in one go.
        let whole = Deflater().compress(loremText(1200))
        let input = clientFrame(.text, Array(whole.prefix(whole.count / 2)), fin: false, rsv1: true)
            + clientFrame(.continuation, Array(whole.dropFirst(whole.count / 2)))
        #expect(readAllWays(input, limits: limits, deflate: deflate15).error == WebSocketError(.messageTooBig))
        #expect(readAllWays(clientFrame(.text, first, rsv1: true), limits: limits, deflate: deflate15).messages == [.text(loremText(600))])
    }
}

@Suite("Codecs")
struct CodecTests {
    @Test(arguments: 8...15)
    func poolRoundTripAtEveryWindowSize(windowBits: Int) throws {
        let pool = CodecPool()
        let message = loremText(50_000)
        let compressed = message.withUnsafeBytes { pool.compress($0, windowBits: windowBits) }
        #expect(compressed.count < message.count / 2)
        #expect(compressed.suffix(4) != [0x00, 0x00, 0xFF, 0xFF], "the sync-flush tail is stripped")
        #expect(try inflateMessage(compressed) == message)
        // The deflater went back reset: the same message compresses the same way again.
        let again = message.withUnsafeBytes { pool.compress($0, windowBits: windowBits) }
        #expect(again == compressed)
    }

    @Test func deflaterClampsWindowBits() {
        #expect(Deflater(windowBits: 8).windowBits == 9)
        #expect(Deflater(windowBits: 20).windowBits == 15)
        #expect(Deflater(windowBits: 12).windowBits == 12)
    }

    @Test func deflaterResetStartsAFreshStream() throws {
        let deflater = Deflater()
        let first = deflater.compress(bytes("Hello"))
        deflater.reset()
        let second = deflater.compress(bytes("Hello"))
        #expect(first == RFC7692Examples.hello)
        #expect(second == first)
        // Without reset the second message uses the first as context (RFC 7692 §7.2.3.2).
        let keeping = Deflater()
        _ = keeping.compress(bytes("Hello"))
        let withContext = keeping.compress(bytes("Hello"))
        #expect(withContext != first)
        let inflater = Inflater()
        #expect(try inflateMessage(first, with: inflater) == bytes("Hello"))
        #expect(try inflateMessage(withContext, with: inflater) == bytes("Hello"))
    }

    @Test func poolLendsAndTakesBackInflaters() throws {
        let pool = CodecPool(capacity: 1)
        let inflater = pool.takeInflater()
        // Leave it mid-stream, give it back: it comes back reset.
        var output: [UInt8] = []
        let partial: [UInt8] = [0xF2, 0x48]
        try partial.withUnsafeBytes { raw in try inflater.inflate(raw, final: false, limit: 100, into: &output) }
        pool.give(inflater)
        let again = pool.takeInflater()
        #expect(again === inflater)
        #expect(try inflateMessage(RFC7692Examples.hello, with: again) == bytes("Hello"))
        // Over capacity, a given-back inflater is dropped.
        let other = Inflater()
        pool.give(again)
        pool.give(other)
        #expect(pool.takeInflater() === again)
        #expect(pool.takeInflater() !== other)
    }
}
