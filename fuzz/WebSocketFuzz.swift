// libFuzzer entry point for the WebSocket protocol code (Sources/WebSocket): the frame
// parser, the message reader, permessage-deflate (negotiation and inflate) and the UTF-8
// validator. Built by fuzz/run.sh as one module with Sources/WebSocket/*.swift and
// fuzz/FuzzSupport.swift, against the HTTP1 module and the COpenSSL/CZlib system modules.
//
// The first byte picks a mode (low three bits) and options (the others); the rest is the data.
//
//   0 FrameParser (masked or not, RSV1 allowed or not, frames ≤ 1024 bytes), fed whole, cut at
//     random points and byte by byte: the same frames (payload concatenated) and error every
//     way; no payload beyond a frame's length, control frames FIN and ≤ 125 bytes, an error
//     that stays; each complete frame re-encoded by FrameEncoder gives back exactly its bytes.
//   1 MessageReader without deflate, 2 with permessage-deflate (messages ≤ 2048 bytes, ≤ 8
//     fragments), fed the same ways: the same messages and error (when an error comes from a
//     payload's content, which check sees it first depends on the read sizes, so only
//     "some content error" must agree); text is valid UTF-8, no message over the limit,
//     close codes valid, control payloads ≤ 125 bytes, the error stays.
//   3 Round trips on the data: deflate (window from the options) → frames cut at random →
//     MessageReader gives the data back, or messageTooBig when it is over the limit; the raw
//     data through an Inflater never produces more than the limit, and stops with
//     messageTooBig only when a higher limit really produces more; UTF8Validator, fed in two
//     pieces, agrees with String(validating:); a close payload written by
//     FrameEncoder.closePayload parses back to its code and a prefix of its reason.
//   4 PermessageDeflate.negotiate on the data as header values (one per line): what it
//     accepts is in range, and negotiating its own response header gives the same result.

import HTTP1

let target = "WebSocket"
let frameLimit = 1024
let readerLimits = MessageReader.Limits(maxMessageBytes: 2048, maxFragments: 8)

/// Errors raised by a payload's bytes: with several in one read, which is found first depends
/// on where the reads were cut.
let contentErrors: Set<WebSocketError.Reason> = [.messageTooBig, .invalidUTF8, .invalidCompressedData]

// MARK: - Frame parser

struct Frame: Equatable {
    var header: FrameHeader
    var payload: [UInt8] = []
    var ended = false
}

struct FrameOutcome: Equatable {
    var frames: [Frame] = []
    var error: WebSocketError?
}

func parseFrames(_ input: UnsafeBufferPointer<UInt8>, ends: [Int], configuration: FrameParser.Configuration) -> FrameOutcome {
    func check(_ condition: Bool, _ what: @autoclosure () -> String) {
        if !condition { fuzzFail(target, what(), input) }
    }
    var parser = FrameParser(configuration: configuration)
    var outcome = FrameOutcome()
    var fed = 0
    for end in ends {
        let part = UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: input[fed..<end]))
        if end - fed == 1 { parser.append(CollectionOfOne(part[0])) } else { parser.append(part) }
        fed = end
        do {
            while let event = try parser.next() {
                check(parser.bufferedByteCount <= fed, "bufferedByteCount \(parser.bufferedByteCount) > \(fed) fed")
                switch event {
                case .head(let header):
                    check(outcome.frames.last?.ended ?? true, "a head inside a frame")
                    check(header.payloadLength <= configuration.maxFrameLength, "frame of \(header.payloadLength) bytes accepted")
                    check(!header.rsv2 && !header.rsv3 && (!header.rsv1 || configuration.allowRSV1), "reserved bits accepted")
                    check((header.maskingKey != nil) == configuration.expectMasked, "masking not as configured")
                    if header.opcode.isControl {
                        check(header.fin && header.payloadLength <= 125 && !header.rsv1, "bad control frame accepted: \(header)")
                    }
                    outcome.frames.append(Frame(header: header))
                case .payload(let bytes):
                    check(!bytes.isEmpty, "empty payload piece")
                    guard var frame = outcome.frames.last, !frame.ended else { fuzzFail(target, "payload outside a frame", input) }
                    frame.payload += bytes
                    check(frame.payload.count <= frame.header.payloadLength, "more payload than the header's \(frame.header.payloadLength)")
                    outcome.frames[outcome.frames.count - 1] = frame
                case .end:
                    guard var frame = outcome.frames.last, !frame.ended else { fuzzFail(target, "end outside a frame", input) }
                    check(frame.payload.count == frame.header.payloadLength, "frame ended after \(frame.payload.count) of \(frame.header.payloadLength) bytes")
                    frame.ended = true
                    outcome.frames[outcome.frames.count - 1] = frame
                }
            }
        } catch {
            outcome.error = error
            parser.append([0x81, 0x80, 0, 0, 0, 0])
            do {
                _ = try parser.next()
                check(false, "next() after \(error) did not throw")
            } catch let again {
                check(again == error, "error not sticky: \(error) then \(again)")
            }
            return outcome
        }
        // Waiting for more: at most a header's 14 bytes are held back.
        check(parser.bufferedByteCount < 14, "holds \(parser.bufferedByteCount) bytes while waiting")
    }
    return outcome
}

func fuzzFrameParser(_ input: UnsafeBufferPointer<UInt8>, options: UInt8) {
    let configuration = FrameParser.Configuration(expectMasked: options & 1 == 0, allowRSV1: options & 2 != 0, maxFrameLength: frameLimit)
    let whole = parseFrames(input, ends: [input.count], configuration: configuration)
    for (label, ends) in feedingPlans(count: input.count, seed: fnv1a(input)) {
        let other = parseFrames(input, ends: ends, configuration: configuration)
        if other != whole { fuzzFail(target, "\(label) differs from whole:\n  whole: \(whole)\n  \(label): \(other)", input) }
    }
    // Complete frames re-encode to exactly the bytes they came from (lengths are minimal).
    var encoded: [UInt8] = []
    for frame in whole.frames where frame.ended {
        FrameEncoder.append(opcode: frame.header.opcode, payload: frame.payload, fin: frame.header.fin, rsv1: frame.header.rsv1,
                            maskingKey: frame.header.maskingKey, to: &encoded)
    }
    if !input.starts(with: encoded) {
        fuzzFail(target, "re-encoded frames \(escaped(encoded)) are not the input's first \(encoded.count) bytes", input)
    }
}

// MARK: - Message reader

struct MessageOutcome: Equatable {
    var messages: [WebSocketMessage] = []
    var error: WebSocketError?
}

func readMessages(_ input: UnsafeBufferPointer<UInt8>, ends: [Int], deflate: PermessageDeflate?, codecs: CodecPool?) -> MessageOutcome {
    func check(_ condition: Bool, _ what: @autoclosure () -> String) {
        if !condition { fuzzFail(target, what(), input) }
    }
    var reader = MessageReader(limits: readerLimits, deflate: deflate, codecs: codecs)
    var outcome = MessageOutcome()
    var fed = 0
    for end in ends {
        reader.append(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: input[fed..<end])))
        fed = end
        do {
            while let message = try reader.next() {
                switch message {
                case .text(let bytes):
                    check(bytes.count <= readerLimits.maxMessageBytes, "text of \(bytes.count) bytes")
                    check(String(validating: bytes, as: UTF8.self) != nil, "invalid UTF-8 in a text message")
                case .binary(let bytes):
                    check(bytes.count <= readerLimits.maxMessageBytes, "binary of \(bytes.count) bytes")
                case .ping(let bytes), .pong(let bytes):
                    check(bytes.count <= 125, "control payload of \(bytes.count) bytes")
                case .close(let code, let reason):
                    check(code?.isValidFromPeer ?? true, "close code \(String(describing: code)) accepted")
                    check(reason.utf8.count <= 123 && (code != nil || reason.isEmpty), "close reason \(escaped(reason))")
                }
                outcome.messages.append(message)
            }
        } catch {
            outcome.error = error
            do {
                _ = try reader.next()
                check(false, "next() after \(error) did not throw")
            } catch let again {
                check(again == error, "error not sticky: \(error) then \(again)")
            }
            return outcome
        }
        check(reader.bufferedByteCount <= fed + readerLimits.maxMessageBytes,
              "bufferedByteCount \(reader.bufferedByteCount) after \(fed) bytes")
    }
    return outcome
}

func sameMessages(_ a: MessageOutcome, _ b: MessageOutcome) -> Bool {
    if a == b { return true }
    guard a.messages == b.messages, let first = a.error?.reason, let second = b.error?.reason else { return false }
    return contentErrors.contains(first) && contentErrors.contains(second)
}

func fuzzMessageReader(_ input: UnsafeBufferPointer<UInt8>, deflate: Bool) {
    let negotiated = deflate ? PermessageDeflate(serverMaxWindowBits: 15, clientMaxWindowBits: nil) : nil
    // One pool for every run: inflaters must come back reset.
    let codecs = CodecPool(capacity: 1)
    let whole = readMessages(input, ends: [input.count], deflate: negotiated, codecs: codecs)
    for (label, ends) in feedingPlans(count: input.count, seed: fnv1a(input)) {
        let other = readMessages(input, ends: ends, deflate: negotiated, codecs: codecs)
        if !sameMessages(whole, other) {
            fuzzFail(target, "\(label) differs from whole:\n  whole: \(whole)\n  \(label): \(other)", input)
        }
    }
}

// MARK: - Round trips

func fuzzRoundTrips(_ input: UnsafeBufferPointer<UInt8>, options: UInt8) {
    func check(_ condition: Bool, _ what: @autoclosure () -> String) {
        if !condition { fuzzFail(target, what(), input) }
    }
    var random = SplitMix64(state: fnv1a(input))
    let data = Array(input)

    // deflate → frames → MessageReader.
    let windowBits = 9 + Int(options % 7)
    let compressed = Deflater(windowBits: windowBits).compress(data)
    let isText = String(validating: data, as: UTF8.self) != nil
    let key = (UInt8.random(in: 0...255, using: &random), UInt8.random(in: 0...255, using: &random),
               UInt8.random(in: 0...255, using: &random), UInt8.random(in: 0...255, using: &random))
    let pieces = Int.random(in: 1...4, using: &random)
    var cuts = (1..<pieces).map { _ in Int.random(in: 0...compressed.count, using: &random) }.sorted()
    cuts.append(compressed.count)
    var frames: [UInt8] = []
    var start = 0
    for (index, cut) in cuts.enumerated() {
        FrameEncoder.append(opcode: index == 0 ? (isText ? .text : .binary) : .continuation, payload: Array(compressed[start..<cut]),
                            fin: index == cuts.count - 1, rsv1: index == 0, maskingKey: key, to: &frames)
        // A control frame between the fragments (or after the only one).
        if index == 0 { FrameEncoder.append(opcode: .ping, payload: Array(data.prefix(125)), maskingKey: key, to: &frames) }
        start = cut
    }
    var reader = MessageReader(limits: readerLimits, deflate: PermessageDeflate(serverMaxWindowBits: 15, clientMaxWindowBits: nil))
    reader.append(frames)
    do {
        var messages: [WebSocketMessage] = []
        while let message = try reader.next() { messages.append(message) }
        check(data.count <= readerLimits.maxMessageBytes, "a \(data.count)-byte message was not refused")
        let expected: WebSocketMessage = isText ? .text(data) : .binary(data)
        let ping = WebSocketMessage.ping(Array(data.prefix(125)))
        check(messages == (pieces == 1 ? [expected, ping] : [ping, expected]), "deflate round trip (window \(windowBits), \(pieces) frames) gave \(messages)")
    } catch {
        check(error.reason == .messageTooBig && data.count > readerLimits.maxMessageBytes, "deflate round trip failed: \(error)")
    }

    // Raw inflate with a limit.
    let limit = 1024
    var limited: [UInt8] = []
    var unlimited: [UInt8] = []
    var unlimitedError: WebSocketError?
    do throws(WebSocketError) {
        try Inflater().inflate(UnsafeRawBufferPointer(input), final: true, limit: 8 << 20, into: &unlimited)
    } catch {
        unlimitedError = error
    }
    do throws(WebSocketError) {
        try Inflater().inflate(UnsafeRawBufferPointer(input), final: true, limit: limit, into: &limited)
        check(limited.count <= limit, "inflated \(limited.count) bytes with a limit of \(limit)")
        check(unlimitedError == nil && limited == unlimited, "inflate with a limit disagrees with a higher one")
    } catch {
        check(limited.count <= limit, "inflated \(limited.count) bytes with a limit of \(limit) before failing")
        if error.reason == .messageTooBig {
            check(unlimited.count > limit || unlimitedError != nil, "messageTooBig, but only \(unlimited.count) bytes come out")
        } else {
            check(error == unlimitedError, "inflate failed with \(error) under a limit, \(String(describing: unlimitedError)) without")
        }
    }

    // UTF-8 validation in two pieces.
    let cut = Int.random(in: 0...data.count, using: &random)
    var validator = UTF8Validator()
    let valid = validator.validate(Array(data[..<cut])) && validator.validate(Array(data[cut...])) && validator.isComplete
    check(valid == isText, "UTF8Validator says \(valid), String(validating:) \(isText) (cut at \(cut))")

    // Close payload round trip.
    if data.count >= 2 {
        let code = CloseCode(UInt16(data[0]) << 8 | UInt16(data[1]))
        let reason = String(decoding: data[2...], as: UTF8.self)
        let payload = FrameEncoder.closePayload(code, reason: reason)
        check(payload.count <= 125, "close payload of \(payload.count) bytes")
        do {
            let message = try MessageReader.parseClose(payload)
            guard case .close(let parsedCode, let parsedReason) = message else { fuzzFail(target, "parseClose gave \(message)", input) }
            check(parsedCode == code && code.isValidFromPeer, "close code \(code.rawValue) parsed as \(String(describing: parsedCode))")
            check(reason.utf8.starts(with: parsedReason.utf8) && parsedReason.utf8.count >= min(reason.utf8.count, 120),
                  "close reason \(escaped(reason)) came back as \(escaped(parsedReason))")
        } catch {
            check(!code.isValidFromPeer && error.reason == .invalidCloseCode, "close payload for \(code.rawValue) rejected: \(error)")
        }
    }
}

// MARK: - Negotiation

func fuzzNegotiation(_ input: UnsafeBufferPointer<UInt8>) {
    func check(_ condition: Bool, _ what: @autoclosure () -> String) {
        if !condition { fuzzFail(target, what(), input) }
    }
    let offers = String(decoding: input, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard let accepted = PermessageDeflate.negotiate(offers: offers) else { return }
    check((8...15).contains(accepted.serverMaxWindowBits), "server_max_window_bits \(accepted.serverMaxWindowBits)")
    check(accepted.clientMaxWindowBits.map { (8...15).contains($0) } ?? true, "client_max_window_bits \(String(describing: accepted.clientMaxWindowBits))")
    let again = PermessageDeflate.negotiate(offers: [accepted.responseHeader])
    check(again == accepted, "the response header \(accepted.responseHeader) negotiates to \(String(describing: again))")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let selector = data[0]
    let input = UnsafeBufferPointer(start: data + 1, count: size - 1)
    switch selector & 7 {
    case 0: fuzzFrameParser(input, options: selector >> 3)
    case 1: fuzzMessageReader(input, deflate: false)
    case 2: fuzzMessageReader(input, deflate: true)
    case 3: fuzzRoundTrips(input, options: selector >> 3)
    case 4: fuzzNegotiation(input)
    default: return -1 // not a mode: keep out of the corpus
    }
    return 0
}
