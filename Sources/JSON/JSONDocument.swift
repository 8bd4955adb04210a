/// A parsed JSON text (RFC 8259), kept as the original bytes plus one flat token per value,
/// in document order. Nothing is decoded until asked for: looking up `choices[0].delta.content`
/// in a provider's chunk compares key bytes in place and builds one `String`, where
/// `JSONSerialization` builds a dictionary of bridged objects for every field of every chunk
/// (it was 30% of relayd's CPU when relaying). Parsing validates the whole text, so a value
/// read from a document is always well-formed.
///
/// Pure: bytes in, values out. Limits: nesting depth (`maxDepth`), and the token count is
/// bounded by the input length.
public final class JSONDocument: @unchecked Sendable {
    public let bytes: [UInt8]
    var tokens: [JSONToken] = []

    /// Deeper nesting is an error: it bounds the parser's recursion.
    public static let maxDepth = 256

    public init(parsing input: some Collection<UInt8>) throws(JSONError) {
        bytes = Array(input)
        var tokens: [JSONToken] = []
        tokens.reserveCapacity(bytes.count / 8 + 4)
        try bytes.withUnsafeBufferPointer { (buffer: UnsafeBufferPointer<UInt8>) throws(JSONError) in
            var parser = JSONParser(input: buffer, tokens: tokens)
            tokens = []
            try parser.parseDocument()
            tokens = parser.tokens
        }
        self.tokens = tokens
    }

    public convenience init(parsing text: String) throws(JSONError) {
        try self.init(parsing: text.utf8)
    }

    /// The top-level value.
    public var root: JSONValue { JSONValue(document: self, index: 0) }
}

/// Why a text is not JSON, with the byte offset where that became clear.
public struct JSONError: Error, Equatable, CustomStringConvertible {
    public let offset: Int
    public let reason: String
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

/// One value of a document: where its bytes are and where the next sibling's token starts.
struct JSONToken {
    enum Kind: UInt8 { case object, array, string, number, `true`, `false`, null }
    var kind: Kind
    /// For strings: the bytes between the quotes; otherwise the whole value.
    var start: Int32
    var end: Int32
    /// The index of the first token after this value and everything inside it.
    var next: Int32
    /// Strings: whether there is a backslash inside (then decoding has work to do).
    /// Containers: how many members or elements.
    var count: Int32
}
