/// Comparisons whose duration does not depend on where two secrets first differ, so a client
/// timing its failures learns nothing about a token or a MAC byte by byte.
enum ConstantTime {
    /// Whether `a` and `b` are equal. Different lengths are unequal at once: callers compare
    /// fixed-size digests and MACs (32 bytes), so the length is never the secret.
    static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<a.count { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
