/// Content-Length = 1*DIGIT (RFC 9110 §8.6), shared by the request and response parsers.
enum ContentLength {
    /// The length the `Content-Length` field values declare (non-empty `values`). A list
    /// (`5, 5`) or repeated fields are accepted when every element is the same number, as
    /// RFC 9110 §8.6 allows; anything but digits is `invalidContentLength`, differing values
    /// are `conflictingContentLength`. Eighteen digits at most, so the value fits an `Int`.
    static func parse(_ values: [String]) throws(HTTPParseError) -> Int {
        var length: Int?
        for field in values {
            for element in field.split(separator: ",", omittingEmptySubsequences: false) {
                let trimmed = element.trimmingOWS()
                guard !trimmed.isEmpty, trimmed.utf8.count <= 18, trimmed.utf8.allSatisfy(ASCII.isDigit),
                      let value = Int(trimmed)
                else { throw HTTPParseError(.invalidContentLength) }
                if let previous = length, previous != value { throw HTTPParseError(.conflictingContentLength) }
                length = value
            }
        }
        guard let length else { throw HTTPParseError(.invalidContentLength) }
        return length
    }
}
