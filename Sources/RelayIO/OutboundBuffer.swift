/// Bytes accepted for sending but not yet taken by the kernel: one contiguous array with a
/// read index, so a partial `send` costs no copying and appends are amortised O(1).
/// The owner bounds it; this type only counts.
struct OutboundBuffer {
    private(set) var bytes: [UInt8] = []
    private var start = 0

    var count: Int { bytes.count - start }
    var isEmpty: Bool { start == bytes.count }

    mutating func append(_ data: some Collection<UInt8>) {
        if start > 0, start >= bytes.count / 2 { compact() }
        bytes.append(contentsOf: data)
    }

    mutating func append(_ data: UnsafeRawBufferPointer) {
        if start > 0, start >= bytes.count / 2 { compact() }
        bytes.append(contentsOf: data)
    }

    /// Lets a caller encode straight into the buffer (no intermediate array).
    mutating func withAppendable<T>(_ body: (inout [UInt8]) -> T) -> T {
        if start > 0, start >= bytes.count / 2 { compact() }
        return body(&bytes)
    }

    /// Calls `body` with the unsent bytes; it returns how many were sent.
    mutating func send(_ body: (UnsafeRawBufferPointer) -> Int) -> Int {
        let sent = bytes.withUnsafeBytes { all in body(UnsafeRawBufferPointer(rebasing: all[start...])) }
        if sent > 0 {
            start += sent
            if start == bytes.count {
                // Keep a modest allocation for the next response; drop a large one.
                if bytes.capacity > 256 * 1024 { bytes = [] } else { bytes.removeAll(keepingCapacity: true) }
                start = 0
            }
        }
        return sent
    }

    mutating func removeAll() {
        bytes = []
        start = 0
    }

    private mutating func compact() {
        bytes.removeFirst(start)
        start = 0
    }
}
