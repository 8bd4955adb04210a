/// `%XX` escapes in a query value (RFC 3986 §2.1), and `+` left as is (it is only a space in
/// HTML forms). Invalid escapes or bytes that are not UTF-8 give nil: a value that cannot be
/// read exactly is not guessed at.
public enum PercentDecoding {
    public static func decode(_ text: some StringProtocol) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(ASCII.hexValue), let low = iterator.next().flatMap(ASCII.hexValue) else { return nil }
            bytes.append(UInt8(high << 4 | low))
        }
        return String(validating: bytes, as: UTF8.self)
    }

}
