/// What the parser produced from the bytes it holds.
public enum RequestParserEvent: Sendable {
    case head(RequestHead)
    /// A piece of the body, in order; a body arrives in as many pieces as reads brought it.
    case body([UInt8])
    /// The request is complete. Trailers come from a chunked body's trailer section.
    case end(trailers: HeaderFields)
}

/// An incremental HTTP/1.1 request parser (RFC 9112): fed bytes with `append`, pulled with
/// `next()`, never touching a socket. `next()` returns `nil` when it needs more bytes, so the
/// caller decides when to parse: the server stops pulling while a response is pending, and
/// the unparsed bytes of pipelined requests wait here (the server also stops reading, so
/// that is at most one read's worth).
///
/// Limits are checked the moment a length is known: the head is scanned for its end with a
/// running size bound, a declared body is checked against the limit before any of it is read.
/// After an error the parser stays failed: the stream can no longer be framed.
public struct RequestParser: Sendable {
    enum State: Sendable {
        case head
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case failed(HTTPParseError)
    }

    public let limits: RequestParserLimits
    private var state: State = .head
    private var buffer: [UInt8] = []
    /// Start of the unconsumed bytes in `buffer`.
    private var readIndex = 0
    /// How far the current head or trailer scan has checked (so a byte-by-byte feed stays linear).
    private var scanIndex = 0
    /// Line terminators seen by the current scan.
    private var scanLines = 0
    /// Where the line the scan is in began.
    private var scanLineStart = 0
    /// Body bytes of the current chunked request so far.
    private var chunkedBodyBytes = 0

    public init(limits: RequestParserLimits = RequestParserLimits()) {
        self.limits = limits
    }

    /// Bytes received but not yet consumed by `next()`.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Whether the parser sits between requests with nothing buffered.
    public var isIdle: Bool {
        if case .head = state { return bufferedByteCount == 0 }
        return false
    }

    /// Whether a request has started arriving (its head is incomplete or its body is being read).
    public var isMidRequest: Bool {
        switch state {
        case .head: return bufferedByteCount > 0
        case .failed: return false
        default: return true
        }
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        compactIfWorthwhile()
        buffer.append(contentsOf: bytes)
    }

    /// Hands over every byte not yet parsed, and empties the parser: after an upgrade
    /// (RFC 9110 §7.8) they belong to the new protocol.
    public mutating func takeBufferedBytes() -> [UInt8] {
        let rest = Array(buffer[readIndex...])
        buffer.removeAll(keepingCapacity: true)
        readIndex = 0
        scanIndex = 0
        scanLineStart = 0
        return rest
    }

    /// The next event, or `nil` when more bytes are needed.
    public mutating func next() throws(HTTPParseError) -> RequestParserEvent? {
        do {
            return try step()
        } catch {
            state = .failed(error)
            throw error
        }
    }

    private mutating func step() throws(HTTPParseError) -> RequestParserEvent? {
        switch state {
        case .failed(let error):
            throw error
        case .head:
            guard let headEnd = try scanHead() else { return nil }
            let head = try buffer.withUnsafeBufferPointer { (all) throws(HTTPParseError) -> RequestHead in
                // Pass the lines without the final empty line's CRLF.
                try RequestHeadParser.parse(UnsafeBufferPointer(rebasing: all[readIndex..<(headEnd - 2)]), limits: limits)
            }
            consume(upTo: headEnd)
            switch head.framing {
            case .none, .contentLength(0): state = .body(remaining: 0)
            case .contentLength(let length): state = .body(remaining: length)
            case .chunked:
                chunkedBodyBytes = 0
                state = .chunkSize
            }
            return .head(head)
        case .body(let remaining):
            if remaining == 0 {
                state = .head
                return .end(trailers: HeaderFields())
            }
            let available = min(remaining, bufferedByteCount)
            guard available > 0 else { return nil }
            let piece = Array(buffer[readIndex..<(readIndex + available)])
            consume(upTo: readIndex + available)
            state = .body(remaining: remaining - available)
            return .body(piece)
        case .chunkSize:
            guard let size = try scanChunkSize() else { return nil }
            if size == 0 {
                state = .trailers
                return try step()
            }
            state = .chunkData(remaining: size)
            return try step()
        case .chunkData(let remaining):
            let available = min(remaining, bufferedByteCount)
            guard available > 0 else { return nil }
            let piece = Array(buffer[readIndex..<(readIndex + available)])
            consume(upTo: readIndex + available)
            state = available == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - available)
            return .body(piece)
        case .chunkDataEnd:
            guard bufferedByteCount >= 1 else { return nil }
            guard buffer[readIndex] == ASCII.cr else { throw HTTPParseError(.missingChunkTerminator) }
            guard bufferedByteCount >= 2 else { return nil }
            guard buffer[readIndex + 1] == ASCII.lf else { throw HTTPParseError(.missingChunkTerminator) }
            consume(upTo: readIndex + 2)
            state = .chunkSize
            return try step()
        case .trailers:
            guard let trailers = try scanTrailers() else { return nil }
            state = .head
            return .end(trailers: trailers)
        }
    }

    // MARK: - Scanning

    /// Looks for the empty line that ends a head, enforcing the size bounds as it goes.
    /// Returns the index just past that line's LF.
    private mutating func scanHead() throws(HTTPParseError) -> Int? {
        // RFC 9112 §2.2: ignore empty lines before a request line (old clients send an extra
        // CRLF after a POST body).
        if scanIndex == readIndex {
            while bufferedByteCount >= 1, buffer[readIndex] == ASCII.cr || buffer[readIndex] == ASCII.lf {
                if buffer[readIndex] == ASCII.lf { throw HTTPParseError(.bareLineFeed) }
                guard bufferedByteCount >= 2 else { return nil }
                guard buffer[readIndex + 1] == ASCII.lf else { throw HTTPParseError(.bareCarriageReturn) }
                consume(upTo: readIndex + 2)
            }
            scanIndex = readIndex
            scanLines = 0
            scanLineStart = readIndex
        }
        let limits = self.limits
        let start = readIndex
        let result = try buffer.withUnsafeBufferPointer { (bytes) throws(HTTPParseError) -> (end: Int?, scanned: Int, lines: Int, lineStart: Int) in
            var index = scanIndex
            var lines = scanLines
            var lineStart = scanLineStart
            while index < bytes.count {
                let byte = bytes[index]
                if byte == ASCII.lf {
                    guard index > start, bytes[index - 1] == ASCII.cr else { throw HTTPParseError(.bareLineFeed) }
                    if index - 1 == lineStart { // the empty line
                        if lines > 0, index + 1 - start > limits.maxHeaderBytes { throw HTTPParseError(.headerSectionTooLarge) }
                        return (index + 1, index + 1, lines, lineStart)
                    }
                    if lines == 0 {
                        try Self.checkRequestLineLength(UnsafeBufferPointer(rebasing: bytes[lineStart..<(index - 1)]), limits: limits)
                    }
                    lines += 1
                    if lines > limits.maxHeaderFields + 1 { throw HTTPParseError(.tooManyHeaderFields) }
                    lineStart = index + 1
                } else if byte == ASCII.cr {
                    guard index + 1 < bytes.count else { return (nil, index, lines, lineStart) } // wait for the LF
                    guard bytes[index + 1] == ASCII.lf else { throw HTTPParseError(.bareCarriageReturn) }
                }
                index += 1
                if lines == 0 {
                    if index - lineStart > limits.maxTargetLength + 64 {
                        try Self.checkRequestLineLength(UnsafeBufferPointer(rebasing: bytes[lineStart..<index]), limits: limits)
                        throw HTTPParseError(.malformedRequestLine)
                    }
                } else if index - start > limits.maxHeaderBytes {
                    throw HTTPParseError(.headerSectionTooLarge)
                }
            }
            return (nil, index, lines, lineStart)
        }
        scanIndex = result.scanned
        scanLines = result.lines
        scanLineStart = result.lineStart
        return result.end
    }

    /// 414 as soon as the target part of a (possibly partial) request line is over the limit.
    private static func checkRequestLineLength(
        _ line: UnsafeBufferPointer<UInt8>, limits: RequestParserLimits
    ) throws(HTTPParseError) {
        guard let firstSpace = line.firstIndex(of: ASCII.space) else {
            if line.count > limits.maxTargetLength { throw HTTPParseError(.malformedRequestLine) }
            return
        }
        var end = firstSpace + 1
        while end < line.count, line[end] != ASCII.space { end += 1 }
        if end - firstSpace - 1 > limits.maxTargetLength { throw HTTPParseError(.targetTooLong) }
    }

    /// chunk-size [ chunk-ext ] CRLF (RFC 9112 §7.1). Returns the size once the line is complete.
    private mutating func scanChunkSize() throws(HTTPParseError) -> Int? {
        var index = readIndex
        while index < buffer.count, buffer[index] != ASCII.lf {
            if buffer[index] == ASCII.cr, index + 1 < buffer.count, buffer[index + 1] != ASCII.lf {
                throw HTTPParseError(.bareCarriageReturn)
            }
            index += 1
            if index - readIndex > limits.maxChunkLineLength { throw HTTPParseError(.invalidChunkExtension) }
        }
        guard index < buffer.count else { return nil }
        guard index > readIndex, buffer[index - 1] == ASCII.cr else { throw HTTPParseError(.bareLineFeed) }
        let lineEnd = index - 1
        var position = readIndex
        var size = 0
        while position < lineEnd, let digit = ASCII.hexValue(buffer[position]) {
            size = size &* 16 &+ digit
            position += 1
            // Sixteen hex digits overflow; anything near that is over any body limit anyway.
            if position - readIndex > 15 { throw HTTPParseError(.invalidChunkSize) }
        }
        guard position > readIndex else { throw HTTPParseError(.invalidChunkSize) }
        try validateChunkExtension(from: position, to: lineEnd)
        chunkedBodyBytes += size
        if chunkedBodyBytes > limits.maxBodyBytes { throw HTTPParseError(.contentTooLarge) }
        consume(upTo: index + 1)
        return size
    }

    /// chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ); we ignore extensions but only
    /// accept what the grammar allows (no CTLs, must start with ";").
    private func validateChunkExtension(from start: Int, to end: Int) throws(HTTPParseError) {
        var position = start
        while position < end, buffer[position] == ASCII.space || buffer[position] == ASCII.tab { position += 1 }
        guard position < end else {
            if position > start { throw HTTPParseError(.invalidChunkSize) } // whitespace with no extension
            return
        }
        guard buffer[position] == UInt8(ascii: ";") else { throw HTTPParseError(.invalidChunkSize) }
        for index in position..<end where !ASCII.isFieldValueByte(buffer[index]) {
            throw HTTPParseError(.invalidChunkExtension)
        }
    }

    /// trailer-section CRLF after the last chunk (RFC 9112 §7.1.2), bounded like a head.
    private mutating func scanTrailers() throws(HTTPParseError) -> HeaderFields? {
        if scanIndex <= readIndex { scanIndex = readIndex; scanLines = 0; scanLineStart = readIndex }
        var index = scanIndex
        var lineStart = scanLineStart
        while index < buffer.count {
            let byte = buffer[index]
            if byte == ASCII.lf {
                guard index > readIndex, buffer[index - 1] == ASCII.cr else { throw HTTPParseError(.bareLineFeed) }
                if index - 1 == lineStart {
                    let fields = try parseTrailerLines(from: readIndex, to: lineStart)
                    consume(upTo: index + 1)
                    return fields
                }
                scanLines += 1
                if scanLines > limits.maxHeaderFields { throw HTTPParseError(.trailerSectionTooLarge) }
                lineStart = index + 1
            } else if byte == ASCII.cr {
                guard index + 1 < buffer.count else { break }
                guard buffer[index + 1] == ASCII.lf else { throw HTTPParseError(.bareCarriageReturn) }
            }
            index += 1
            if index - readIndex > limits.maxHeaderBytes { throw HTTPParseError(.trailerSectionTooLarge) }
        }
        scanIndex = index
        scanLineStart = lineStart
        return nil
    }

    private func parseTrailerLines(from start: Int, to end: Int) throws(HTTPParseError) -> HeaderFields {
        guard end > start else { return HeaderFields() }
        return try buffer.withUnsafeBufferPointer { (all) throws(HTTPParseError) -> HeaderFields in
            var lines = LineIterator(bytes: UnsafeBufferPointer(rebasing: all[start..<end]))
            var fields: [HeaderFields.Field] = []
            while let line = lines.next() { fields.append(try FieldLineParser.parse(line)) }
            return HeaderFields(fields)
        }
    }

    // MARK: - Buffer

    private mutating func consume(upTo index: Int) {
        readIndex = index
        if scanIndex < readIndex { scanIndex = readIndex }
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
            scanIndex = 0
            scanLineStart = 0
        }
    }

    /// Drops consumed bytes once they are the larger part of the buffer, so appends stay
    /// amortised O(1) and the buffer never holds more than the unparsed bytes plus one append.
    private mutating func compactIfWorthwhile() {
        guard readIndex > 0, readIndex >= buffer.count - readIndex else { return }
        let shift = readIndex
        buffer.removeFirst(shift)
        readIndex = 0
        scanIndex = max(0, scanIndex - shift)
        scanLineStart = max(0, scanLineStart - shift)
    }
}
