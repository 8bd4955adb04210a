import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a connection reports to the protocol code that drives it. Called on the
/// connection's loop.
public protocol ConnectionDelegate: AnyObject {
    /// Bytes arrived. They are valid only during the call.
    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer)
    /// The peer will send nothing more (it may still read).
    func connectionDidReadEOF(_ connection: Connection)
    /// Everything queued has been handed to the kernel after a wait for the socket to drain.
    func connectionDidDrainOutbound(_ connection: Connection)
    /// The socket is closed; the delegate is released after this.
    func connectionDidClose(_ connection: Connection)
}

/// One accepted TCP socket, pinned to an event loop. The only owner of its file descriptor:
/// reads run from a Dispatch read source that is resumed only while the delegate wants
/// input; writes go straight to `send` and a write source exists only after `EAGAIN`
/// (STYLE.md §4). Bounding the outbound buffer is the delegate's policy: it sees
/// `outboundByteCount` after each write.
public final class Connection: @unchecked Sendable {
    public let id: UInt64
    public let loop: EventLoop
    public let peer: SocketAddress

    private let fd: Int32
    private let readSource: DispatchSourceRead
    private var readSourceSuspended = true // created inactive
    private var wantsRead = false
    private var writeSource: DispatchSourceWrite?
    private var writeSourceSuspended = true
    private var outbound = OutboundBuffer()
    private var lingering = false
    private var closeWhenFlushed = false
    public private(set) var isClosed = false
    private var delegate: ConnectionDelegate?

    /// Takes ownership of `fd` (already non-blocking).
    public init(fd: Int32, peer: SocketAddress, id: UInt64, loop: EventLoop) {
        self.fd = fd
        self.peer = peer
        self.id = id
        self.loop = loop
        readSource = DispatchSource.makeReadSource(fileDescriptor: fd, queue: loop.queue)
        SocketOptions.setNoDelay(fd)
    }

    /// Bytes queued but not yet taken by the kernel.
    public var outboundByteCount: Int { outbound.count }

    /// Starts delivering events to `delegate`. Call on the loop.
    public func start(delegate: ConnectionDelegate) {
        self.delegate = delegate
        readSource.setEventHandler { [unowned self] in self.readable() }
        readSource.setCancelHandler { [fd] in
            SocketOptions.closeDescriptor(fd)
        }
        setReading(true)
    }

    /// Whether the read source runs. The delegate turns it off while it cannot take more
    /// input (a response is pending, the outbound buffer is full).
    public func setReading(_ enabled: Bool) {
        wantsRead = enabled
        guard !isClosed else { return }
        let run = enabled || lingering
        if run, readSourceSuspended {
            readSourceSuspended = false
            readSource.resume()
        } else if !run, !readSourceSuspended {
            readSourceSuspended = true
            readSource.suspend()
        }
    }

    // MARK: Writing

    /// Queues bytes; they are sent at the next `flush()`.
    public func write(_ bytes: some Collection<UInt8>) {
        guard !isClosed, !closeWhenFlushed else { return }
        outbound.append(bytes)
    }

    /// Encodes straight into the outbound buffer.
    public func write(encoding body: (inout [UInt8]) -> Void) {
        guard !isClosed, !closeWhenFlushed else { return }
        outbound.withAppendable(body)
    }

    /// Hands queued bytes to the kernel now; what it cannot take waits for a write source.
    public func flush() {
        guard !isClosed, writeSourceSuspended || writeSource == nil else { return }
        drainOutbound()
    }

    private func drainOutbound() {
        while !outbound.isEmpty {
            var failure: Int32 = 0
            let sent = outbound.send { pending in
                let result = send(fd, pending.baseAddress, pending.count, Int32(MSG_NOSIGNAL))
                if result < 0 { failure = errno }
                return max(result, 0)
            }
            if failure == EINTR { continue }
            if failure == EAGAIN || failure == EWOULDBLOCK || (failure == 0 && !outbound.isEmpty && sent == 0) {
                armWriteSource()
                return
            }
            if failure != 0 {
                close() // EPIPE, ECONNRESET: the peer is gone
                return
            }
        }
        outboundDrained()
    }

    private func armWriteSource() {
        if writeSource == nil {
            let source = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: loop.queue)
            source.setEventHandler { [unowned self] in self.writable() }
            writeSource = source
        }
        if writeSourceSuspended {
            writeSourceSuspended = false
            writeSource!.resume()
        }
    }

    private func writable() {
        guard !isClosed else { return }
        drainOutbound()
        if outbound.isEmpty, !isClosed {
            if !writeSourceSuspended {
                writeSourceSuspended = true
                writeSource?.suspend()
            }
            delegate?.connectionDidDrainOutbound(self)
        }
    }

    private func outboundDrained() {
        guard closeWhenFlushed, !lingering else { return }
        startLingering()
    }

    // MARK: Closing

    /// Sends what is queued, then half-closes and discards input until the peer closes (or
    /// `linger` seconds pass). Closing at once with unread input would make the kernel send
    /// RST and the peer could lose the response we just wrote (the "lingering close").
    public func closeAfterFlush(linger: Double = 2) {
        guard !isClosed, !closeWhenFlushed else { return }
        closeWhenFlushed = true
        loop.schedule(after: linger + 30) { [weak self] in self?.close() } // a peer that never reads
        if outbound.isEmpty, writeSourceSuspended || writeSource == nil {
            startLingering(linger)
        } else {
            flush()
        }
    }

    private func startLingering(_ seconds: Double = 2) {
        lingering = true
        shutdown(fd, Int32(SHUT_WR))
        setReading(wantsRead)
        loop.schedule(after: seconds) { [weak self] in self?.close() }
    }

    /// Closes the socket now. Idempotent.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        outbound.removeAll()
        if let writeSource {
            writeSource.setEventHandler(handler: nil)
            if writeSourceSuspended { writeSource.resume() }
            writeSource.cancel()
        }
        writeSource = nil
        // The read source's cancel handler closes the fd. libdispatch requires the fd to stay
        // open until every source on it is cancelled; the write source was cancelled first on
        // the same serial queue.
        readSource.setEventHandler(handler: nil)
        if readSourceSuspended {
            readSourceSuspended = false
            readSource.resume()
        }
        readSource.cancel()
        let delegate = self.delegate
        self.delegate = nil
        delegate?.connectionDidClose(self)
    }

    // MARK: Reading

    private func readable() {
        guard !isClosed else { return }
        let buffer = loop.readBuffer
        let count = read(fd, buffer.baseAddress, buffer.count)
        if count > 0 {
            if lingering { return }
            delegate?.connection(self, didRead: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        } else if count == 0 {
            if lingering {
                close()
                return
            }
            // Level-triggered: stop reading or the source fires forever on EOF.
            wantsRead = false
            if !readSourceSuspended {
                readSourceSuspended = true
                readSource.suspend()
            }
            delegate?.connectionDidReadEOF(self)
        } else if errno != EAGAIN, errno != EWOULDBLOCK, errno != EINTR {
            close()
        }
    }
}
