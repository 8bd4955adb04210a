/// The timeout policy of one HTTP connection, as a value-type state machine with the clock
/// passed in: the connection reports phase changes, a periodic sweep asks
/// `check(at:)`, and tests drive it with made-up instants instead of sleeping.
public struct ConnectionDeadline: Sendable {
    public enum Phase: Sendable, Equatable {
        /// Connected, nothing received yet.
        case fresh
        /// Part of a request head has arrived. The clock does not restart on each byte: a
        /// client trickling one byte a second (slowloris) still runs out of time.
        case awaitingHead
        /// The head is in; the body is arriving, within `bodyTimeout` in all (reads do not
        /// restart the clock: a body trickled a byte at a time still runs out of time).
        case readingBody
        /// A response is being produced; streaming responses may take minutes.
        case responding
        /// Between requests on a keep-alive connection.
        case idle
    }

    public enum Action: Sendable, Equatable {
        case none
        /// Answer 408 and close (RFC 9110 §15.5.9).
        case requestTimeout
        /// Close without a response: nothing was asked.
        case close
    }

    public var headerTimeout: Duration
    public var bodyTimeout: Duration
    public var idleTimeout: Duration
    public private(set) var phase: Phase
    public private(set) var since: ContinuousClock.Instant

    public init(headerTimeout: Duration, bodyTimeout: Duration = .seconds(60), idleTimeout: Duration, now: ContinuousClock.Instant) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        phase = .fresh
        since = now
    }

    public mutating func enter(_ phase: Phase, at now: ContinuousClock.Instant) {
        self.phase = phase
        since = now
    }

    /// Bytes arrived.
    public mutating func received(at now: ContinuousClock.Instant) {
        switch phase {
        case .fresh, .idle: enter(.awaitingHead, at: now)
        case .awaitingHead, .readingBody, .responding: break
        }
    }

    public func check(at now: ContinuousClock.Instant) -> Action {
        let elapsed = since.duration(to: now)
        switch phase {
        case .fresh: return elapsed >= headerTimeout ? .close : .none
        case .awaitingHead: return elapsed >= headerTimeout ? .requestTimeout : .none
        case .readingBody: return elapsed >= bodyTimeout ? .requestTimeout : .none
        case .responding: return .none
        case .idle: return elapsed >= idleTimeout ? .close : .none
        }
    }
}
