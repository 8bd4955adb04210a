/// Turns a complete message head (request line and field lines, each ending in CRLF, without
/// the final empty line) into a `RequestHead`, and decides the body's framing. Pure and
/// allocation-light: `RequestParser` calls it once per request, after its scan has bounded
/// the head's size and rejected bare CR and LF.
enum RequestHeadParser {
    static func parse(
        _ head: UnsafeBufferPointer<UInt8>, limits: RequestParserLimits
    ) throws(HTTPParseError) -> RequestHead {
        var lines = LineIterator(bytes: head)
        guard let requestLine = lines.next() else { throw HTTPParseError(.malformedRequestLine) }
        var result = try parseRequestLine(requestLine, limits: limits)
        var fields: [HeaderFields.Field] = []
        fields.reserveCapacity(12)
        while let line = lines.next() {
            if fields.count == limits.maxHeaderFields { throw HTTPParseError(.tooManyHeaderFields) }
            fields.append(try FieldLineParser.parse(line))
        }
        result.headers = HeaderFields(fields)
        try validateHost(result)
        result.framing = try framing(of: result)
        if case .contentLength(let length) = result.framing, length > limits.maxBodyBytes {
            throw HTTPParseError(.contentTooLarge, head: result)
        }
        return result
    }

    /// request-line = method SP request-target SP HTTP-version (RFC 9112 §3).
    static func parseRequestLine(
        _ line: UnsafeBufferPointer<UInt8>, limits: RequestParserLimits
    ) throws(HTTPParseError) -> RequestHead {
        guard let firstSpace = line.firstIndex(of: ASCII.space) else {
            throw HTTPParseError(.malformedRequestLine)
        }
        guard firstSpace > 0 else { throw HTTPParseError(.malformedRequestLine) }
        for index in 0..<firstSpace where !ASCII.isToken(line[index]) { throw HTTPParseError(.invalidMethod) }
        let targetStart = firstSpace + 1
        var targetEnd = targetStart
        while targetEnd < line.count, line[targetEnd] != ASCII.space {
            guard ASCII.isTargetByte(line[targetEnd]) else { throw HTTPParseError(.invalidTarget) }
            targetEnd += 1
        }
        if targetEnd - targetStart > limits.maxTargetLength { throw HTTPParseError(.targetTooLong) }
        guard targetEnd > targetStart, targetEnd < line.count else { throw HTTPParseError(.malformedRequestLine) }
        let version = try parseVersion(UnsafeBufferPointer(rebasing: line[(targetEnd + 1)...]))
        let method = HTTPMethod(rawValue: String(decoding: UnsafeBufferPointer(rebasing: line[0..<firstSpace]), as: UTF8.self))
        let target = String(decoding: UnsafeBufferPointer(rebasing: line[targetStart..<targetEnd]), as: UTF8.self)
        return RequestHead(method: method, target: target, version: version)
    }

    /// HTTP-version = "HTTP/" DIGIT "." DIGIT; well-formed but other than 1.0 or 1.1 is 505.
    static func parseVersion(_ bytes: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> HTTPVersion {
        let prefix: [UInt8] = Array("HTTP/".utf8)
        guard bytes.count == 8, bytes.starts(with: prefix), ASCII.isDigit(bytes[5]),
              bytes[6] == UInt8(ascii: "."), ASCII.isDigit(bytes[7])
        else { throw HTTPParseError(.invalidVersion) }
        let version = HTTPVersion(major: Int(bytes[5] - 0x30), minor: Int(bytes[7] - 0x30))
        guard version == .http1_1 || version == .http1_0 else { throw HTTPParseError(.unsupportedVersion) }
        return version
    }

    /// RFC 9112 §3.2: an HTTP/1.1 request has exactly one Host; more than one is always 400.
    static func validateHost(_ head: RequestHead) throws(HTTPParseError) {
        let hosts = head.headers.values("Host")
        if hosts.count > 1 { throw HTTPParseError(.duplicateHost) }
        guard let host = hosts.first else {
            if head.version == .http1_1 { throw HTTPParseError(.missingHost) }
            return
        }
        // uri-host [ ":" port ]: unreserved, sub-delims, pct-encoded, IP-literal brackets.
        for byte in host.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"):
                continue
            default:
                guard "-._~!$&'()*+,;=:%[]".utf8.contains(byte) else { throw HTTPParseError(.invalidHost) }
            }
        }
    }

    /// Message body length rules of RFC 9112 §6.3 for requests, strict where the RFC allows a
    /// choice, so that no proxy in front of relayd can frame a request differently.
    static func framing(of head: RequestHead) throws(HTTPParseError) -> BodyFraming {
        let contentLengths = head.headers.values("Content-Length")
        if head.headers.contains("Transfer-Encoding") {
            if head.version == .http1_0 { throw HTTPParseError(.transferEncodingInHTTP10) }
            if !contentLengths.isEmpty { throw HTTPParseError(.conflictingFraming) }
            let codings = head.headers.tokens("Transfer-Encoding")
            // RFC 9112 §6.3: chunked not last means the length cannot be known: 400, always.
            guard codings.last == "chunked" else { throw HTTPParseError(.chunkedNotFinal) }
            if codings.count > 1 {
                // chunked twice is malformed; any other coding before it is one we do not
                // decode (RFC 9112 §6.1: 501).
                throw HTTPParseError(codings.dropLast().contains("chunked") ? .chunkedNotFinal : .unsupportedTransferCoding)
            }
            return .chunked
        }
        guard !contentLengths.isEmpty else { return .none }
        return .contentLength(try ContentLength.parse(contentLengths))
    }
}

/// Splits a head into lines at CRLF. The scan before it guarantees every LF follows a CR.
struct LineIterator {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    mutating func next() -> UnsafeBufferPointer<UInt8>? {
        guard position < bytes.count else { return nil }
        var index = position
        while index < bytes.count, bytes[index] != ASCII.lf { index += 1 }
        let end = index > position && bytes[index - 1] == ASCII.cr ? index - 1 : index
        let line = UnsafeBufferPointer(rebasing: bytes[position..<end])
        position = index + 1
        return line
    }
}
