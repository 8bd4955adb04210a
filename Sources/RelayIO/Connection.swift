import CSystemShims
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

/// One accepted TCP socket, pinned to an event loop, and the only owner of its descriptor.
/// Read interest is registered only while the delegate wants input; writes go straight to
/// `send`, and write interest exists only after `EAGAIN`. Bounding the
/// outbound buffer is the delegate's policy: it sees `outboundByteCount` after each write.
public final class Connection: PollerClient, @unchecked Sendable {
    public let id: UInt64
    public let loop: EventLoop
    public let peer: SocketAddress

    private let fd: Int32
    private var registered = false
    private var wantsRead = false
    private var watchingRead = false
    private var watchingWrite = false
    private var outbound = OutboundBuffer()
    private var lingering = false
    private var lingerSeconds = 2.0
    private var closeWhenFlushed = false
    private var sawEOF = false
    /// When `send` last took bytes, or the buffer last became non-empty: a sweep compares it
    /// with a timeout to find clients that stopped reading.
    public private(set) var lastWriteProgress = ContinuousClock.now
    public private(set) var isClosed = false
    private var delegate: ConnectionDelegate?

    /// Takes ownership of `fd` (already non-blocking).
    public init(fd: Int32, peer: SocketAddress, id: UInt64, loop: EventLoop) {
        self.fd = fd
        self.peer = peer
        self.id = id
        self.loop = loop
        SocketOptions.setNoDelay(fd)
    }

    /// Bytes queued but not yet taken by the kernel.
    public var outboundByteCount: Int { outbound.count }

    private var lastKernelQueued = 0

    /// Whether output is still waiting, here or (when asked) in the kernel's send queue.
    /// Counts the kernel queue shrinking as progress: epoll reports a socket writable only
    /// once half its send buffer is free, so a client reading steadily but slowly can leave
    /// `send` without progress for seconds.
    public func hasUnsentOutput(checkingKernelQueue: Bool) -> Bool {
        guard !isClosed else { return false }
        guard checkingKernelQueue || !outbound.isEmpty else { return false }
        let queued = Int(relayd_unsent_bytes(fd))
        if queued != lastKernelQueued {
            if queued < lastKernelQueued { lastWriteProgress = .now }
            lastKernelQueued = queued
        }
        return !outbound.isEmpty || queued > 0
    }

    /// Starts delivering events to `delegate`. Call on the loop.
    public func start(delegate: ConnectionDelegate) {
        guard !isClosed else { return }
        self.delegate = delegate
        wantsRead = true
        watchingRead = true
        registered = true
        loop.poller.register(fd, client: self, read: true, write: false)
    }

    /// Hands the connection to another protocol (an HTTP upgrade). Call on the loop.
    public func replaceDelegate(_ delegate: ConnectionDelegate) {
        guard !isClosed else { return }
        self.delegate = delegate
    }

    /// Whether input is wanted. The delegate turns it off while it cannot take more
    /// (a response is pending, the outbound buffer is full).
    public func setReading(_ enabled: Bool) {
        wantsRead = enabled
        updateInterest()
    }

    /// Read interest: while the delegate wants input, and while lingering (to see the peer's FIN).
    private func updateInterest() {
        guard registered, !isClosed else { return }
        let read = wantsRead || lingering
        guard read != watchingRead else { return }
        watchingRead = read
        loop.poller.update(fd, read: read, write: watchingWrite)
    }

    // MARK: Writing

    /// Queues bytes; they are sent at the next `flush()`.
    public func write(_ bytes: some Collection<UInt8>) {
        guard !isClosed, !closeWhenFlushed else { return }
        if outbound.isEmpty { lastWriteProgress = .now }
        outbound.append(bytes)
    }

    /// Encodes straight into the outbound buffer.
    public func write(encoding body: (inout [UInt8]) -> Void) {
        guard !isClosed, !closeWhenFlushed else { return }
        if outbound.isEmpty { lastWriteProgress = .now }
        outbound.withAppendable(body)
    }

    /// Whether a flush is already due at the end of this loop turn.
    private var flushScheduled = false

    /// Flushes once at the end of the loop's current turn, however many writes come before:
    /// messages produced in one turn (a burst of chunks from one read of a provider) leave in
    /// one `send` instead of one each, and none waits beyond the turn. `afterFlush` runs then,
    /// if the connection is still open (the writer checks its backlog there).
    public func flushAtEndOfTurn(_ afterFlush: @escaping () -> Void = {}) {
        guard !flushScheduled else { return }
        flushScheduled = true
        loop.atEndOfTurn { [self] in
            flushScheduled = false
            guard !isClosed else { return }
            flush()
            afterFlush()
        }
    }

    /// Hands queued bytes to the kernel now; what it cannot take waits for writability.
    public func flush() {
        guard !isClosed, !watchingWrite else { return }
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
            if sent > 0 { lastWriteProgress = .now }
            if failure == EINTR { continue }
            if failure == EAGAIN || failure == EWOULDBLOCK || (failure == 0 && sent == 0) {
                setWatchingWrite(true)
                return
            }
            if failure != 0 {
                close() // EPIPE, ECONNRESET: the peer is gone
                return
            }
        }
        if closeWhenFlushed, !lingering { startLingering() }
    }

    private func setWatchingWrite(_ watching: Bool) {
        guard watching != watchingWrite, registered, !isClosed else { return }
        watchingWrite = watching
        loop.poller.update(fd, read: watchingRead, write: watching)
    }

    func pollerWritable() {
        guard !isClosed else { return }
        drainOutbound()
        guard outbound.isEmpty, !isClosed else { return }
        setWatchingWrite(false)
        delegate?.connectionDidDrainOutbound(self)
    }

    // MARK: Closing

    /// Sends what is queued, then half-closes and discards input until the peer closes (or
    /// `linger` seconds pass). Closing at once with unread input would make the kernel send
    /// RST and the peer could lose the response we just wrote (the "lingering close").
    public func closeAfterFlush(linger: Double = 2) {
        guard !isClosed, !closeWhenFlushed else { return }
        closeWhenFlushed = true
        lingerSeconds = linger
        loop.schedule(after: linger + 30) { [weak self] in self?.close() } // a peer that never reads
        if outbound.isEmpty {
            startLingering()
        } else {
            flush()
        }
    }

    private func startLingering() {
        lingering = true
        shutdown(fd, Int32(SHUT_WR))
        updateInterest()
        loop.schedule(after: lingerSeconds) { [weak self] in self?.close() }
    }

    /// Closes the socket now. Idempotent.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        outbound.removeAll()
        if registered { loop.poller.unregister(fd) }
        SocketOptions.closeDescriptor(fd)
        let delegate = self.delegate
        self.delegate = nil
        delegate?.connectionDidClose(self)
    }

    // MARK: Reading

    func pollerReadable() {
        guard !isClosed else { return }
        let buffer = loop.readBuffer
        let count = read(fd, buffer.baseAddress, buffer.count)
        if count > 0 {
            if lingering { return }
            delegate?.connection(self, didRead: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        } else if count == 0 {
            // A second EOF means epoll is reporting HUP/ERR (the peer reset after its FIN):
            // those fire even without read interest, and would spin if not acted on.
            if lingering || sawEOF {
                close()
                return
            }
            sawEOF = true
            // Level-triggered: stop watching, or EOF is reported forever.
            wantsRead = false
            updateInterest()
            delegate?.connectionDidReadEOF(self)
        } else if errno != EAGAIN, errno != EWOULDBLOCK, errno != EINTR {
            close()
        }
    }
}
