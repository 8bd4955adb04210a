/// Recursive descent over RFC 8259's grammar, appending one `JSONToken` per value. Strings
/// are checked (no control characters, valid escapes) but not decoded; numbers are checked
/// against the grammar but not converted.
struct JSONParser {
    let input: UnsafeBufferPointer<UInt8>
    var tokens: [JSONToken]
    var position = 0

    init(input: UnsafeBufferPointer<UInt8>, tokens: [JSONToken]) {
        self.input = input
        self.tokens = tokens
    }

    mutating func parseDocument() throws(JSONError) {
        guard input.count < Int(Int32.max) else { throw fail("the text is too long") }
        skipWhitespace()
        try parseValue(depth: 0)
        skipWhitespace()
        guard position == input.count else { throw fail("unexpected bytes after the value") }
    }

    private func fail(_ reason: String) -> JSONError { JSONError(offset: position, reason: reason) }

    @inline(__always) private mutating func skipWhitespace() {
        while position < input.count {
            switch input[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int) throws(JSONError) {
        guard position < input.count else { throw fail("a value is missing") }
        switch input[position] {
        case UInt8(ascii: "{"): try parseContainer(object: true, depth: depth)
        case UInt8(ascii: "["): try parseContainer(object: false, depth: depth)
        case UInt8(ascii: "\""): try parseString()
        case UInt8(ascii: "t"): try parseLiteral("true", .true)
        case UInt8(ascii: "f"): try parseLiteral("false", .false)
        case UInt8(ascii: "n"): try parseLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try parseNumber()
        default: throw fail("unexpected byte 0x\(String(input[position], radix: 16))")
        }
    }

    private mutating func parseContainer(object: Bool, depth: Int) throws(JSONError) {
        guard depth < JSONDocument.maxDepth else { throw fail("nesting deeper than \(JSONDocument.maxDepth)") }
        let index = tokens.count
        let start = position
        tokens.append(JSONToken(kind: object ? .object : .array, start: Int32(start), end: 0, next: 0, count: 0))
        position += 1
        let close = object ? UInt8(ascii: "}") : UInt8(ascii: "]")
        var count: Int32 = 0
        skipWhitespace()
        if position < input.count, input[position] == close {
            position += 1
        } else {
            while true {
                skipWhitespace()
                if object {
                    guard position < input.count, input[position] == UInt8(ascii: "\"") else { throw fail("an object key must be a string") }
                    try parseString()
                    skipWhitespace()
                    guard position < input.count, input[position] == UInt8(ascii: ":") else { throw fail("':' expected after a key") }
                    position += 1
                    skipWhitespace()
                }
                try parseValue(depth: depth + 1)
                count += 1
                skipWhitespace()
                guard position < input.count else { throw fail("the \(object ? "object" : "array") is not closed") }
                if input[position] == UInt8(ascii: ",") {
                    position += 1
                    continue
                }
                guard input[position] == close else { throw fail("',' or '\(Character(Unicode.Scalar(close)))' expected") }
                position += 1
                break
            }
        }
        tokens[index].end = Int32(position)
        tokens[index].next = Int32(tokens.count)
        tokens[index].count = count
    }

    private mutating func parseString() throws(JSONError) {
        position += 1 // the opening quote
        let start = position
        var escapes = false
        while true {
            guard position < input.count else { throw fail("the string is not closed") }
            let byte = input[position]
            if byte == UInt8(ascii: "\"") { break }
            if byte < 0x20 { throw fail("a control character in a string must be escaped") }
            if byte == UInt8(ascii: "\\") {
                escapes = true
                position += 1
                guard position < input.count else { throw fail("the string is not closed") }
                switch input[position] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    break
                case UInt8(ascii: "u"):
                    guard position + 4 < input.count,
                          (1...4).allSatisfy({ JSONParser.hexValue(input[position + $0]) != nil }) else {
                        throw fail("\\u needs four hex digits")
                    }
                    position += 4
                default:
                    throw fail("invalid escape")
                }
            }
            position += 1
        }
        tokens.append(JSONToken(kind: .string, start: Int32(start), end: Int32(position), next: Int32(tokens.count + 1),
                                count: escapes ? 1 : 0))
        position += 1 // the closing quote
    }

    private mutating func parseLiteral(_ word: StaticString, _ kind: JSONToken.Kind) throws(JSONError) {
        let length = word.utf8CodeUnitCount
        guard position + length <= input.count else { throw fail("invalid literal") }
        for offset in 0..<length where input[position + offset] != word.utf8Start[offset] {
            throw fail("invalid literal")
        }
        tokens.append(JSONToken(kind: kind, start: Int32(position), end: Int32(position + length), next: Int32(tokens.count + 1), count: 0))
        position += length
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func parseNumber() throws(JSONError) {
        let start = position
        func digits() -> Int {
            let first = position
            while position < input.count, input[position] &- UInt8(ascii: "0") < 10 { position += 1 }
            return position - first
        }
        if input[position] == UInt8(ascii: "-") { position += 1 }
        guard position < input.count, input[position] &- UInt8(ascii: "0") < 10 else { throw fail("a digit expected") }
        if input[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            _ = digits()
        }
        if position < input.count, input[position] == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else { throw fail("a digit expected after '.'") }
        }
        if position < input.count, input[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            if position < input.count, input[position] == UInt8(ascii: "+") || input[position] == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw fail("a digit expected in the exponent") }
        }
        tokens.append(JSONToken(kind: .number, start: Int32(start), end: Int32(position), next: Int32(tokens.count + 1), count: 0))
    }

    @inline(__always) static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }
}
