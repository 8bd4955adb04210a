/// The bytes an incremental parser has received but not yet consumed, and the progress of
/// the scan for the end of a header or trailer section. Shared by `RequestParser` and
/// `ResponseParser` (and the `ChunkedBodyDecoder` they both use), so that both keep the same
/// buffering guarantees: consumed bytes are dropped once they are the larger part of the
/// buffer, and a section split across many appends is scanned once, not once per append.
struct ParseBuffer: Sendable {
    var bytes: [UInt8] = []
    /// Start of the unconsumed bytes in `bytes`.
    var readIndex = 0
    /// How far the current head or trailer scan has checked (so a byte-by-byte feed stays linear).
    var scanIndex = 0
    /// Line terminators seen by the current scan.
    var scanLines = 0
    /// Where the line the scan is in began.
    var scanLineStart = 0

    /// Bytes received but not yet consumed.
    var count: Int { bytes.count - readIndex }

    mutating func append(_ newBytes: UnsafeRawBufferPointer) {
        compactIfWorthwhile()
        bytes.append(contentsOf: newBytes)
    }

    mutating func append(_ newBytes: some Sequence<UInt8>) {
        compactIfWorthwhile()
        bytes.append(contentsOf: newBytes)
    }

    /// Hands over every byte not yet consumed and empties the buffer.
    mutating func takeAll() -> [UInt8] {
        let rest = Array(bytes[readIndex...])
        bytes.removeAll(keepingCapacity: true)
        readIndex = 0
        scanIndex = 0
        scanLineStart = 0
        return rest
    }

    /// The next `length` unconsumed bytes (`length` <= `count`), consumed.
    mutating func take(_ length: Int) -> [UInt8] {
        let piece = Array(bytes[readIndex..<(readIndex + length)])
        consume(upTo: readIndex + length)
        return piece
    }

    mutating func consume(upTo index: Int) {
        readIndex = index
        if scanIndex < readIndex { scanIndex = readIndex }
        if readIndex == bytes.count {
            bytes.removeAll(keepingCapacity: true)
            readIndex = 0
            scanIndex = 0
            scanLineStart = 0
        }
    }

    /// Drops consumed bytes once they are the larger part of the buffer, so appends stay
    /// amortised O(1) and the buffer never holds more than the unparsed bytes plus one append.
    mutating func compactIfWorthwhile() {
        guard readIndex > 0, readIndex >= bytes.count - readIndex else { return }
        let shift = readIndex
        bytes.removeFirst(shift)
        readIndex = 0
        scanIndex = max(0, scanIndex - shift)
        scanLineStart = max(0, scanLineStart - shift)
    }

    /// Looks for the empty line that ends a section of CRLF-terminated lines starting at
    /// `readIndex` (a trailer section, or a response head), enforcing the bounds as it goes:
    /// `tooManyLines` once more than `maxLines` non-empty lines have ended, `tooLarge` once
    /// more than `maxBytes` bytes have been scanned without finding the end (the final CRLF
    /// itself is not counted; callers that want it counted check the returned bounds).
    /// Returns where the empty line starts and the index just past its LF.
    mutating func scanSection(
        maxBytes: Int, maxLines: Int, tooLarge: HTTPParseError.Reason, tooManyLines: HTTPParseError.Reason
    ) throws(HTTPParseError) -> (emptyLineStart: Int, end: Int)? {
        if scanIndex <= readIndex { scanIndex = readIndex; scanLines = 0; scanLineStart = readIndex }
        var index = scanIndex
        var lineStart = scanLineStart
        while index < bytes.count {
            let byte = bytes[index]
            if byte == ASCII.lf {
                guard index > readIndex, bytes[index - 1] == ASCII.cr else { throw HTTPParseError(.bareLineFeed) }
                if index - 1 == lineStart { return (lineStart, index + 1) }
                scanLines += 1
                if scanLines > maxLines { throw HTTPParseError(tooManyLines) }
                lineStart = index + 1
            } else if byte == ASCII.cr {
                guard index + 1 < bytes.count else { break }
                guard bytes[index + 1] == ASCII.lf else { throw HTTPParseError(.bareCarriageReturn) }
            }
            index += 1
            if index - readIndex > maxBytes { throw HTTPParseError(tooLarge) }
        }
        scanIndex = index
        scanLineStart = lineStart
        return nil
    }

    /// The field lines in `start..<end` (each ending in CRLF), parsed.
    func parseFieldLines(from start: Int, to end: Int) throws(HTTPParseError) -> HeaderFields {
        guard end > start else { return HeaderFields() }
        return try bytes.withUnsafeBufferPointer { (all) throws(HTTPParseError) -> HeaderFields in
            var lines = LineIterator(bytes: UnsafeBufferPointer(rebasing: all[start..<end]))
            var fields: [HeaderFields.Field] = []
            while let line = lines.next() { fields.append(try FieldLineParser.parse(line)) }
            return HeaderFields(fields)
        }
    }
}
