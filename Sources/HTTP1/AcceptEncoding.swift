/// The content codings a client accepts, with their weights (RFC 9110 §12.5.3):
/// `Accept-Encoding: gzip, deflate, br;q=0.9, *;q=0`.
///
/// Weights are kept in thousandths (`q=0.5` is 500), as the grammar allows at most three
/// decimals (RFC 9110 §12.4.2), so comparing them needs no floating point.
public struct AcceptEncoding: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        /// Lowercased; `x-gzip` is recorded as `gzip` (RFC 9110 §8.4.1.3).
        public var coding: String
        /// 0 (not acceptable) to 1000.
        public var quality: Int
    }

    public private(set) var entries: [Entry] = []

    /// Parses every `Accept-Encoding` field value. An element whose weight breaks the grammar
    /// is dropped rather than guessed at; other parameters are ignored.
    public init(_ fieldValues: [String]) {
        for value in fieldValues {
            for element in value.split(separator: ",") {
                var parts = element.split(separator: ";").makeIterator()
                let coding = parts.next()?.trimmingOWS().lowercased() ?? ""
                guard !coding.isEmpty else { continue }
                var quality: Int? = 1000
                while let parameter = parts.next() {
                    let pair = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    guard pair.count == 2, pair[0].trimmingOWS().lowercased() == "q" else { continue }
                    quality = Self.parseQuality(pair[1].trimmingOWS())
                }
                if let quality { entries.append(Entry(coding: coding == "x-gzip" ? "gzip" : coding, quality: quality)) }
            }
        }
    }

    public init(_ headers: HeaderFields) { self.init(headers.values("Accept-Encoding")) }

    /// How much the client wants `coding`: its own entry (the highest if listed twice), else
    /// `*`'s, else 1000 for `identity`, which is acceptable unless excluded, and 0 for the rest.
    public func quality(of coding: String) -> Int {
        let coding = coding.lowercased()
        if let quality = entries.filter({ $0.coding == coding }).map(\.quality).max() { return quality }
        if let quality = entries.filter({ $0.coding == "*" }).map(\.quality).max() { return quality }
        return coding == "identity" ? 1000 : 0
    }

    /// Whether to send gzip rather than the plain bytes: the client accepts it (`gzip;q=0`
    /// means it does not) and likes it at least as much as identity. No field at all means
    /// identity: RFC 9110 would allow any coding then, but a client that says nothing is
    /// safest served bytes it surely reads.
    public var prefersGzip: Bool {
        let gzip = quality(of: "gzip")
        return gzip > 0 && gzip >= quality(of: "identity")
    }

    /// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
    static func parseQuality(_ text: Substring) -> Int? {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, first == UInt8(ascii: "0") || first == UInt8(ascii: "1") else { return nil }
        var value = Int(first - UInt8(ascii: "0")) * 1000
        guard bytes.count > 1 else { return value }
        let decimals = bytes.dropFirst(2)
        guard bytes[1] == UInt8(ascii: "."), decimals.count <= 3, decimals.allSatisfy(ASCII.isDigit) else { return nil }
        var scale = 100
        for digit in decimals {
            value += Int(digit - UInt8(ascii: "0")) * scale
            scale /= 10
        }
        return value <= 1000 ? value : nil
    }
}
