/// A protocol violation, with the close code it is answered with (RFC 6455 §7.4.1). After
/// one, the connection is failed: a close frame with this code, then the TCP connection goes.
public struct WebSocketError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        case unmaskedClientFrame
        case maskedServerFrame
        case reservedBitsSet
        case unknownOpcode
        case fragmentedControlFrame
        case controlFrameTooLong
        case nonMinimalLength
        case lengthTooLarge
        case unexpectedContinuation
        case expectedContinuation
        case messageTooBig
        case tooManyFragments
        case invalidUTF8
        case invalidCloseCode
        case invalidClosePayload
        case invalidCompressedData
    }

    public let reason: Reason

    public init(_ reason: Reason) { self.reason = reason }

    public var closeCode: CloseCode {
        switch reason {
        case .messageTooBig, .tooManyFragments: return .messageTooBig
        case .invalidUTF8: return .invalidPayload
        default: return .protocolError
        }
    }

    /// A short reason for the close frame (≤ 123 bytes, ASCII).
    public var message: String {
        switch reason {
        case .unmaskedClientFrame: return "client frames must be masked"
        case .maskedServerFrame: return "server frames must not be masked"
        case .reservedBitsSet: return "reserved bits set without an extension"
        case .unknownOpcode: return "unknown opcode"
        case .fragmentedControlFrame: return "control frames must not be fragmented"
        case .controlFrameTooLong: return "control frame over 125 bytes"
        case .nonMinimalLength: return "payload length not minimally encoded"
        case .lengthTooLarge: return "payload length over 2^63"
        case .unexpectedContinuation: return "continuation without a message to continue"
        case .expectedContinuation: return "new message before the last one ended"
        case .messageTooBig: return "message too big"
        case .tooManyFragments: return "too many fragments"
        case .invalidUTF8: return "text is not valid UTF-8"
        case .invalidCloseCode: return "invalid close code"
        case .invalidClosePayload: return "invalid close payload"
        case .invalidCompressedData: return "invalid compressed data"
        }
    }

    public var description: String { "\(closeCode.rawValue) \(message)" }
}
