/// Decodes a `chunked` body (RFC 9112 §7.1) from a `ParseBuffer`: chunk-size lines, chunk
/// data, the CRLF after each chunk, the last chunk and the trailer section. Shared by
/// `RequestParser` and `ResponseParser`; each maps the `HTTPParseError` it throws to its own
/// error type (the request parser uses it as is).
///
/// Limits are checked as soon as the relevant length is known: a chunk-size line while it
/// arrives, the running body size when a chunk size is read (before its data), the trailer
/// section while it is scanned.
struct ChunkedBodyDecoder: Sendable {
    struct Limits: Sendable {
        /// Longest chunk-size line including extensions (`invalidChunkExtension` beyond it).
        var maxChunkLineLength: Int
        /// Largest body, summed over the chunk sizes (`contentTooLarge` beyond it).
        var maxBodyBytes: Int
        /// Largest trailer section and most trailer fields (`trailerSectionTooLarge` beyond either).
        var maxTrailerBytes: Int
        var maxTrailerFields: Int
    }

    enum Event {
        /// Some chunk data, never empty.
        case data([UInt8])
        /// The last chunk and the trailer section have been read.
        case end(trailers: HeaderFields)
    }

    enum State: Sendable {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailers
    }

    private(set) var state: State = .size
    /// Body bytes declared by the chunk sizes read so far.
    private(set) var bodyBytes = 0

    init() {}

    /// The next piece of the body, or the end, or `nil` when more bytes are needed.
    mutating func next(from buffer: inout ParseBuffer, limits: Limits) throws(HTTPParseError) -> Event? {
        while true {
            switch state {
            case .size:
                guard let size = try scanChunkSize(&buffer, limits: limits) else { return nil }
                state = size == 0 ? .trailers : .data(remaining: size)
            case .data(let remaining):
                let available = min(remaining, buffer.count)
                guard available > 0 else { return nil }
                state = available == remaining ? .dataEnd : .data(remaining: remaining - available)
                return .data(buffer.take(available))
            case .dataEnd:
                guard buffer.count >= 1 else { return nil }
                guard buffer.bytes[buffer.readIndex] == ASCII.cr else { throw HTTPParseError(.missingChunkTerminator) }
                guard buffer.count >= 2 else { return nil }
                guard buffer.bytes[buffer.readIndex + 1] == ASCII.lf else { throw HTTPParseError(.missingChunkTerminator) }
                buffer.consume(upTo: buffer.readIndex + 2)
                state = .size
            case .trailers:
                // trailer-section CRLF after the last chunk (RFC 9112 §7.1.2), bounded like a head.
                guard let section = try buffer.scanSection(
                    maxBytes: limits.maxTrailerBytes, maxLines: limits.maxTrailerFields,
                    tooLarge: .trailerSectionTooLarge, tooManyLines: .trailerSectionTooLarge
                ) else { return nil }
                let trailers = try buffer.parseFieldLines(from: buffer.readIndex, to: section.emptyLineStart)
                buffer.consume(upTo: section.end)
                self = ChunkedBodyDecoder()
                return .end(trailers: trailers)
            }
        }
    }

    /// chunk-size [ chunk-ext ] CRLF (RFC 9112 §7.1). Returns the size once the line is complete.
    private mutating func scanChunkSize(_ buffer: inout ParseBuffer, limits: Limits) throws(HTTPParseError) -> Int? {
        guard let (size, lineEnd) = try Self.parseChunkSizeLine(buffer.bytes, from: buffer.readIndex, limits: limits)
        else { return nil }
        // Written so that it cannot overflow when the limit is Int.max.
        if size > limits.maxBodyBytes - bodyBytes { throw HTTPParseError(.contentTooLarge) }
        bodyBytes += size
        buffer.consume(upTo: lineEnd)
        return size
    }

    /// The size on the chunk-size line at `start` and the index just past its LF, or `nil`
    /// while the line is incomplete.
    private static func parseChunkSizeLine(
        _ bytes: [UInt8], from start: Int, limits: Limits
    ) throws(HTTPParseError) -> (size: Int, end: Int)? {
        var index = start
        while index < bytes.count, bytes[index] != ASCII.lf {
            if bytes[index] == ASCII.cr {
                // Wait for the byte after a CR before counting it: a CR last in the buffer was
                // counted against the length limit, so a line failed with a different error
                // fed whole (bare CR) than fed byte by byte (too long).
                guard index + 1 < bytes.count else { return nil }
                guard bytes[index + 1] == ASCII.lf else { throw HTTPParseError(.bareCarriageReturn) }
            }
            index += 1
            if index - start > limits.maxChunkLineLength { throw HTTPParseError(.invalidChunkExtension) }
        }
        guard index < bytes.count else { return nil }
        guard index > start, bytes[index - 1] == ASCII.cr else { throw HTTPParseError(.bareLineFeed) }
        let lineEnd = index - 1
        var position = start
        var size = 0
        while position < lineEnd, let digit = ASCII.hexValue(bytes[position]) {
            size = size &* 16 &+ digit
            position += 1
            // Sixteen hex digits overflow; anything near that is over any body limit anyway.
            if position - start > 15 { throw HTTPParseError(.invalidChunkSize) }
        }
        guard position > start else { throw HTTPParseError(.invalidChunkSize) }
        try validateChunkExtension(bytes, from: position, to: lineEnd)
        return (size, index + 1)
    }

    /// chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ); we ignore extensions but only
    /// accept what the grammar allows (no CTLs, must start with ";").
    private static func validateChunkExtension(_ bytes: [UInt8], from start: Int, to end: Int) throws(HTTPParseError) {
        var position = start
        while position < end, bytes[position] == ASCII.space || bytes[position] == ASCII.tab { position += 1 }
        guard position < end else {
            if position > start { throw HTTPParseError(.invalidChunkSize) } // whitespace with no extension
            return
        }
        guard bytes[position] == UInt8(ascii: ";") else { throw HTTPParseError(.invalidChunkSize) }
        for index in position..<end where !ASCII.isFieldValueByte(bytes[index]) {
            throw HTTPParseError(.invalidChunkExtension)
        }
    }
}
