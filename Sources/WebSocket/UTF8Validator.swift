/// Incremental UTF-8 validation (RFC 3629) that fails on the first byte that can no longer
/// start or continue a valid sequence, so a text message split across frames (or a frame
/// split across reads) is rejected as soon as the bad byte arrives, not when the message ends
/// (RFC 6455 §8.1). A code point may span two calls.
public struct UTF8Validator: Sendable {
    /// Continuation bytes still expected for the current code point.
    private var remaining = 0
    /// Allowed range of the next continuation byte (narrower right after some lead bytes, to
    /// exclude overlongs, surrogates and code points above U+10FFFF).
    private var low: UInt8 = 0x80
    private var high: UInt8 = 0xBF

    public init() {}

    /// Whether the bytes so far end on a code point boundary (a complete message must).
    public var isComplete: Bool { remaining == 0 }

    /// Validates more bytes; false at the first invalid byte.
    public mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = bytes.count
        while index < count {
            if remaining == 0 {
                // ASCII fast path: eight bytes at a time while none has the high bit.
                while index + 8 <= count {
                    let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                    if word & 0x8080_8080_8080_8080 != 0 { break }
                    index += 8
                }
                guard index < count else { return true }
            }
            let byte = bytes[index]
            index += 1
            if remaining == 0 {
                switch byte {
                case 0x00...0x7F: continue
                case 0xC2...0xDF: remaining = 1; low = 0x80; high = 0xBF
                case 0xE0: remaining = 2; low = 0xA0; high = 0xBF
                case 0xE1...0xEC, 0xEE, 0xEF: remaining = 2; low = 0x80; high = 0xBF
                case 0xED: remaining = 2; low = 0x80; high = 0x9F // no surrogates
                case 0xF0: remaining = 3; low = 0x90; high = 0xBF
                case 0xF1...0xF3: remaining = 3; low = 0x80; high = 0xBF
                case 0xF4: remaining = 3; low = 0x80; high = 0x8F // ≤ U+10FFFF
                default: return false // continuation without lead, C0, C1, F5–FF
                }
            } else {
                guard byte >= low, byte <= high else { return false }
                remaining -= 1
                low = 0x80
                high = 0xBF
            }
        }
        return true
    }

    public mutating func validate(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { validate($0) }
    }

    public mutating func reset() { self = UTF8Validator() }
}
