/// Close status codes (RFC 6455 §7.4) and the ones relayd defines in the private range.
public struct CloseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public static let normal = CloseCode(1000)
    public static let goingAway = CloseCode(1001)
    public static let protocolError = CloseCode(1002)
    public static let unsupportedData = CloseCode(1003)
    public static let invalidPayload = CloseCode(1007)
    public static let policyViolation = CloseCode(1008)
    public static let messageTooBig = CloseCode(1009)
    public static let mandatoryExtension = CloseCode(1010)
    public static let internalError = CloseCode(1011)
    /// The server is restarting (a deploy): reconnect after a short wait.
    public static let serviceRestart = CloseCode(1012)
    public static let tryAgainLater = CloseCode(1013)

    /// relayd: this connection fell behind (it could not take data as fast as it came).
    /// Reconnect at once and resume streams from their last sequence number.
    public static let reconnectAndResume = CloseCode(4000)
    /// relayd: no frame from the client within the heartbeat deadline.
    public static let heartbeatTimeout = CloseCode(4001)

    public var description: String { String(rawValue) }

    /// Whether a peer may send this code in a close frame (RFC 6455 §7.4.1, §7.4.2, and the
    /// IANA registry): 1000–1003, 1007–1014 and 3000–4999. 1004–1006 and 1015 are reserved
    /// and never sent on the wire; 1016–2999 are unassigned.
    public var isValidFromPeer: Bool {
        switch rawValue {
        case 1000...1003, 1007...1014, 3000...4999: return true
        default: return false
        }
    }
}
