/// What the frame parser produced.
public enum FrameParserEvent: Sendable, Equatable {
    case head(FrameHeader)
    /// Unmasked payload bytes of the current frame, as they arrive (never empty).
    case payload([UInt8])
    /// The current frame's payload is complete.
    case end
}

/// An incremental WebSocket frame parser (RFC 6455 §5.2): fed bytes, pulled for events,
/// no sockets. Payload is handed out as it arrives, so a consumer can validate UTF-8 or
/// inflate before a large frame is complete, and nothing buffers more than one read.
///
/// Every rule that can be checked from the header is checked before any payload is read:
/// masking, reserved bits, opcodes, control-frame size and fragmentation, length encoding,
/// and the frame size limit.
public struct FrameParser: Sendable {
    public struct Configuration: Sendable {
        /// Servers require masked frames from clients (RFC 6455 §5.1); clients the opposite.
        public var expectMasked: Bool
        /// RSV1 is allowed only with a negotiated extension (permessage-deflate uses it).
        public var allowRSV1: Bool
        /// Frames longer than this fail with 1009 before any payload is read.
        public var maxFrameLength: Int

        public init(expectMasked: Bool = true, allowRSV1: Bool = false, maxFrameLength: Int = 1 << 20) {
            self.expectMasked = expectMasked
            self.allowRSV1 = allowRSV1
            self.maxFrameLength = maxFrameLength
        }
    }

    enum State: Sendable {
        case header
        case payload(remaining: Int)
        case failed(WebSocketError)
    }

    public var configuration: Configuration
    private var state: State = .header
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var mask: (UInt8, UInt8, UInt8, UInt8)?
    /// Bytes of the current payload unmasked so far, to continue the key where it left off.
    private var maskOffset = 0

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    public var bufferedByteCount: Int { buffer.count - readIndex }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    public mutating func next() throws(WebSocketError) -> FrameParserEvent? {
        switch state {
        case .failed(let error):
            throw error
        case .header:
            do {
                guard let header = try parseHeader() else { return nil }
                state = .payload(remaining: header.payloadLength)
                mask = header.maskingKey
                maskOffset = 0
                return .head(header)
            } catch {
                state = .failed(error)
                throw error
            }
        case .payload(let remaining):
            if remaining == 0 {
                state = .header
                return .end
            }
            let available = min(remaining, bufferedByteCount)
            guard available > 0 else { return nil }
            var piece = Array(buffer[readIndex..<(readIndex + available)])
            if let mask { Self.unmask(&piece, key: mask, offset: maskOffset) }
            maskOffset += available
            readIndex += available
            state = .payload(remaining: remaining - available)
            return .payload(piece)
        }
    }

    private mutating func parseHeader() throws(WebSocketError) -> FrameHeader? {
        guard bufferedByteCount >= 2 else { return nil }
        let first = buffer[readIndex]
        let second = buffer[readIndex + 1]
        let fin = first & 0x80 != 0
        let rsv1 = first & 0x40 != 0
        guard first & 0x30 == 0, !rsv1 || configuration.allowRSV1 else { throw WebSocketError(.reservedBitsSet) }
        guard let opcode = Opcode(rawValue: first & 0x0F) else { throw WebSocketError(.unknownOpcode) }
        let masked = second & 0x80 != 0
        if masked != configuration.expectMasked {
            throw WebSocketError(masked ? .maskedServerFrame : .unmaskedClientFrame)
        }
        let shortLength = Int(second & 0x7F)
        if opcode.isControl {
            guard fin else { throw WebSocketError(.fragmentedControlFrame) }
            guard shortLength <= 125 else { throw WebSocketError(.controlFrameTooLong) }
            // RFC 7692 §6.1: control frames are never compressed.
            guard !rsv1 else { throw WebSocketError(.reservedBitsSet) }
        }
        let lengthBytes = shortLength == 126 ? 2 : (shortLength == 127 ? 8 : 0)
        let headerLength = 2 + lengthBytes + (masked ? 4 : 0)
        guard bufferedByteCount >= headerLength else { return nil }
        var length = shortLength
        if lengthBytes == 2 {
            length = Int(buffer[readIndex + 2]) << 8 | Int(buffer[readIndex + 3])
            guard length >= 126 else { throw WebSocketError(.nonMinimalLength) }
        } else if lengthBytes == 8 {
            var value: UInt64 = 0
            for index in 0..<8 { value = value << 8 | UInt64(buffer[readIndex + 2 + index]) }
            guard value & (1 << 63) == 0 else { throw WebSocketError(.lengthTooLarge) }
            guard value > 0xFFFF else { throw WebSocketError(.nonMinimalLength) }
            guard value <= UInt64(configuration.maxFrameLength) else { throw WebSocketError(.messageTooBig) }
            length = Int(value)
        }
        if length > configuration.maxFrameLength { throw WebSocketError(.messageTooBig) }
        var key: (UInt8, UInt8, UInt8, UInt8)?
        if masked {
            let base = readIndex + 2 + lengthBytes
            key = (buffer[base], buffer[base + 1], buffer[base + 2], buffer[base + 3])
        }
        readIndex += headerLength
        return FrameHeader(fin: fin, rsv1: rsv1, opcode: opcode, payloadLength: length, maskingKey: key)
    }

    /// XORs with the masking key (RFC 6455 §5.3), eight bytes at a time.
    static func unmask(_ bytes: inout [UInt8], key: (UInt8, UInt8, UInt8, UInt8), offset: Int) {
        let keyBytes = [key.0, key.1, key.2, key.3]
        bytes.withUnsafeMutableBytes { raw in
            var index = 0
            let count = raw.count
            var rotated: UInt64 = 0
            for byte in 0..<8 { rotated |= UInt64(keyBytes[(offset + byte) & 3]) << (8 * byte) }
            rotated = UInt64(littleEndian: rotated)
            while index + 8 <= count {
                let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                raw.storeBytes(of: word ^ rotated, toByteOffset: index, as: UInt64.self)
                index += 8
            }
            while index < count {
                raw[index] ^= keyBytes[(offset + index) & 3]
                index += 1
            }
        }
    }

    private mutating func compact() {
        guard readIndex > 0 else { return }
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 256 * 1024)
            readIndex = 0
        } else if readIndex >= buffer.count / 2 {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
    }
}
