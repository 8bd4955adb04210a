// Helpers shared by the fuzz harnesses (compiled into each target by fuzz/run.sh, with the
// tests' SplitMix64 from Tests/Shared).

/// Bytes as a printable string literal body, at most `limit` bytes of them.
func escaped(_ bytes: some Collection<UInt8>, limit: Int = 600) -> String {
    var text = ""
    for byte in bytes.prefix(limit) {
        switch byte {
        case 0x0D: text += "\\r"
        case 0x0A: text += "\\n"
        case 0x09: text += "\\t"
        case 0x22: text += "\\\""
        case 0x5C: text += "\\\\"
        case 0x20..<0x7F: text.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let hex = String(byte, radix: 16, uppercase: true)
            text += "\\x" + (hex.count == 1 ? "0" + hex : hex)
        }
    }
    if bytes.count > limit { text += "…(\(bytes.count) bytes)" }
    return text
}

func escaped(_ text: String, limit: Int = 600) -> String { escaped(Array(text.utf8), limit: limit) }

/// Traps with the failed invariant and the input, so libFuzzer saves the input as a crash.
func fuzzFail(_ target: String, _ what: String, _ input: UnsafeBufferPointer<UInt8>) -> Never {
    fatalError("\(target) fuzz invariant failed: \(what)\n  input: \"\(escaped(input))\"")
}

/// FNV-1a, 64 bits: seeds the per-input random choices (so a saved crash replays the same
/// splits) and names inputs in the JSON differential.
func fnv1a(_ bytes: some Sequence<UInt8>) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    return hash
}

/// Cut points for feeding an input in pieces: `[count]` (whole), one random cut, a few
/// random cuts, and every byte (short inputs only). Each list is increasing and ends at `count`.
func feedingPlans(count: Int, seed: UInt64, byteAtATimeLimit: Int = 512) -> [(label: String, ends: [Int])] {
    var random = SplitMix64(state: seed)
    var plans: [(String, [Int])] = []
    if count > 0 {
        let cut = Int.random(in: 0...count, using: &random)
        plans.append(("split at \(cut)", [cut, count]))
        let cuts = (0..<4).map { _ in Int.random(in: 0...count, using: &random) }.sorted()
        plans.append(("split at \(cuts)", cuts + [count]))
    }
    if count > 1, count < byteAtATimeLimit {
        plans.append(("byte-at-a-time", Array(1...count)))
    }
    return plans
}
