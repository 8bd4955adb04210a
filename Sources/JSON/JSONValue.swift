/// One value in a `JSONDocument`. Reading a member or an element walks the tokens without
/// decoding anything; only `string`, `int` and `double` build results.
public struct JSONValue: @unchecked Sendable {
    let document: JSONDocument
    let index: Int

    public enum Kind: Sendable, Equatable { case object, array, string, number, bool, null }

    var token: JSONToken { document.tokens[index] }

    public var kind: Kind {
        switch token.kind {
        case .object: return .object
        case .array: return .array
        case .string: return .string
        case .number: return .number
        case .true, .false: return .bool
        case .null: return .null
        }
    }

    public var isNull: Bool { token.kind == .null }
    public var isObject: Bool { token.kind == .object }

    // MARK: Objects

    /// The member named `key` (the last one, when a name repeats, as most parsers do).
    public subscript(key: String) -> JSONValue? {
        let token = self.token
        guard token.kind == .object else { return nil }
        var key = key
        return key.withUTF8 { wanted -> JSONValue? in
            var found: JSONValue?
            var child = index + 1
            for _ in 0..<Int(token.count) {
                if keyEquals(child, wanted) { found = JSONValue(document: document, index: child + 1) }
                child = Int(document.tokens[child + 1].next)
            }
            return found
        }
    }

    private func keyEquals(_ keyIndex: Int, _ wanted: UnsafeBufferPointer<UInt8>) -> Bool {
        let key = document.tokens[keyIndex]
        if key.count != 0 { return JSONValue(document: document, index: keyIndex).string?.utf8.elementsEqual(wanted) ?? false }
        guard Int(key.end - key.start) == wanted.count else { return false }
        return document.bytes.withUnsafeBufferPointer { bytes in
            memcmp(bytes.baseAddress! + Int(key.start), wanted.baseAddress!, wanted.count) == 0
        }
    }

    /// The members in order, keys decoded.
    public var members: [(key: String, value: JSONValue)] {
        let token = self.token
        guard token.kind == .object else { return [] }
        var result: [(key: String, value: JSONValue)] = []
        result.reserveCapacity(Int(token.count))
        var child = index + 1
        for _ in 0..<Int(token.count) {
            result.append((JSONValue(document: document, index: child).string ?? "", JSONValue(document: document, index: child + 1)))
            child = Int(document.tokens[child + 1].next)
        }
        return result
    }

    // MARK: Arrays

    /// The elements in order (empty for anything but an array).
    public var elements: [JSONValue] {
        let token = self.token
        guard token.kind == .array else { return [] }
        var result: [JSONValue] = []
        result.reserveCapacity(Int(token.count))
        var child = index + 1
        for _ in 0..<Int(token.count) {
            result.append(JSONValue(document: document, index: child))
            child = Int(document.tokens[child].next)
        }
        return result
    }

    /// The first element of an array, without building the list.
    public var first: JSONValue? {
        let token = self.token
        guard token.kind == .array, token.count > 0 else { return nil }
        return JSONValue(document: document, index: index + 1)
    }

    public var count: Int { token.kind == .array || token.kind == .object ? Int(token.count) : 0 }

    // MARK: Scalars

    public var bool: Bool? {
        switch token.kind {
        case .true: return true
        case .false: return false
        default: return nil
        }
    }

    /// A string's value, escapes decoded. Invalid UTF-8 (and lone surrogates in `\u`
    /// escapes) become U+FFFD: what reaches a client is always valid text.
    public var string: String? {
        let token = self.token
        guard token.kind == .string else { return nil }
        return document.bytes.withUnsafeBufferPointer { bytes in
            let raw = UnsafeBufferPointer(rebasing: bytes[Int(token.start)..<Int(token.end)])
            return token.count == 0 ? String(decoding: raw, as: UTF8.self) : JSONValue.unescape(raw)
        }
    }

    /// An integral number that fits in `Int` (`12`, `-3`, also `1.0` and `2e3`).
    public var int: Int? {
        let token = self.token
        guard token.kind == .number else { return nil }
        let integer: Int? = document.bytes.withUnsafeBufferPointer { bytes in
            var value = 0
            var index = Int(token.start)
            let negative = bytes[index] == UInt8(ascii: "-")
            if negative { index += 1 }
            while index < Int(token.end) {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil } // '.', 'e': not a plain integer
                let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times.addingReportingOverflow(negative ? -Int(digit) : Int(digit))
                if overflow1 || overflow2 { return nil }
                value = sum
                index += 1
            }
            return value
        }
        if let integer { return integer }
        guard let double, double == double.rounded(), abs(double) < 9.2e18 else { return nil }
        return Int(double)
    }

    public var double: Double? {
        guard token.kind == .number else { return nil }
        return Double(rawText)
    }

    /// The value's JSON text as it was in the document (for strings, without the quotes).
    public var rawText: String {
        let token = self.token
        return String(decoding: document.bytes[Int(token.start)..<Int(token.end)], as: UTF8.self)
    }

    /// Decodes the escapes of a string's bytes (already validated by the parser).
    static func unescape(_ raw: UnsafeBufferPointer<UInt8>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(raw.count)
        var index = 0
        func appendScalar(_ value: UInt32) {
            let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
            output.append(contentsOf: scalar.utf8)
        }
        func hex4(at position: Int) -> UInt32? {
            guard position + 4 <= raw.count else { return nil }
            var value: UInt32 = 0
            for offset in 0..<4 {
                guard let digit = JSONParser.hexValue(raw[position + offset]) else { return nil }
                value = value << 4 | digit
            }
            return value
        }
        while index < raw.count {
            let byte = raw[index]
            guard byte == UInt8(ascii: "\\") else {
                output.append(byte)
                index += 1
                continue
            }
            let escaped = raw[index + 1]
            index += 2
            switch escaped {
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "u"):
                let unit = hex4(at: index) ?? 0xFFFD
                index += 4
                if (0xD800..<0xDC00).contains(unit), index + 6 <= raw.count, raw[index] == UInt8(ascii: "\\"), raw[index + 1] == UInt8(ascii: "u"),
                   let low = hex4(at: index + 2), (0xDC00..<0xE000).contains(low) {
                    index += 6
                    appendScalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                } else {
                    appendScalar(unit) // a lone surrogate is not a scalar: U+FFFD
                }
            default: output.append(escaped) // \" \\ \/
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
