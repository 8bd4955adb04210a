/// `If-None-Match` (RFC 9110 §13.1.2): the client's cached copies, by entity tag. When one is
/// current the server answers 304 and sends no content again.
public enum IfNoneMatch {
    /// Whether the field values name `etag` (a quoted tag, `"abc"`), or are `*`. The
    /// comparison is weak (RFC 9110 §8.8.3.2): `W/"abc"` matches `"abc"`. Tags are read with
    /// their quotes, not split at commas, since a comma may sit inside one.
    public static func matches(_ fieldValues: [String], etag: String) -> Bool {
        let wanted = Array(etag.utf8)
        for value in fieldValues {
            let bytes = Array(value.utf8)
            var index = 0
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: ","):
                    index += 1
                case UInt8(ascii: "*"):
                    return true
                case UInt8(ascii: "W") where index + 2 < bytes.count && bytes[index + 1] == UInt8(ascii: "/"):
                    index += 2
                case UInt8(ascii: "\""):
                    guard let close = bytes[(index + 1)...].firstIndex(of: UInt8(ascii: "\"")) else { return false }
                    if bytes[index...close].elementsEqual(wanted) { return true }
                    index = close + 1
                default:
                    return false // not a list of entity tags: no match, so the full response
                }
            }
        }
        return false
    }

    public static func matches(_ headers: HeaderFields, etag: String) -> Bool {
        matches(headers.values("If-None-Match"), etag: etag)
    }
}
