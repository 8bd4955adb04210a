import HTTP1

extension ClientAuthenticator {
    /// The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1), or nil.
    ///
    /// The scheme is case-insensitive (RFC 9110 §11.1), followed by one or more spaces, then
    /// exactly one b64token (token68): `A-Z a-z 0-9 - . _ ~ + /` with optional trailing `=`.
    /// Anything else (another scheme, a second word, a comma, control characters) is no token,
    /// so a malformed header is treated like a missing one.
    public static func bearerToken(fromAuthorization header: String?) -> String? {
        guard let header else { return nil }
        let bytes = header.trimmingOWS().utf8

        let scheme = Array("bearer".utf8)
        guard bytes.count > scheme.count + 1 else { return nil }
        for (offset, expected) in scheme.enumerated() {
            let byte = bytes[bytes.index(bytes.startIndex, offsetBy: offset)]
            // ASCII lowercase: setting bit 5 maps A-Z onto a-z and leaves a-z alone.
            guard byte | 0x20 == expected else { return nil }
        }
        var rest = bytes.dropFirst(scheme.count)
        guard rest.first == UInt8(ascii: " ") else { return nil }
        while rest.first == UInt8(ascii: " ") { rest.removeFirst() }
        guard isToken68(rest) else { return nil }
        return String(decoding: rest, as: UTF8.self)
    }

    /// token68 (RFC 9110 §11.2): at least one character of the alphabet, then only `=`.
    private static func isToken68(_ bytes: Substring.UTF8View.SubSequence) -> Bool {
        var sawPadding = false
        var characters = 0
        for byte in bytes {
            if byte == UInt8(ascii: "=") {
                sawPadding = true
                continue
            }
            guard !sawPadding else { return false }
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"):
                characters += 1
            default:
                return false
            }
        }
        return characters > 0
    }
}
