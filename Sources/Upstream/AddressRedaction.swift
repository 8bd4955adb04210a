/// Takes IP addresses out of text a client will read. relayd's own upstream errors keep
/// addresses in `ProviderError.detail` (logged, never sent); this is the backstop for what
/// relayd does not write itself: a gateway's error body quoting the address of the backend
/// that refused it ("connect to 10.0.3.7:8000 failed").
///
/// Replaces dotted-quad IPv4 addresses and bracketed IPv6 addresses, each with an optional
/// `:port`, by `[address]`. Version numbers with fewer or more than four parts are left alone.
public enum AddressRedaction {
    public static let replacement = "[address]"

    public static func redact(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(UInt8(ascii: ".")) || bytes.contains(UInt8(ascii: "[")) else { return text }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        var changed = false
        while index < bytes.count {
            let previous = index > 0 ? bytes[index - 1] : nil
            let boundary = previous.map { !isDigit($0) && $0 != UInt8(ascii: ".") } ?? true
            if boundary, let end = ipv4(bytes, from: index) ?? ipv6(bytes, from: index) {
                output.append(contentsOf: replacement.utf8)
                index = port(bytes, from: end)
                changed = true
                continue
            }
            output.append(bytes[index])
            index += 1
        }
        return changed ? String(decoding: output, as: UTF8.self) : text
    }

    /// The end of `d{1,3}.d{1,3}.d{1,3}.d{1,3}` at `start`, not followed by another digit or
    /// `.digit` (a fifth part).
    private static func ipv4(_ bytes: [UInt8], from start: Int) -> Int? {
        var index = start
        for part in 0..<4 {
            if part > 0 {
                guard index < bytes.count, bytes[index] == UInt8(ascii: ".") else { return nil }
                index += 1
            }
            let digitsStart = index
            while index < bytes.count, isDigit(bytes[index]), index - digitsStart < 3 { index += 1 }
            guard index > digitsStart else { return nil }
        }
        if index < bytes.count, isDigit(bytes[index]) { return nil }
        if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "."), isDigit(bytes[index + 1]) { return nil }
        return index
    }

    /// The end of `[hex and colons]` at `start`, with at least two colons inside.
    private static func ipv6(_ bytes: [UInt8], from start: Int) -> Int? {
        guard bytes[start] == UInt8(ascii: "[") else { return nil }
        var index = start + 1
        var colons = 0
        while index < bytes.count, index - start <= 46 {
            let byte = bytes[index]
            if byte == UInt8(ascii: "]") { return colons >= 2 ? index + 1 : nil }
            if byte == UInt8(ascii: ":") {
                colons += 1
            } else if !(isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte | 0x20) || byte == UInt8(ascii: ".")) {
                return nil
            }
            index += 1
        }
        return nil
    }

    /// Past an optional `:port` at `start`.
    private static func port(_ bytes: [UInt8], from start: Int) -> Int {
        guard start + 1 < bytes.count, bytes[start] == UInt8(ascii: ":"), isDigit(bytes[start + 1]) else { return start }
        var index = start + 1
        while index < bytes.count, isDigit(bytes[index]), index - start <= 5 { index += 1 }
        return index
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
}
