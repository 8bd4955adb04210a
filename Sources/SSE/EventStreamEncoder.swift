/// Writes `text/event-stream` (the HTTP fallback's wire format). Works on UTF-8 bytes: CR and
/// LF are ASCII, so they never occur inside a multi-byte sequence, and a line is split at the
/// LF byte. (Splitting the text by Characters left a CRLF, which is one Character, inside a
/// line, and the parser then saw its LF end the line and dropped the rest.)
public enum EventStreamEncoder {
    /// `event:`, `id:` and one `data:` line per line of `data`, then the blank line. A CR in
    /// any of them becomes a space (a field value cannot hold a line end).
    public static func event(type: String? = nil, id: String? = nil, data: String) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(data.utf8.count + 64)
        if let type { appendField("event", type, to: &output) }
        if let id { appendField("id", id, to: &output) }
        output.append(contentsOf: dataPrefix)
        for byte in data.utf8 {
            switch byte {
            case lineFeed:
                output.append(lineFeed)
                output.append(contentsOf: dataPrefix)
            case carriageReturn:
                output.append(space)
            default:
                output.append(byte)
            }
        }
        output.append(lineFeed)
        output.append(lineFeed)
        return output
    }

    /// A comment line (`: ping`), which proxies see as traffic and clients ignore.
    public static func comment(_ text: String) -> [UInt8] {
        var output: [UInt8] = [UInt8(ascii: ":"), space]
        appendSanitized(text, to: &output)
        output.append(lineFeed)
        output.append(lineFeed)
        return output
    }

    public static func retry(milliseconds: Int) -> [UInt8] {
        Array("retry: \(max(0, milliseconds))\n\n".utf8)
    }

    /// A field value must not contain a line end.
    static func sanitized(_ value: String) -> String {
        var output: [UInt8] = []
        appendSanitized(value, to: &output)
        return String(decoding: output, as: UTF8.self)
    }

    private static let lineFeed = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let space = UInt8(ascii: " ")
    private static let dataPrefix = Array("data: ".utf8)

    private static func appendField(_ name: String, _ value: String, to output: inout [UInt8]) {
        output.append(contentsOf: name.utf8)
        output.append(UInt8(ascii: ":"))
        output.append(space)
        appendSanitized(value, to: &output)
        output.append(lineFeed)
    }

    private static func appendSanitized(_ value: String, to output: inout [UInt8]) {
        for byte in value.utf8 { output.append(byte == lineFeed || byte == carriageReturn ? space : byte) }
    }
}
