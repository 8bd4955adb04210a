/// One event of a stream as every transport sends it: its `seq` and its JSON, built once.
/// The WebSocket sends the JSON as a text frame; SSE sends it as `data:` with `id: <seq>`.
public struct StreamEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case start, chunk, done, error
    }

    /// 0 for `start`, then 1, 2, 3… with no gaps: what a client resumes after.
    public let seq: Int
    public let kind: Kind
    public let json: String

    public init(seq: Int, kind: Kind, json: String) {
        self.seq = seq
        self.kind = kind
        self.json = json
    }

    /// `done` and `error` end a stream.
    public var isTerminal: Bool { kind == .done || kind == .error }

    /// What the event costs to keep, as measured: its text, the string's heap object and
    /// allocator rounding (about 48 bytes), and its slot in the buffer (32).
    public var cost: Int { json.utf8.count + 96 }
}
