/// SplitMix64 (Steele, Lea, Flood 2014): a tiny seeded generator, the same sequence on every
/// platform, so a failing mutation test can be replayed. Linked into the test targets that
/// mutate inputs (HTTP1Tests, JSONTests), and compiled into the fuzz targets (fuzz/run.sh),
/// which derive their splits from each input.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` (`bound` > 0); the modulo bias is irrelevant here.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
