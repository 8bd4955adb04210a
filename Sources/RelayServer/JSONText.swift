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
