/// `Duration` as the numbers timers, histograms and status documents take.
extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// Seconds with millisecond precision, for status documents.
    var statusSeconds: String { String((seconds * 1000).rounded() / 1000) }
}
