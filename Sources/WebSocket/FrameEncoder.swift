/// Encodes frames (RFC 6455 §5.2). Server frames are unmasked; tests and clients pass a key.
public enum FrameEncoder {
    public static func append(
        opcode: Opcode, payload: UnsafeRawBufferPointer, fin: Bool = true, rsv1: Bool = false,
        maskingKey: (UInt8, UInt8, UInt8, UInt8)? = nil, to output: inout [UInt8]
    ) {
        output.append((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode.rawValue)
        let maskBit: UInt8 = maskingKey == nil ? 0 : 0x80
        let length = payload.count
        if length < 126 {
            output.append(maskBit | UInt8(length))
        } else if length <= 0xFFFF {
            output.append(maskBit | 126)
            output.append(UInt8(length >> 8))
            output.append(UInt8(length & 0xFF))
        } else {
            output.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) { output.append(UInt8((length >> shift) & 0xFF)) }
        }
        if let key = maskingKey {
            output.append(contentsOf: [key.0, key.1, key.2, key.3])
            let start = output.count
            output.append(contentsOf: payload)
            var masked = Array(output[start...])
            FrameParser.unmask(&masked, key: key, offset: 0)
            output.replaceSubrange(start..., with: masked)
        } else {
            output.append(contentsOf: payload)
        }
    }

    public static func append(
        opcode: Opcode, payload: [UInt8], fin: Bool = true, rsv1: Bool = false,
        maskingKey: (UInt8, UInt8, UInt8, UInt8)? = nil, to output: inout [UInt8]
    ) {
        payload.withUnsafeBytes { append(opcode: opcode, payload: $0, fin: fin, rsv1: rsv1, maskingKey: maskingKey, to: &output) }
    }

    public static func frame(
        opcode: Opcode, payload: [UInt8], fin: Bool = true, rsv1: Bool = false,
        maskingKey: (UInt8, UInt8, UInt8, UInt8)? = nil
    ) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(payload.count + 14)
        append(opcode: opcode, payload: payload, fin: fin, rsv1: rsv1, maskingKey: maskingKey, to: &output)
        return output
    }

    /// A close frame's payload: the code, then a reason cut to fit 125 bytes on a UTF-8 boundary.
    public static func closePayload(_ code: CloseCode, reason: String = "") -> [UInt8] {
        var payload: [UInt8] = [UInt8(code.rawValue >> 8), UInt8(code.rawValue & 0xFF)]
        var reasonBytes = Array(reason.utf8.prefix(123))
        // A cut inside a code point leaves at most 3 bytes of it: drop until the rest is valid.
        while !reasonBytes.isEmpty {
            var validator = UTF8Validator()
            if validator.validate(reasonBytes), validator.isComplete { break }
            reasonBytes.removeLast()
        }
        payload += reasonBytes
        return payload
    }
}
