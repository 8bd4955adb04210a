import CZlib

/// The gzip format (RFC 1952) in one call, for bodies compressed once at start and sent
/// many times: so the best compression level, whatever it costs.
enum Gzip {
    /// `data` as a gzip member. zlib writes the header itself when windowBits is 15 + 16; it
    /// leaves the modification time 0, so the same input always gives the same bytes (and
    /// the same ETag).
    static func compress(_ data: [UInt8]) -> [UInt8] {
        // zlib's state points back at its z_stream, so the stream must not move between calls:
        // allocated, not a Swift local passed inout.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = deflateInit2_(stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY,
                                   zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "deflateInit2 failed: \(status)")
        defer {
            deflateEnd(stream)
            stream.deinitialize(count: 1)
            stream.deallocate()
        }
        // deflateBound counts this stream's gzip wrapper: one Z_FINISH call fits in it.
        var output = [UInt8](repeating: 0, count: Int(deflateBound(stream, uLong(data.count))) + 32)
        let produced = data.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { out -> Int in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
                stream.pointee.avail_in = uInt(input.count)
                stream.pointee.next_out = out.bindMemory(to: Bytef.self).baseAddress
                stream.pointee.avail_out = uInt(out.count)
                let result = deflate(stream, Z_FINISH)
                precondition(result == Z_STREAM_END, "deflate did not finish: \(result)")
                return out.count - Int(stream.pointee.avail_out)
            }
        }
        output.removeLast(output.count - produced)
        return output
    }
}
