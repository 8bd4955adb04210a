/// Inflaters and deflaters lent per message. With no context takeover (see
/// `PermessageDeflate`) a codec is only busy while one message is being (de)compressed, so
/// an event loop needs about one of each however many connections it serves. Confined to
/// one event loop: not thread-safe.
public final class CodecPool {
    private var inflaters: [Inflater] = []
    private var deflaters: [Int: [Deflater]] = [:]
    /// Codecs kept for reuse; more than this are freed when returned.
    public let capacity: Int

    public init(capacity: Int = 4) { self.capacity = capacity }

    public func takeInflater() -> Inflater { inflaters.popLast() ?? Inflater() }

    public func give(_ inflater: Inflater) {
        inflater.reset()
        if inflaters.count < capacity { inflaters.append(inflater) }
    }

    /// Compresses one message with a deflater of that window size.
    public func compress(_ message: UnsafeRawBufferPointer, windowBits: Int) -> [UInt8] {
        let deflater = deflaters[windowBits]?.popLast() ?? Deflater(windowBits: windowBits)
        let output = deflater.compress(message)
        deflater.reset()
        if deflaters[windowBits, default: []].count < capacity { deflaters[windowBits, default: []].append(deflater) }
        return output
    }
}
