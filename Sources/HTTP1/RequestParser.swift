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
        /// A chunked body, decoded by `chunked`.
        case chunked
        case failed(HTTPParseError)
    }

    public let limits: RequestParserLimits
    private var state: State = .head
    /// The unconsumed bytes and the head/trailer scan progress (shared with `ResponseParser`).
    private var buffer = ParseBuffer()
    /// The chunked body being read, in state `.chunked`.
    private var chunked = ChunkedBodyDecoder()
    private let chunkedLimits: ChunkedBodyDecoder.Limits

    public init(limits: RequestParserLimits = RequestParserLimits()) {
        self.limits = limits
        chunkedLimits = ChunkedBodyDecoder.Limits(
            maxChunkLineLength: limits.maxChunkLineLength, maxBodyBytes: limits.maxBodyBytes,
            maxTrailerBytes: limits.maxHeaderBytes, maxTrailerFields: limits.maxHeaderFields
        )
    }

    /// Bytes received but not yet consumed by `next()`.
    public var bufferedByteCount: Int { buffer.count }

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
        buffer.append(bytes)
    }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        buffer.append(bytes)
    }

    /// Hands over every byte not yet parsed, and empties the parser: after an upgrade
    /// (RFC 9110 §7.8) they belong to the new protocol.
    public mutating func takeBufferedBytes() -> [UInt8] {
        buffer.takeAll()
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
            let readIndex = buffer.readIndex
            let head = try buffer.bytes.withUnsafeBufferPointer { (all) throws(HTTPParseError) -> RequestHead in
                // Pass the lines without the final empty line's CRLF.
                try RequestHeadParser.parse(UnsafeBufferPointer(rebasing: all[readIndex..<(headEnd - 2)]), limits: limits)
            }
            buffer.consume(upTo: headEnd)
            switch head.framing {
            case .none, .contentLength(0): state = .body(remaining: 0)
            case .contentLength(let length): state = .body(remaining: length)
            case .chunked:
                chunked = ChunkedBodyDecoder()
                state = .chunked
            }
            return .head(head)
        case .body(let remaining):
            if remaining == 0 {
                state = .head
                return .end(trailers: HeaderFields())
            }
            let available = min(remaining, bufferedByteCount)
            guard available > 0 else { return nil }
            let piece = buffer.take(available)
            state = .body(remaining: remaining - available)
            return .body(piece)
        case .chunked:
            switch try chunked.next(from: &buffer, limits: chunkedLimits) {
            case nil: return nil
            case .data(let piece): return .body(piece)
            case .end(let trailers):
                state = .head
                return .end(trailers: trailers)
            }
        }
    }

    // MARK: - Scanning

    /// Looks for the empty line that ends a head, enforcing the size bounds as it goes.
    /// Returns the index just past that line's LF.
    private mutating func scanHead() throws(HTTPParseError) -> Int? {
        // RFC 9112 §2.2: ignore empty lines before a request line (old clients send an extra
        // CRLF after a POST body).
        if buffer.scanIndex == buffer.readIndex {
            while buffer.count >= 1, buffer.bytes[buffer.readIndex] == ASCII.cr || buffer.bytes[buffer.readIndex] == ASCII.lf {
                if buffer.bytes[buffer.readIndex] == ASCII.lf { throw HTTPParseError(.bareLineFeed) }
                guard buffer.count >= 2 else { return nil }
                guard buffer.bytes[buffer.readIndex + 1] == ASCII.lf else { throw HTTPParseError(.bareCarriageReturn) }
                buffer.consume(upTo: buffer.readIndex + 2)
            }
            buffer.scanIndex = buffer.readIndex
            buffer.scanLines = 0
            buffer.scanLineStart = buffer.readIndex
        }
        let limits = self.limits
        let start = buffer.readIndex
        let (scanIndex, scanLines, scanLineStart) = (buffer.scanIndex, buffer.scanLines, buffer.scanLineStart)
        let result = try buffer.bytes.withUnsafeBufferPointer { (bytes) throws(HTTPParseError) -> (end: Int?, scanned: Int, lines: Int, lineStart: Int) in
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
        buffer.scanIndex = result.scanned
        buffer.scanLines = result.lines
        buffer.scanLineStart = result.lineStart
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
}
