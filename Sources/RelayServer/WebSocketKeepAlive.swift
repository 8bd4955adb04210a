/// Liveness of one WebSocket connection as a value-type state machine with the clock passed
/// in: the connection reports what it received and sent, a periodic sweep asks what to do,
/// and tests drive it with made-up instants.
///
/// - The server pings every `pingInterval` (RFC 6455 §5.5.2): proxies see traffic, and a
///   live client answers with a pong.
/// - Dead-peer rule: no frame at all from the client for two ping intervals plus `grace`
///   means the peer is gone (a laptop that slept, a phone that lost its network); the
///   connection is dropped so its resources and streams can be reclaimed.
/// - After a close frame is sent, the client has `closeTimeout` to answer before the TCP
///   connection is dropped (RFC 6455 §7.1.1).
public struct WebSocketKeepAlive: Sendable {
    public enum Action: Sendable, Equatable {
        case none
        case sendPing
        case deadPeer
        case closeTimedOut
    }

    public let pingInterval: Duration
    public let grace: Duration
    public let closeTimeout: Duration
    public private(set) var lastReceived: ContinuousClock.Instant
    public private(set) var lastPing: ContinuousClock.Instant
    public private(set) var closeSentAt: ContinuousClock.Instant?

    /// `firstPingAfter` (at most `pingInterval`) sets the phase of this connection's pings.
    /// Sessions pass a random share of the interval: clients that connected together (after
    /// a deploy, or a load test) would otherwise all be pinged in the same sweep, one
    /// `send` each, stalling the loop (about 10 ms per 1,000 connections).
    public init(pingInterval: Duration, grace: Duration, closeTimeout: Duration, now: ContinuousClock.Instant,
                firstPingAfter: Duration? = nil) {
        self.pingInterval = pingInterval
        self.grace = grace
        self.closeTimeout = closeTimeout
        lastReceived = now
        lastPing = now - (pingInterval - min(firstPingAfter ?? pingInterval, pingInterval))
    }

    public var deadPeerTimeout: Duration { pingInterval * 2 + grace }

    public mutating func received(at now: ContinuousClock.Instant) { lastReceived = now }

    public mutating func closeSent(at now: ContinuousClock.Instant) {
        if closeSentAt == nil { closeSentAt = now }
    }

    public mutating func check(at now: ContinuousClock.Instant) -> Action {
        if let closeSentAt {
            return closeSentAt.duration(to: now) >= closeTimeout ? .closeTimedOut : .none
        }
        if lastReceived.duration(to: now) >= deadPeerTimeout { return .deadPeer }
        if lastPing.duration(to: now) >= pingInterval {
            lastPing = now
            return .sendPing
        }
        return .none
    }
}
