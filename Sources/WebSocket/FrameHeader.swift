/// The fixed part of a frame (RFC 6455 §5.2).
public struct FrameHeader: Sendable, Equatable {
    public var fin: Bool
    public var rsv1: Bool
    public var rsv2: Bool
    public var rsv3: Bool
    public var opcode: Opcode
    public var payloadLength: Int
    /// The client's masking key, in wire order; nil for unmasked (server) frames.
    public var maskingKey: (UInt8, UInt8, UInt8, UInt8)?

    public init(fin: Bool = true, rsv1: Bool = false, rsv2: Bool = false, rsv3: Bool = false,
                opcode: Opcode, payloadLength: Int, maskingKey: (UInt8, UInt8, UInt8, UInt8)? = nil) {
        self.fin = fin
        self.rsv1 = rsv1
        self.rsv2 = rsv2
        self.rsv3 = rsv3
        self.opcode = opcode
        self.payloadLength = payloadLength
        self.maskingKey = maskingKey
    }

    public static func == (a: FrameHeader, b: FrameHeader) -> Bool {
        a.fin == b.fin && a.rsv1 == b.rsv1 && a.rsv2 == b.rsv2 && a.rsv3 == b.rsv3 && a.opcode == b.opcode
            && a.payloadLength == b.payloadLength && a.maskingKey.map { [$0.0, $0.1, $0.2, $0.3] } == b.maskingKey.map { [$0.0, $0.1, $0.2, $0.3] }
    }
}
