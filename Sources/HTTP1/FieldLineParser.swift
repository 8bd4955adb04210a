/// Parses one `field-name ":" OWS field-value OWS` line (RFC 9112 §5), shared by the header
/// and trailer sections. The line excludes its CRLF; the caller has already rejected bare CR
/// and bare LF.
enum FieldLineParser {
    static func parse(_ line: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> HeaderFields.Field {
        guard let first = line.first else { throw HTTPParseError(.invalidHeaderName) }
        // A line starting with whitespace continues the previous one: obs-fold (RFC 9112 §5.2).
        if first == ASCII.space || first == ASCII.tab { throw HTTPParseError(.obsoleteLineFolding) }
        var index = 0
        while index < line.count, line[index] != ASCII.colon {
            let byte = line[index]
            if byte == ASCII.space || byte == ASCII.tab {
                // RFC 9112 §5.1: no whitespace between name and colon; must be rejected with 400.
                throw HTTPParseError(.whitespaceBeforeColon)
            }
            guard ASCII.isToken(byte) else { throw HTTPParseError(.invalidHeaderName) }
            index += 1
        }
        guard index < line.count, index > 0 else { throw HTTPParseError(.invalidHeaderName) }
        let nameEnd = index
        index += 1
        while index < line.count, line[index] == ASCII.space || line[index] == ASCII.tab { index += 1 }
        var valueEnd = line.count
        while valueEnd > index, line[valueEnd - 1] == ASCII.space || line[valueEnd - 1] == ASCII.tab { valueEnd -= 1 }
        for position in index..<valueEnd where !ASCII.isFieldValueByte(line[position]) {
            throw HTTPParseError(.invalidHeaderValue)
        }
        let name = String(decoding: UnsafeBufferPointer(rebasing: line[0..<nameEnd]), as: UTF8.self)
        let value = String(decoding: UnsafeBufferPointer(rebasing: line[index..<valueEnd]), as: UTF8.self)
        return (name: name, value: value)
    }
}
