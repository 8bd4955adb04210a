/// Turns bytes from a client into messages (RFC 6455 §5.4–5.6, RFC 7692 §6): reassembles
/// fragments with control frames interleaved, inflates compressed messages, validates text
/// as it arrives, and enforces the message size and fragment limits as soon as they are
/// crossed. Pure: fed bytes, pulled for messages. After an error it stays failed.
public struct MessageReader {
    public struct Limits: Sendable {
        /// Largest message (after inflation); larger fails with 1009.
        public var maxMessageBytes: Int
        /// Most frames in one message; more fails with 1009.
        public var maxFragments: Int

        public init(maxMessageBytes: Int = 1 << 20, maxFragments: Int = 1024) {
            self.maxMessageBytes = maxMessageBytes
            self.maxFragments = maxFragments
        }
    }

    public let limits: Limits
    private var parser: FrameParser
    private let codecs: CodecPool?
    private var failure: WebSocketError?

    // The frame being read.
    private var frame: FrameHeader?
    private var controlPayload: [UInt8] = []

    // The data message being assembled.
    private var messageOpcode: Opcode?
    private var compressed = false
    private var inflater: Inflater?
    private var message: [UInt8] = []
    private var validatedCount = 0
    private var validator = UTF8Validator()
    private var fragments = 0

    /// `deflate`: the negotiated extension, or nil. `codecs` lends inflaters when it is set.
    public init(limits: Limits = Limits(), deflate: PermessageDeflate? = nil, codecs: CodecPool? = nil) {
        self.limits = limits
        self.codecs = deflate == nil ? nil : (codecs ?? CodecPool())
        parser = FrameParser(configuration: .init(expectMasked: true, allowRSV1: deflate != nil,
                                                  maxFrameLength: limits.maxMessageBytes))
    }

    public var bufferedByteCount: Int { parser.bufferedByteCount + message.count }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) { parser.append(bytes) }
    public mutating func append(_ bytes: [UInt8]) { parser.append(bytes) }

    /// Returns a borrowed inflater; call when the connection goes away mid-message.
    public mutating func releaseResources() {
        if let inflater { codecs?.give(inflater) }
        inflater = nil
    }

    public mutating func next() throws(WebSocketError) -> WebSocketMessage? {
        if let failure { throw failure }
        do {
            while let event = try parser.next() {
                if let message = try handle(event) { return message }
            }
            return nil
        } catch {
            failure = error
            releaseResources()
            throw error
        }
    }

    private mutating func handle(_ event: FrameParserEvent) throws(WebSocketError) -> WebSocketMessage? {
        switch event {
        case .head(let header):
            frame = header
            if header.opcode.isControl {
                controlPayload = []
                controlPayload.reserveCapacity(header.payloadLength)
                return nil
            }
            if header.opcode == .continuation {
                guard messageOpcode != nil else { throw WebSocketError(.unexpectedContinuation) }
                // RFC 7692 §6.1: RSV1 marks only the first frame of a compressed message.
                guard !header.rsv1 else { throw WebSocketError(.reservedBitsSet) }
                fragments += 1
                if fragments > limits.maxFragments { throw WebSocketError(.tooManyFragments) }
            } else {
                guard messageOpcode == nil else { throw WebSocketError(.expectedContinuation) }
                messageOpcode = header.opcode
                compressed = header.rsv1
                fragments = 1
                message = []
                validatedCount = 0
                validator.reset()
                if compressed { inflater = codecs?.takeInflater() }
            }
            if !compressed, message.count + header.payloadLength > limits.maxMessageBytes {
                throw WebSocketError(.messageTooBig)
            }
            return nil
        case .payload(let bytes):
            guard let frame else { return nil }
            if frame.opcode.isControl {
                controlPayload += bytes
            } else if compressed, let inflater {
                var failure: WebSocketError?
                let limit = limits.maxMessageBytes
                bytes.withUnsafeBytes { raw in
                    do throws(WebSocketError) { try inflater.inflate(raw, final: false, limit: limit, into: &message) } catch { failure = error }
                }
                if let failure { throw failure }
                try validateNewText()
            } else {
                message += bytes
                try validateNewText()
            }
            return nil
        case .end:
            guard let frame else { return nil }
            self.frame = nil
            if frame.opcode.isControl { return try controlMessage(frame.opcode) }
            guard frame.fin, let opcode = messageOpcode else { return nil }
            if compressed, let inflater {
                try inflater.inflate(UnsafeRawBufferPointer(start: nil, count: 0), final: true,
                                     limit: limits.maxMessageBytes, into: &message)
                try validateNewText()
            }
            if opcode == .text, !validator.isComplete { throw WebSocketError(.invalidUTF8) }
            let complete = message
            message = []
            messageOpcode = nil
            releaseResources()
            return opcode == .text ? .text(complete) : .binary(complete)
        }
    }

    /// Validates text bytes added since the last call: a bad byte fails the message at once.
    private mutating func validateNewText() throws(WebSocketError) {
        guard messageOpcode == .text, validatedCount < message.count else { return }
        let valid = message.withUnsafeBytes { validator.validate(UnsafeRawBufferPointer(rebasing: $0[validatedCount...])) }
        guard valid else { throw WebSocketError(.invalidUTF8) }
        validatedCount = message.count
    }

    private func controlMessage(_ opcode: Opcode) throws(WebSocketError) -> WebSocketMessage {
        switch opcode {
        case .ping: return .ping(controlPayload)
        case .pong: return .pong(controlPayload)
        default: return try Self.parseClose(controlPayload)
        }
    }

    /// A close frame's body: empty, or a valid code and a UTF-8 reason (RFC 6455 §5.5.1, §7.4).
    static func parseClose(_ payload: [UInt8]) throws(WebSocketError) -> WebSocketMessage {
        if payload.isEmpty { return .close(code: nil, reason: "") }
        guard payload.count >= 2 else { throw WebSocketError(.invalidClosePayload) }
        let code = CloseCode(UInt16(payload[0]) << 8 | UInt16(payload[1]))
        guard code.isValidFromPeer else { throw WebSocketError(.invalidCloseCode) }
        let reason = Array(payload[2...])
        var validator = UTF8Validator()
        guard validator.validate(reason), validator.isComplete else { throw WebSocketError(.invalidClosePayload) }
        return .close(code: code, reason: String(decoding: reason, as: UTF8.self))
    }
}
