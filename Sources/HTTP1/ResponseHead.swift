/// A status line and header fields to send. Framing headers (`Content-Length`,
/// `Transfer-Encoding`, `Connection`) are the server's job, not the route's.
public struct ResponseHead: Sendable {
    public var status: HTTPStatus
    public var version: HTTPVersion
    public var headers: HeaderFields

    public init(status: HTTPStatus, version: HTTPVersion = .http1_1, headers: HeaderFields = HeaderFields()) {
        self.status = status
        self.version = version
        self.headers = headers
    }

    /// `status-line *( field-line CRLF ) CRLF` (RFC 9112 §4, §5), appended to `output`.
    public func encode(into output: inout [UInt8]) {
        Self.appendStatusLine(status, version: version, to: &output)
        for field in headers { Self.appendField(field.name, field.value, to: &output) }
        Self.appendEnd(to: &output)
    }

    /// The pieces of `encode`, for a server that adds its own fields without building a list.
    public static func appendStatusLine(_ status: HTTPStatus, version: HTTPVersion = .http1_1, to output: inout [UInt8]) {
        output.append(contentsOf: version == .http1_0 ? HTTPWire.http10 : HTTPWire.http11)
        output.append(ASCII.space)
        HTTPWire.appendDecimal(status.code, to: &output)
        output.append(ASCII.space)
        output.append(contentsOf: status.reasonPhrase.utf8)
        output.append(ASCII.cr)
        output.append(ASCII.lf)
    }

    /// One `name: value` line. Values that would break framing (CR, LF, NUL) become spaces and
    /// non-token bytes are dropped from names: a route must never be able to inject a line.
    /// Checking first and appending in one call matters: byte-wise appends showed in profiles.
    public static func appendField(_ name: String, _ value: String, to output: inout [UInt8]) {
        let nameBytes = name.utf8
        if nameBytes.allSatisfy(ASCII.isToken) {
            output.append(contentsOf: nameBytes)
        } else {
            for byte in nameBytes where ASCII.isToken(byte) { output.append(byte) }
        }
        output.append(ASCII.colon)
        output.append(ASCII.space)
        let valueBytes = value.utf8
        if valueBytes.allSatisfy({ $0 != ASCII.cr && $0 != ASCII.lf && $0 != 0 }) {
            output.append(contentsOf: valueBytes)
        } else {
            for byte in valueBytes { output.append(byte == ASCII.cr || byte == ASCII.lf || byte == 0 ? ASCII.space : byte) }
        }
        output.append(ASCII.cr)
        output.append(ASCII.lf)
    }

    /// A `name: <decimal>` line (`Content-Length`) without formatting a String.
    public static func appendField(_ name: StaticString, decimal value: Int, to output: inout [UInt8]) {
        output.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        output.append(ASCII.colon)
        output.append(ASCII.space)
        HTTPWire.appendDecimal(value, to: &output)
        output.append(ASCII.cr)
        output.append(ASCII.lf)
    }

    /// The empty line that ends the head.
    public static func appendEnd(to output: inout [UInt8]) {
        output.append(ASCII.cr)
        output.append(ASCII.lf)
    }

    public func encoded() -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(128 + headers.count * 32)
        encode(into: &output)
        return output
    }
}

/// Byte constants and number formatting shared by the encoders.
public enum HTTPWire {
    static let http10: [UInt8] = Array("HTTP/1.0".utf8)
    static let http11: [UInt8] = Array("HTTP/1.1".utf8)
    public static let crlf: [UInt8] = [ASCII.cr, ASCII.lf]

    /// `100 Continue`, sent before reading a body the client is holding back (RFC 9110 §10.1.1).
    public static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    public static func appendDecimal(_ value: Int, to output: inout [UInt8]) {
        if value == 0 {
            output.append(UInt8(ascii: "0"))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value.magnitude
        withUnsafeMutableBytes(of: &digits) { buffer in
            while rest > 0 {
                buffer[count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            }
            if value < 0 { output.append(UInt8(ascii: "-")) }
            for index in stride(from: count - 1, through: 0, by: -1) { output.append(buffer[index]) }
        }
    }

    public static func appendHex(_ value: Int, to output: inout [UInt8]) {
        let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
        if value == 0 {
            output.append(UInt8(ascii: "0"))
            return
        }
        var shift = (Int.bitWidth - value.leadingZeroBitCount - 1) / 4 * 4
        while shift >= 0 {
            output.append(hexDigits[(value >> shift) & 0xF])
            shift -= 4
        }
    }
}
