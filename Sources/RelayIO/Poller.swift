import CSystemShims
#if canImport(Glibc)
import Glibc
#endif

/// Something the poller delivers readiness to. Called on the loop's thread.
protocol PollerClient: AnyObject {
    func pollerReadable()
    func pollerWritable()
}

/// One epoll instance per event loop; the loop's thread waits in `poll`, which hands every
/// ready socket to its client, a batch at a time.
///
/// Interest follows two rules: read interest only while the connection wants input, write
/// interest only after `EAGAIN`. Level-triggered, so a connection that reads less than is
/// available is simply told again.
final class Poller: @unchecked Sendable {
    private let epollFD: Int32
    /// Clients by file descriptor; the generation in the event token guards against a
    /// descriptor number that was closed and reused within one batch.
    private var clients: [(client: PollerClient, generation: UInt32)?] = []
    private var nextGeneration: UInt32 = 1
    private var events: UnsafeMutablePointer<epoll_event>
    /// Events handled per batch: enough to coalesce a busy connection's output, few enough
    /// that the first socket's output does not wait long for the rest (about 20 µs each).
    private let maxEvents: Int32 = 32
    /// Called around each batch's handling (set by the owning loop).
    var onBatchStart: () -> Void = {}
    var onBatchEnd: () -> Void = {}

    init() {
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epollFD >= 0, "epoll_create1 failed: errno \(errno)")
        events = .allocate(capacity: Int(maxEvents))
    }

    deinit {
        events.deallocate()
        close(epollFD)
    }

    /// Registers `fd` with the given interest. Call on the loop.
    func register(_ fd: Int32, client: PollerClient, read: Bool, write: Bool) {
        let index = Int(fd)
        if clients.count <= index { clients += Array(repeating: nil, count: max(index + 1 - clients.count, clients.count)) }
        let generation = nextGeneration
        nextGeneration &+= 1
        clients[index] = (client, generation)
        var event = Self.event(fd: fd, generation: generation, read: read, write: write)
        epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event)
    }

    /// Changes what `fd` is watched for. Call on the loop.
    func update(_ fd: Int32, read: Bool, write: Bool) {
        guard Int(fd) < clients.count, let entry = clients[Int(fd)] else { return }
        var event = Self.event(fd: fd, generation: entry.generation, read: read, write: write)
        epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event)
    }

    /// Forgets `fd`; call before closing it.
    func unregister(_ fd: Int32) {
        guard Int(fd) < clients.count else { return }
        clients[Int(fd)] = nil
        epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
    }

    private static func event(fd: Int32, generation: UInt32, read: Bool, write: Bool) -> epoll_event {
        var event = epoll_event()
        var mask: UInt32 = 0
        if read { mask |= EPOLLIN.rawValue | EPOLLRDHUP.rawValue }
        if write { mask |= EPOLLOUT.rawValue }
        event.events = mask
        event.data.u64 = UInt64(generation) << 32 | UInt64(UInt32(bitPattern: fd))
        return event
    }

    /// Waits up to `timeout` ms (-1: until something is ready) and handles one batch of at
    /// most `maxEvents` ready sockets, each given one read (at most the loop's read buffer)
    /// and one write. One batch and no more: the loop runs its due timers and posted work
    /// between batches, so busy sockets cannot starve them (when this went on while batches
    /// came back full, 32 busy sockets froze every timer of their loop: timeouts, pings,
    /// upstream deadlines). Sockets left ready are reported again by the next wait
    /// (level-triggered), and epoll hands them out round-robin.
    func poll(timeout: Int32) {
        let count = epoll_wait(epollFD, events, maxEvents, timeout)
        if count <= 0 { return } // nothing, or EINTR: the loop comes back
        onBatchStart()
        defer { onBatchEnd() }
        for index in 0..<Int(count) {
            let event = events[index]
            let fd = Int(UInt32(truncatingIfNeeded: event.data.u64))
            let generation = UInt32(truncatingIfNeeded: event.data.u64 >> 32)
            guard fd < clients.count, let entry = clients[fd], entry.generation == generation else { continue }
            let mask = event.events
            if mask & (EPOLLOUT.rawValue) != 0 { entry.client.pollerWritable() }
            if mask & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
                // The client may have closed in pollerWritable; re-check.
                guard let again = clients[fd], again.generation == generation else { continue }
                again.client.pollerReadable()
            }
        }
    }
}
