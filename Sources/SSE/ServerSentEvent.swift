/// One dispatched event (WHATWG HTML §9.2.6 "dispatch the event").
public struct ServerSentEvent: Sendable, Equatable {
    /// The `event:` field, or "message".
    public var type: String
    /// The `data:` lines joined with LF.
    public var data: String
    /// The last event ID when this event was dispatched (sticky across events).
    public var lastEventID: String

    public init(type: String = "message", data: String, lastEventID: String = "") {
        self.type = type
        self.data = data
        self.lastEventID = lastEventID
    }
}

/// What the parser reports.
public enum EventStreamItem: Sendable, Equatable {
    case event(ServerSentEvent)
    /// A comment line (`: keep-alive`, `: OPENROUTER PROCESSING`): proof the upstream lives.
    case comment(String)
    /// A valid `retry:` field, in milliseconds.
    case retry(Int)
}
