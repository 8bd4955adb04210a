/// Minimal JSON writing for the server's own small documents (`/health`, error bodies),
/// where building the text directly is cheaper than an encoder and the shapes are fixed.
public enum JSONText {
    /// A JSON string literal for `text` (RFC 8259 §7), quotes included.
    public static func quote(_ text: String) -> String {
        // Most text (model output) needs no escaping: check the bytes, then copy once.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0xE2 }) {
            return "\"" + text + "\""
        }
        var result = "\""
        result.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case let s where s.value < 0x20 || s.value == 0x2028 || s.value == 0x2029:
                let hex = String(s.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        result += "\""
        return result
    }
}

/// Builds one JSON object as text, member by member: for request bodies whose shape is known,
/// where building a dictionary of `Any` for `JSONSerialization` cost more than the rest of
/// starting a chat.
public struct JSONObjectWriter {
    private var text = "{"

    public init() {}

    private mutating func key(_ key: String) {
        if text.utf8.count > 1 { text += "," }
        text += JSONText.quote(key)
        text += ":"
    }

    public mutating func add(_ name: String, _ value: String) {
        key(name)
        text += JSONText.quote(value)
    }

    public mutating func add(_ name: String, _ value: Int) {
        key(name)
        text += String(value)
    }

    /// Finite numbers only (JSON has no NaN or infinity); others are written as null.
    public mutating func add(_ name: String, _ value: Double) {
        key(name)
        text += value.isFinite ? (value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)) : "null"
    }

    public mutating func add(_ name: String, _ value: Bool) {
        key(name)
        text += value ? "true" : "false"
    }

    public mutating func add(_ name: String, strings: [String]) {
        key(name)
        text += "[" + strings.map(JSONText.quote).joined(separator: ",") + "]"
    }

    /// A member whose value is already JSON text (a nested object or array).
    public mutating func add(_ name: String, json: String) {
        key(name)
        text += json
    }

    public var isEmpty: Bool { text.utf8.count == 1 }

    /// The object's text.
    public var json: String { text + "}" }
}
