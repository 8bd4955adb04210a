/// An ordered list of header fields as received or to be sent. Names keep their case;
/// look-ups compare them ASCII-case-insensitively (RFC 9110 §5.1).
public struct HeaderFields: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Field = (name: String, value: String)

    @usableFromInline var fields: [Field]

    public init() { fields = [] }

    public init(_ fields: [Field]) { self.fields = fields }

    public init(dictionaryLiteral elements: (String, String)...) {
        fields = elements.map { (name: $0.0, value: $0.1) }
    }

    /// Whether `name` is a field name (a token, RFC 9110 §5.1).
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy(ASCII.isToken)
    }

    /// Whether `value` can be sent as a field value: visible characters, spaces and tabs, no
    /// CR or LF (RFC 9110 §5.5), no leading or trailing whitespace.
    public static func isValidValue(_ value: String) -> Bool {
        value.utf8.allSatisfy(ASCII.isFieldValueByte) && value.trimmingOWS().count == value.count
    }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }

    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }

    public mutating func add(_ name: String, _ value: String) {
        fields.append((name: name, value: value))
    }

    /// Replaces every field of that name with one field.
    public mutating func replace(_ name: String, with value: String) {
        remove(name)
        add(name, value)
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { asciiCaseInsensitiveEquals($0.name, name) }
    }

    /// The first value of the field, if present.
    public subscript(name: String) -> String? {
        for field in fields where asciiCaseInsensitiveEquals(field.name, name) { return field.value }
        return nil
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    /// Every value of the field, in order.
    public func values(_ name: String) -> [String] {
        fields.compactMap { asciiCaseInsensitiveEquals($0.name, name) ? $0.value : nil }
    }

    /// The comma-separated list elements of every field of that name (RFC 9110 §5.6.1),
    /// trimmed and lowercased: what `Connection`, `Transfer-Encoding` and `Upgrade` carry.
    public func tokens(_ name: String) -> [String] {
        var result: [String] = []
        for value in values(name) {
            for element in value.split(separator: ",") {
                let trimmed = element.trimmingOWS()
                if !trimmed.isEmpty { result.append(trimmed.lowercased()) }
            }
        }
        return result
    }

    /// Whether the comma-separated field contains `token`, compared case-insensitively.
    public func containsToken(_ name: String, _ token: String) -> Bool {
        for value in values(name) {
            for element in value.split(separator: ",")
            where asciiCaseInsensitiveEquals(String(element.trimmingOWS()), token) {
                return true
            }
        }
        return false
    }
}

/// ASCII case-insensitive comparison: header names and tokens are ASCII, and this avoids
/// allocating lowercased copies on every look-up.
@inlinable
public func asciiCaseInsensitiveEquals(_ a: String, _ b: String) -> Bool {
    var a = a
    var b = b
    return a.withUTF8 { x in
        b.withUTF8 { y in
            guard x.count == y.count else { return false }
            for i in 0..<x.count {
                let p = x[i], q = y[i]
                if p == q { continue }
                let lp = (p >= 0x41 && p <= 0x5A) ? p | 0x20 : p
                let lq = (q >= 0x41 && q <= 0x5A) ? q | 0x20 : q
                if lp != lq { return false }
            }
            return true
        }
    }
}

extension StringProtocol {
    /// Strips optional whitespace (SP and HTAB, RFC 9110 §5.6.3) from both ends.
    public func trimmingOWS() -> SubSequence {
        var s = self[...]
        while let first = s.first, first == " " || first == "\t" { s.removeFirst() }
        while let last = s.last, last == " " || last == "\t" { s.removeLast() }
        return s
    }
}
