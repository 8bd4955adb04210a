/// Writes `text/event-stream` (the HTTP fallback's wire format).
public enum EventStreamEncoder {
    /// `event:`, `id:` and one `data:` line per line of `data`, then the blank line.
    public static func event(type: String? = nil, id: String? = nil, data: String) -> [UInt8] {
        var text = ""
        if let type { text += "event: \(sanitized(type))\n" }
        if let id { text += "id: \(sanitized(id))\n" }
        // Split on the LF scalar, not on Characters: CRLF is one Character, so a Character split
        // left it inside a line, and the parser then saw the LF end the line and dropped the rest.
        for line in data.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
            text += "data: "
            text.unicodeScalars.append(contentsOf: line.lazy.map { $0 == "\r" ? " " : $0 })
            text += "\n"
        }
        text += "\n"
        return Array(text.utf8)
    }

    /// A comment line (`: ping`), which proxies see as traffic and clients ignore.
    public static func comment(_ text: String) -> [UInt8] {
        Array(": \(sanitized(text))\n\n".utf8)
    }

    public static func retry(milliseconds: Int) -> [UInt8] {
        Array("retry: \(max(0, milliseconds))\n\n".utf8)
    }

    /// A field value must not contain a line end.
    static func sanitized(_ value: String) -> String {
        String(value.unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : Character($0) })
    }
}
