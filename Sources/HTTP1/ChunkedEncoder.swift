/// Frames streamed response bodies as `chunked` (RFC 9112 §7.1): each write becomes one
/// chunk, so it leaves the server as soon as it is written. An empty write would read as
/// the last chunk, so it produces nothing.
public enum ChunkedEncoder {
    public static func appendChunk(_ data: some Collection<UInt8>, to output: inout [UInt8]) {
        guard !data.isEmpty else { return }
        HTTPWire.appendHex(data.count, to: &output)
        output.append(contentsOf: HTTPWire.crlf)
        output.append(contentsOf: data)
        output.append(contentsOf: HTTPWire.crlf)
    }

    /// The last chunk and an empty trailer section.
    public static let end: [UInt8] = Array("0\r\n\r\n".utf8)
}
