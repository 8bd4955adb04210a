import CZlib

/// Raw DEFLATE (RFC 1951) as permessage-deflate uses it (RFC 7692 §7.2): each message is
/// compressed with a sync flush and its trailing `00 00 ff ff` stripped; the receiver puts
/// it back before inflating.
public enum DeflateCodec {
    static let tail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]
}

/// Inflates messages, refusing to produce more than a limit (decompression bombs).
public final class Inflater {
    private let stream: UnsafeMutablePointer<z_stream>
    /// Output scratch space, kept between calls: small reads must not allocate 16 KiB each.
    private var chunk = [UInt8](repeating: 0, count: 16 * 1024)

    /// A 15-bit window decodes any stream made with a smaller one.
    public init() {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = inflateInit2_(stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "inflateInit2 failed: \(status)")
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Inflates `input` and appends to `output`; with `final`, the message's stripped tail is
    /// fed too. Throws when `output` would pass `limit` bytes or the data is corrupt.
    public func inflate(_ input: UnsafeRawBufferPointer, final: Bool, limit: Int, into output: inout [UInt8]) throws(WebSocketError) {
        try feed(input, limit: limit, into: &output)
        if final {
            // withUnsafeBytes rethrows untyped errors: carry the typed one out by hand.
            var failure: WebSocketError?
            DeflateCodec.tail.withUnsafeBytes { tail in
                do throws(WebSocketError) { try feed(tail, limit: limit, into: &output) } catch { failure = error }
            }
            if let failure { throw failure }
        }
    }

    private func feed(_ input: UnsafeRawBufferPointer, limit: Int, into output: inout [UInt8]) throws(WebSocketError) {
        guard input.count > 0 else { return }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
        stream.pointee.avail_in = uInt(input.count)
        repeat {
            let produced = chunk.withUnsafeMutableBufferPointer { buffer -> Int32 in
                stream.pointee.next_out = buffer.baseAddress
                stream.pointee.avail_out = uInt(buffer.count)
                return CZlib.inflate(stream, Z_SYNC_FLUSH)
            }
            guard produced == Z_OK || produced == Z_BUF_ERROR || produced == Z_STREAM_END else {
                throw WebSocketError(.invalidCompressedData)
            }
            let count = chunk.count - Int(stream.pointee.avail_out)
            if output.count + count > limit { throw WebSocketError(.messageTooBig) }
            output.append(contentsOf: chunk[0..<count])
            if produced == Z_BUF_ERROR || produced == Z_STREAM_END { break }
        } while stream.pointee.avail_out == 0 || stream.pointee.avail_in > 0
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
    }

    /// Forgets the window: the next message starts fresh (no context takeover).
    public func reset() { inflateReset(stream) }
}

/// Compresses whole messages.
public final class Deflater {
    private let stream: UnsafeMutablePointer<z_stream>
    public let windowBits: Int

    /// `windowBits` 9–15 (zlib's raw deflate has no 8); memLevel 8 is zlib's default.
    public init(windowBits: Int = 15, level: Int32 = 6) {
        self.windowBits = min(15, max(9, windowBits))
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = deflateInit2_(stream, level, Z_DEFLATED, -Int32(self.windowBits), 8, Z_DEFAULT_STRATEGY,
                                   zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "deflateInit2 failed: \(status)")
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// The compressed message, tail stripped (RFC 7692 §7.2.1).
    public func compress(_ message: UnsafeRawBufferPointer) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(message.count / 2 + 64)
        var chunk = [UInt8](repeating: 0, count: max(1024, min(64 * 1024, message.count + 64)))
        stream.pointee.next_in = UnsafeMutablePointer(mutating: message.bindMemory(to: Bytef.self).baseAddress)
        stream.pointee.avail_in = uInt(message.count)
        repeat {
            chunk.withUnsafeMutableBufferPointer { buffer in
                stream.pointee.next_out = buffer.baseAddress
                stream.pointee.avail_out = uInt(buffer.count)
                _ = CZlib.deflate(stream, Z_SYNC_FLUSH)
            }
            output.append(contentsOf: chunk[0..<(chunk.count - Int(stream.pointee.avail_out))])
        } while stream.pointee.avail_out == 0
        stream.pointee.next_in = nil
        if output.count >= 4, Array(output.suffix(4)) == DeflateCodec.tail { output.removeLast(4) }
        return output
    }

    public func compress(_ message: [UInt8]) -> [UInt8] { message.withUnsafeBytes { compress($0) } }

    public func reset() { deflateReset(stream) }
}
