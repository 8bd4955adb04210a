import Testing
@testable import WebSocket

// Harnesses in the style of HTTP1Tests/ParserHarness.swift: one fixture is fed to a
// `FrameParser` (or a `MessageReader`) whole, one byte at a time, and split in two at every
// position (every `splitStride`-th for big fixtures), and every run must agree. Payload
// pieces are concatenated so the comparison does not depend on how reads were cut. An error
// ends a run; the runs must then agree on the error and on everything produced before it.

/// Fixture text as bytes.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// The masking key of RFC 6455 §5.7's masked examples.
let rfcKey: (UInt8, UInt8, UInt8, UInt8) = (0x37, 0xFA, 0x21, 0x3D)

/// A masked (client) frame built by `FrameEncoder`.
func clientFrame(
    _ opcode: Opcode, _ payload: [UInt8], fin: Bool = true, rsv1: Bool = false,
    key: (UInt8, UInt8, UInt8, UInt8) = rfcKey
) -> [UInt8] {
    FrameEncoder.frame(opcode: opcode, payload: payload, fin: fin, rsv1: rsv1, maskingKey: key)
}

/// A masked frame with an arbitrary first byte (FIN, RSV bits, any opcode nibble) and the
/// minimal length encoding, built by hand so it does not depend on `FrameEncoder`.
func rawClientFrame(first: UInt8, payload: [UInt8], key: [UInt8] = [0x12, 0x34, 0x56, 0x78]) -> [UInt8] {
    var frame: [UInt8] = [first]
    frame += lengthBytes(payload.count, masked: true)
    frame += key
    frame += payload.enumerated().map { $0.element ^ key[$0.offset & 3] }
    return frame
}

/// The second header byte and extended length, minimally encoded.
func lengthBytes(_ length: Int, masked: Bool) -> [UInt8] {
    let maskBit: UInt8 = masked ? 0x80 : 0
    if length < 126 { return [maskBit | UInt8(length)] }
    if length <= 0xFFFF { return [maskBit | 126, UInt8(length >> 8), UInt8(length & 0xFF)] }
    return [maskBit | 127] + stride(from: 56, through: 0, by: -8).map { UInt8((length >> $0) & 0xFF) }
}

/// A deterministic, not very compressible byte pattern.
func pattern(_ count: Int, seed: UInt32 = 1) -> [UInt8] {
    var state = seed &* 2_654_435_761 | 1
    return (0..<count).map { _ in
        state ^= state << 13
        state ^= state >> 17
        state ^= state << 5
        return UInt8(truncatingIfNeeded: state)
    }
}

/// ASCII text that compresses moderately (words from a small vocabulary).
func loremText(_ count: Int) -> [UInt8] {
    let words = ["relay", "frame", "socket", "deflate", "event", "stream", "json", "id", "ok", "payload", "ping", "42"]
    var output: [UInt8] = []
    output.reserveCapacity(count + 16)
    let choices = pattern(count)
    var index = 0
    while output.count < count {
        output += bytes(words[Int(choices[index % choices.count]) % words.count])
        output.append(index % 9 == 8 ? 0x0A : 0x20)
        index += 1
    }
    return Array(output.prefix(count))
}

func hex(_ data: some Collection<UInt8>) -> String {
    let shown = data.prefix(24).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
    return shown.joined(separator: " ") + (data.count > 24 ? " …(\(data.count) bytes)" : "")
}

/// Split points: every position, or about a hundred spread over a big fixture (always
/// including the first and last few, where headers and frame ends are).
func splitPoints(count: Int, stride splitStride: Int? = nil) -> [Int] {
    let step = splitStride ?? (count > 2048 ? max(1, count / 100) : 1)
    var points = Set(Swift.stride(from: 0, through: count, by: step))
    for edge in 0...min(count, 16) {
        points.insert(edge)
        points.insert(count - edge)
    }
    return points.sorted()
}

// MARK: - Frame parser harness

enum FrameEvent: Equatable, CustomStringConvertible {
    case head(FrameHeader)
    /// All payload pieces of one frame, concatenated.
    case payload([UInt8])
    case end

    var description: String {
        switch self {
        case .head(let header):
            let key = header.maskingKey.map { "key " + hex([$0.0, $0.1, $0.2, $0.3]) } ?? "unmasked"
            return "head(fin \(header.fin) rsv1 \(header.rsv1) \(header.opcode) len \(header.payloadLength) \(key))"
        case .payload(let payload): return "payload(\(hex(payload)))"
        case .end: return "end"
        }
    }
}

struct FrameOutcome: Equatable, CustomStringConvertible {
    var events: [FrameEvent] = []
    var error: WebSocketError?
    /// Bytes the parser still held after the last part (0 after an error).
    var bufferedByteCount = 0

    var description: String {
        var text = events.prefix(12).map(\.description).joined(separator: ", ")
        if events.count > 12 { text += ", …(\(events.count) events)" }
        if let error { text += " !! \(error.reason) (\(error.closeCode))" }
        return "[\(text)] buffered=\(bufferedByteCount)"
    }

    var headers: [FrameHeader] { events.compactMap { if case .head(let h) = $0 { h } else { nil } } }
    var payloads: [[UInt8]] {
        // One entry per completed frame (empty for a frame without payload).
        var result: [[UInt8]] = []
        var current: [UInt8] = []
        for event in events {
            switch event {
            case .head: current = []
            case .payload(let piece): current = piece
            case .end: result.append(current)
            }
        }
        return result
    }
}

/// Feeds `parts` in order, draining `next()` after each. Checks that no payload piece is
/// empty and that a failed parser keeps throwing the same error.
func feedFrames(
    _ parts: [ArraySlice<UInt8>], configuration: FrameParser.Configuration,
    sourceLocation: SourceLocation = #_sourceLocation
) -> FrameOutcome {
    var parser = FrameParser(configuration: configuration)
    var outcome = FrameOutcome()
    var pending: [UInt8]? // payload of the current frame so far
    func flush() {
        if let payload = pending { outcome.events.append(.payload(payload)) }
        pending = nil
    }
    for part in parts {
        parser.append(part)
        do {
            while let event = try parser.next() {
                switch event {
                case .head(let header):
                    flush()
                    outcome.events.append(.head(header))
                case .payload(let piece):
                    #expect(!piece.isEmpty, "the parser emitted an empty payload piece", sourceLocation: sourceLocation)
                    if pending == nil { pending = [] }
                    pending!.append(contentsOf: piece)
                case .end:
                    flush()
                    outcome.events.append(.end)
                }
            }
        } catch {
            flush()
            outcome.error = error
            for extra in [[], [0x82, 0x80, 0, 0, 0, 0]] as [[UInt8]] {
                parser.append(extra)
                do {
                    let event = try parser.next()
                    Issue.record("next() after \(error.reason) returned \(String(describing: event))", sourceLocation: sourceLocation)
                } catch let again {
                    #expect(again == error, "error is not sticky", sourceLocation: sourceLocation)
                }
            }
            return outcome
        }
    }
    flush()
    outcome.bufferedByteCount = parser.bufferedByteCount
    return outcome
}

/// Runs `input` whole, byte by byte (unless `byteByByte` is false), and split in two at
/// the `splitPoints`, expects all runs to agree, and returns the whole run's outcome.
@discardableResult
func parseFramesAllWays(
    _ input: [UInt8], configuration: FrameParser.Configuration = .init(), splitStride: Int? = nil,
    byteByByte: Bool = true, sourceLocation: SourceLocation = #_sourceLocation
) -> FrameOutcome {
    let whole = feedFrames([input[...]], configuration: configuration, sourceLocation: sourceLocation)
    if byteByByte {
        let single = feedFrames(input.indices.map { input[$0..<($0 + 1)] }, configuration: configuration, sourceLocation: sourceLocation)
        #expect(single == whole, "byte-at-a-time differs from whole:\n  whole: \(whole)\n  bytes: \(single)", sourceLocation: sourceLocation)
    }
    for split in splitPoints(count: input.count, stride: splitStride) {
        let outcome = feedFrames([input[..<split], input[split...]], configuration: configuration, sourceLocation: sourceLocation)
        if outcome != whole {
            Issue.record("split at \(split) of \(input.count) differs from whole:\n  whole: \(whole)\n  split: \(outcome)", sourceLocation: sourceLocation)
            break
        }
    }
    return whole
}

// MARK: - Message reader harness

struct MessageOutcome: Equatable, CustomStringConvertible {
    var messages: [WebSocketMessage] = []
    var error: WebSocketError?

    var description: String {
        let shown = messages.prefix(8).map { message -> String in
            switch message {
            case .text(let b): return "text(\(b.count > 40 ? "\(b.count) bytes" : String(decoding: b, as: UTF8.self)))"
            case .binary(let b): return "binary(\(hex(b)))"
            case .ping(let b): return "ping(\(hex(b)))"
            case .pong(let b): return "pong(\(hex(b)))"
            case .close(let code, let reason): return "close(\(code.map(\.description) ?? "nil"), \(reason))"
            }
        }
        var text = shown.joined(separator: ", ")
        if messages.count > 8 { text += ", …(\(messages.count) messages)" }
        if let error { text += " !! \(error.reason) (\(error.closeCode))" }
        return "[\(text)]"
    }
}

/// The extension as negotiated for a plain offer.
let deflate15 = PermessageDeflate(serverMaxWindowBits: 15, clientMaxWindowBits: nil)

func feedMessages(
    _ parts: [ArraySlice<UInt8>], limits: MessageReader.Limits, deflate: PermessageDeflate?,
    sourceLocation: SourceLocation = #_sourceLocation
) -> MessageOutcome {
    var reader = MessageReader(limits: limits, deflate: deflate)
    var outcome = MessageOutcome()
    for part in parts {
        reader.append(Array(part))
        do {
            while let message = try reader.next() { outcome.messages.append(message) }
        } catch {
            outcome.error = error
            reader.append(clientFrame(.text, bytes("more")))
            do {
                let message = try reader.next()
                Issue.record("next() after \(error.reason) returned \(String(describing: message))", sourceLocation: sourceLocation)
            } catch let again {
                #expect(again == error, "error is not sticky", sourceLocation: sourceLocation)
            }
            return outcome
        }
    }
    return outcome
}

@discardableResult
func readAllWays(
    _ input: [UInt8], limits: MessageReader.Limits = .init(), deflate: PermessageDeflate? = nil,
    splitStride: Int? = nil, byteByByte: Bool = true, sourceLocation: SourceLocation = #_sourceLocation
) -> MessageOutcome {
    let whole = feedMessages([input[...]], limits: limits, deflate: deflate, sourceLocation: sourceLocation)
    if byteByByte {
        let single = feedMessages(input.indices.map { input[$0..<($0 + 1)] }, limits: limits, deflate: deflate, sourceLocation: sourceLocation)
        #expect(single == whole, "byte-at-a-time differs from whole:\n  whole: \(whole)\n  bytes: \(single)", sourceLocation: sourceLocation)
    }
    for split in splitPoints(count: input.count, stride: splitStride) {
        let outcome = feedMessages([input[..<split], input[split...]], limits: limits, deflate: deflate, sourceLocation: sourceLocation)
        if outcome != whole {
            Issue.record("split at \(split) of \(input.count) differs from whole:\n  whole: \(whole)\n  split: \(outcome)", sourceLocation: sourceLocation)
            break
        }
    }
    return whole
}

/// Feeds parts to one reader and returns, per part, what `next()` produced after it: the
/// messages, or the error (which ends the run). For "fails as soon as" assertions.
func messagesPerPart(
    _ parts: [[UInt8]], limits: MessageReader.Limits = .init(), deflate: PermessageDeflate? = nil
) -> [Result<[WebSocketMessage], WebSocketError>] {
    var reader = MessageReader(limits: limits, deflate: deflate)
    var results: [Result<[WebSocketMessage], WebSocketError>] = []
    for part in parts {
        reader.append(part)
        var messages: [WebSocketMessage] = []
        do {
            while let message = try reader.next() { messages.append(message) }
            results.append(.success(messages))
        } catch {
            results.append(.failure(error))
            return results
        }
    }
    return results
}
