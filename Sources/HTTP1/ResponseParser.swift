/// What `ResponseParser` produced from the bytes it holds.
public enum ResponseParserEvent: Sendable {
    /// A final response's status line and header fields (1xx interim responses other than
    /// 101 are skipped; see `ResponseParser`).
    case head(ReceivedResponseHead)
    /// A piece of the body, in order and never empty; a body arrives in as many pieces as
    /// reads brought it (for a streamed SSE body: as the server flushed it).
    case body([UInt8])
    /// The response is complete. Trailers come from a chunked body's trailer section.
    case end(trailers: HeaderFields)
}

/// An incremental HTTP/1.1 response parser (RFC 9112), the client-side twin of
/// `RequestParser`: fed bytes with `append`, pulled with `next()` (which returns `nil` when
/// it needs more bytes), told about the end of the connection with `finish()`, never touching
/// a socket. One parser reads every response of one connection, in order.
///
/// The body length follows RFC 9112 §6.3 for responses, which depends on the request:
/// call `expectResponse(to:)` once per request sent, in order, at least for HEAD and CONNECT
/// (a response with no expectation queued is read as the answer to a GET).
///
///  1. A response to HEAD, any 1xx, 204 and 304 have no body, whatever their fields say.
///  2. 101 Switching Protocols and a 2xx to CONNECT end the HTTP exchange after the head:
///     the parser emits `.end`, then stops parsing (`hasSwitchedProtocols`); the bytes after
///     the head are the tunnel's, from `takeBufferedBytes()`.
///  3. `Transfer-Encoding` wins over `Content-Length`, as RFC 9112 §6.3 rule 3 says for a
///     response (the fields are kept as received, and `keepAlive` is then false: such a
///     message "ought to be handled as an error", so the connection is not reused). A
///     coding list ending in `chunked` is chunked (codings before it are the caller's to
///     undo; `chunked` twice is an error); one not ending in `chunked` is read until close.
///     `Transfer-Encoding` in an HTTP/1.0 response means faulty framing (RFC 9112 §6.1):
///     the body is read until close.
///  4. `Content-Length` is validated like a request's: digits only; repeated or listed
///     identical values are accepted, differing ones are `conflictingContentLength`.
///  5. Otherwise the body runs until the server closes the connection: `finish()` ends it.
///
/// Interim responses: 100 Continue, 102 and 103 Early Hints are parsed (and must be
/// well-formed and within the limits) but not reported; the next head is the real response.
/// This is what most clients do, and it keeps the contract simple: every `.head` is followed
/// by its body and `.end` (or an error). 101 is reported, as rule 2 says.
///
/// Strictness: the status line must be `HTTP/1.x SP 3DIGIT [SP reason-phrase] CRLF`; an empty
/// reason (`HTTP/1.1 200 \r\n`) and a missing space after the code (`HTTP/1.1 200\r\n`) are
/// accepted, since servers send both. A response whose first bytes are not `HTTP/` is
/// rejected at once. Every line must end in CRLF: RFC 9112 §2.2 lets a recipient accept a
/// bare LF, but the providers this client talks to all send CRLF, and one line-ending rule
/// for both parsers (and for chunk lines and trailers) leaves no room for two parties to
/// frame the same bytes differently. Field lines are checked by the same `FieldLineParser` as
/// requests (no obs-fold, no whitespace before the colon, no CTLs in values).
///
/// Limits are checked the moment a length is known (see `ResponseParserLimits`): the head is
/// rejected as soon as it outgrows the limit, before its end arrives. After an error the
/// parser stays failed: the stream can no longer be framed and the connection must close.
public struct ResponseParser: Sendable {
    enum State: Sendable {
        case head
        case body(remaining: Int)
        /// A chunked body, decoded by `chunked`.
        case chunked
        /// A close-delimited body: everything until `finish()`.
        case untilClose
        /// The head of a 101 or a 2xx to CONNECT was returned; `.end` comes next.
        case switching
        /// After `switching`: nothing more is parsed.
        case tunnel
        case failed(ResponseParseError)
    }

    public let limits: ResponseParserLimits
    private var state: State = .head
    private var buffer = ParseBuffer()
    private var chunked = ChunkedBodyDecoder()
    private let chunkedLimits: ChunkedBodyDecoder.Limits
    /// Methods of the requests whose responses have not started, oldest first.
    private var expectedMethods: [HTTPMethod] = []
    /// The head of the response being read, for errors found after it.
    private var currentHead: ReceivedResponseHead?
    /// Body bytes delivered of a close-delimited body (for `maxBodyBytes`).
    private var untilCloseBytes = 0
    /// Whether `finish()` has been called: no more bytes will come.
    private var atEOF = false

    private static let statusLinePrefix: [UInt8] = Array("HTTP/".utf8)

    public init(limits: ResponseParserLimits = ResponseParserLimits()) {
        self.limits = limits
        chunkedLimits = ChunkedBodyDecoder.Limits(
            maxChunkLineLength: limits.maxChunkLineLength, maxBodyBytes: limits.maxBodyBytes ?? Int.max,
            maxTrailerBytes: limits.maxHeadBytes, maxTrailerFields: limits.maxHeaderFields
        )
    }

    /// Bytes received but not yet consumed by `next()`.
    public var bufferedByteCount: Int { buffer.count }

    /// Whether the parser sits between responses with nothing buffered.
    public var isIdle: Bool {
        if case .head = state { return buffer.count == 0 }
        return false
    }

    /// Whether a response has started arriving (its head is incomplete or its body is being read).
    public var isMidResponse: Bool {
        switch state {
        case .head: return buffer.count > 0
        case .failed, .tunnel: return false
        case .body, .chunked, .untilClose, .switching: return true
        }
    }

    /// Whether a 101 or a 2xx to CONNECT has ended HTTP on this connection (after its `.end`):
    /// `next()` returns `nil` from then on and the bytes belong to `takeBufferedBytes()`.
    public var hasSwitchedProtocols: Bool {
        if case .tunnel = state { return true }
        return false
    }

    /// Records that a request with `method` was sent; call once per request, in order. Only
    /// HEAD and CONNECT change how the response is read, but queueing every method keeps
    /// pipelined responses matched to their requests.
    public mutating func expectResponse(to method: HTTPMethod) {
        expectedMethods.append(method)
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(bytes)
    }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        buffer.append(bytes)
    }

    /// Hands over every byte not yet parsed, and empties the parser: after a 101 or a 2xx to
    /// CONNECT they belong to the new protocol or the tunnel.
    public mutating func takeBufferedBytes() -> [UInt8] {
        buffer.takeAll()
    }

    /// The next event, or `nil` when more bytes are needed.
    public mutating func next() throws(ResponseParseError) -> ResponseParserEvent? {
        do {
            return try step()
        } catch {
            state = .failed(error)
            throw error
        }
    }

    /// Tells the parser the connection has closed, and returns the next event: call it until
    /// it returns `nil`. It returns what the buffered bytes still hold, then `.end` for a
    /// body delimited by the close. It throws `truncated` when the close cuts a head, a
    /// `Content-Length` body or a chunked body short. `nil` straight away means no response
    /// had started (or the connection had switched protocols): whether one was owed is the
    /// caller's to judge (a request with no response byte is safe to retry if idempotent,
    /// RFC 9112 §9.3.1).
    public mutating func finish() throws(ResponseParseError) -> ResponseParserEvent? {
        atEOF = true
        return try next()
    }

    private mutating func step() throws(ResponseParseError) -> ResponseParserEvent? {
        switch state {
        case .failed(let error):
            throw error
        case .head:
            // Interim responses are skipped by this loop, not by recursion: a server that sends
            // thousands of them in one read must not grow the stack.
            var head: ReceivedResponseHead
            repeat {
                guard buffer.count > 0 else { return nil }
                try checkStatusLinePrefix()
                let section: (emptyLineStart: Int, end: Int)?
                do {
                    section = try buffer.scanSection(
                        maxBytes: limits.maxHeadBytes, maxLines: limits.maxHeaderFields + 1,
                        tooLarge: .headerSectionTooLarge, tooManyLines: .tooManyHeaderFields
                    )
                } catch {
                    throw ResponseParseError(error, head: nil)
                }
                guard let section else {
                    if atEOF { throw ResponseParseError(.truncated) }
                    return nil
                }
                // The scan does not count the final LF; the limit covers the whole head.
                if section.end - buffer.readIndex > limits.maxHeadBytes { throw ResponseParseError(.headTooLarge) }
                head = try parseHead(from: buffer.readIndex, to: section.emptyLineStart)
                buffer.consume(upTo: section.end)
            } while (100..<200).contains(head.status) && head.status != 101
            let method = expectedMethods.isEmpty ? nil : expectedMethods.removeFirst()
            do {
                head.framing = try Self.framing(status: head.status, version: head.version, headers: head.headers, requestMethod: method)
            } catch {
                throw ResponseParseError(error, head: head)
            }
            switch head.framing {
            case .noBody:
                state = .body(remaining: 0)
            case .contentLength(let length):
                if let maxBody = limits.maxBodyBytes, length > maxBody { throw ResponseParseError(.bodyTooLarge, head: head) }
                state = .body(remaining: length)
            case .chunked:
                chunked = ChunkedBodyDecoder()
                state = .chunked
            case .untilClose:
                untilCloseBytes = 0
                state = .untilClose
            case .switchedProtocols:
                state = .switching
            }
            currentHead = head
            return .head(head)
        case .body(let remaining):
            if remaining == 0 { return endOfMessage(then: .head) }
            let available = min(remaining, buffer.count)
            guard available > 0 else {
                if atEOF { throw ResponseParseError(.truncated, head: currentHead) }
                return nil
            }
            state = .body(remaining: remaining - available)
            return .body(buffer.take(available))
        case .chunked:
            let event: ChunkedBodyDecoder.Event?
            do {
                event = try chunked.next(from: &buffer, limits: chunkedLimits)
            } catch {
                throw ResponseParseError(error, head: currentHead)
            }
            switch event {
            case nil:
                if atEOF { throw ResponseParseError(.truncated, head: currentHead) }
                return nil
            case .data(let piece):
                return .body(piece)
            case .end(let trailers):
                return endOfMessage(then: .head, trailers: trailers)
            }
        case .untilClose:
            guard buffer.count > 0 else { return atEOF ? endOfMessage(then: .head) : nil }
            var length = buffer.count
            if let maxBody = limits.maxBodyBytes {
                // Deliver up to the limit, fail on the byte after it: the same events
                // however the bytes were split into reads.
                guard untilCloseBytes < maxBody else { throw ResponseParseError(.bodyTooLarge, head: currentHead) }
                length = min(length, maxBody - untilCloseBytes)
            }
            untilCloseBytes += length
            return .body(buffer.take(length))
        case .switching:
            return endOfMessage(then: .tunnel)
        case .tunnel:
            return nil
        }
    }

    private mutating func endOfMessage(then next: State, trailers: HeaderFields = HeaderFields()) -> ResponseParserEvent {
        state = next
        currentHead = nil
        return .end(trailers: trailers)
    }

    // MARK: - Head

    /// Fails as soon as the first bytes of a head cannot start `HTTP/`: a server that
    /// answers in another protocol is caught without waiting for a CRLF that may never come.
    private func checkStatusLinePrefix() throws(ResponseParseError) {
        let prefix = Self.statusLinePrefix
        let checked = min(prefix.count, buffer.count)
        for offset in 0..<checked where buffer.bytes[buffer.readIndex + offset] != prefix[offset] {
            throw ResponseParseError(.malformedStatusLine)
        }
    }

    /// The status line and field lines in `start..<end` (each ending in CRLF; the scan has
    /// bounded them and rejected bare CR and LF).
    private func parseHead(from start: Int, to end: Int) throws(ResponseParseError) -> ReceivedResponseHead {
        let maxFields = limits.maxHeaderFields
        return try buffer.bytes.withUnsafeBufferPointer { (all) throws(ResponseParseError) -> ReceivedResponseHead in
            var lines = LineIterator(bytes: UnsafeBufferPointer(rebasing: all[start..<end]))
            guard let statusLine = lines.next() else { throw ResponseParseError(.malformedStatusLine) }
            var head = try Self.parseStatusLine(statusLine)
            var fields: [HeaderFields.Field] = []
            fields.reserveCapacity(16)
            while let line = lines.next() {
                if fields.count == maxFields { throw ResponseParseError(.tooManyFields) }
                do throws(HTTPParseError) {
                    fields.append(try FieldLineParser.parse(line))
                } catch {
                    throw ResponseParseError(error, head: nil)
                }
            }
            head.headers = HeaderFields(fields)
            return head
        }
    }

    /// status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4), also
    /// without the second SP when the reason is empty.
    static func parseStatusLine(_ line: UnsafeBufferPointer<UInt8>) throws(ResponseParseError) -> ReceivedResponseHead {
        // HTTP-version = "HTTP/" DIGIT "." DIGIT, then SP and three digits: twelve bytes.
        guard line.count >= 12, line.starts(with: statusLinePrefix), ASCII.isDigit(line[5]),
              line[6] == UInt8(ascii: "."), ASCII.isDigit(line[7]), line[8] == ASCII.space,
              ASCII.isDigit(line[9]), ASCII.isDigit(line[10]), ASCII.isDigit(line[11])
        else { throw ResponseParseError(.malformedStatusLine) }
        let version = HTTPVersion(major: Int(line[5] - 0x30), minor: Int(line[7] - 0x30))
        // RFC 9110 §2.5: a higher minor version is processed as the highest we implement.
        guard version.major == 1 else { throw ResponseParseError(.unsupportedVersion) }
        let status = Int(line[9] - 0x30) * 100 + Int(line[10] - 0x30) * 10 + Int(line[11] - 0x30)
        guard status >= 100 else { throw ResponseParseError(.malformedStatusLine) }
        var reason = ""
        if line.count > 12 {
            guard line[12] == ASCII.space else { throw ResponseParseError(.malformedStatusLine) }
            // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
            let phrase = UnsafeBufferPointer(rebasing: line[13...])
            guard phrase.allSatisfy(ASCII.isFieldValueByte) else { throw ResponseParseError(.malformedStatusLine) }
            reason = String(decoding: phrase, as: UTF8.self)
        }
        return ReceivedResponseHead(status: status, reason: reason, version: version)
    }

    /// RFC 9112 §6.3 for a response to `requestMethod` (`nil`: not known, read as for GET).
    static func framing(
        status: Int, version: HTTPVersion, headers: HeaderFields, requestMethod: HTTPMethod?
    ) throws(HTTPParseError) -> ResponseBodyFraming {
        if status == 101 { return .switchedProtocols }
        if requestMethod == .connect, (200..<300).contains(status) { return .switchedProtocols }
        if requestMethod == .head || (100..<200).contains(status) || status == 204 || status == 304 {
            return .noBody
        }
        if headers.contains("Transfer-Encoding") {
            // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 is faulty framing; only the close is trustworthy.
            if version == .http1_0 { return .untilClose }
            let codings = headers.tokens("Transfer-Encoding")
            guard codings.last == "chunked" else { return .untilClose }
            if codings.dropLast().contains("chunked") { throw HTTPParseError(.chunkedNotFinal) }
            return .chunked
        }
        let contentLengths = headers.values("Content-Length")
        guard !contentLengths.isEmpty else { return .untilClose }
        return .contentLength(try ContentLength.parse(contentLengths))
    }
}
