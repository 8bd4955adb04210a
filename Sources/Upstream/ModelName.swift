/// What a client may name as a model. Providers accept any model name when no `*_MODELS`
/// list is set, and the name travels with the operator's key: into the JSON body for
/// OpenAI-compatible providers and Anthropic, and into the URL path for Gemini
/// (`/models/{model}:streamGenerateContent`). So the name is checked where it enters, against
/// a strict rule, and Gemini's URL builder encodes it as one path segment besides.
///
/// The rule: 1 to 128 bytes of `A-Z a-z 0-9 . _ : + -` and `/`, where `/` only separates
/// segments that each start with a letter or a digit. That keeps every real name valid
/// (`gpt-4o-mini`, `claude-3-5-sonnet-20241022`, `gemini-1.5-flash`, `models/gemini-2.0-flash`,
/// Ollama's `llama3.1:8b`, Fireworks' `accounts/fireworks/models/llama-v3p1-8b-instruct`) and
/// refuses `..`, empty segments, `?`, `#`, `%`, `;`, `@`, spaces and control characters.
public enum ModelName {
    public static let maximumLength = 128

    public static func isValid(_ name: some StringProtocol) -> Bool {
        let bytes = name.utf8
        guard !bytes.isEmpty, bytes.count <= maximumLength else { return false }
        var atSegmentStart = true
        for byte in bytes {
            if byte == UInt8(ascii: "/") {
                guard !atSegmentStart else { return false } // an empty segment ("a//b", "/a")
                atSegmentStart = true
                continue
            }
            if atSegmentStart {
                // No "." or ".." segment, no option-like "-x": a segment starts alphanumeric.
                guard isAlphanumeric(byte) else { return false }
                atSegmentStart = false
            } else {
                guard isAlphanumeric(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
                        || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") else { return false }
            }
        }
        return !atSegmentStart // no trailing "/"
    }

    /// The model as Gemini's single path segment after `/models/`: a leading `models/` (how
    /// Gemini's own model list names them) is dropped, and every byte outside RFC 3986's
    /// unreserved set is percent-encoded, `/` and `:` included, so a name can never add a path
    /// segment, a dot segment, a query or a method (`:generateContent`) to the URL.
    public static func geminiPathSegment(_ model: String) -> String {
        let name = model.hasPrefix("models/") ? model.dropFirst("models/".count) : Substring(model)
        let digits = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(name.utf8.count)
        for byte in name.utf8 {
            if isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "~") {
                output.append(byte)
            } else {
                output.append(UInt8(ascii: "%"))
                output.append(digits[Int(byte >> 4)])
                output.append(digits[Int(byte & 0x0F)])
            }
        }
        // "." and ".." alone are dot segments even when every byte is unreserved (RFC 3986 §5.2.4).
        if output == [UInt8(ascii: ".")] || output == [UInt8(ascii: "."), UInt8(ascii: ".")] {
            return output.count == 1 ? "%2E" : "%2E%2E"
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        default: return false
        }
    }

    /// The client's error for a name that breaks the rule.
    public static let invalidMessage = "\"model\" must be 1 to 128 characters of letters, digits, '.', '_', ':', '+', '-', and '/' between parts"
}
