import CSystemShims
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One thread that owns a set of connections for their whole life, so their state needs no
/// locks: it waits in `epoll_wait` for its sockets, its timers and work posted from other
/// threads (`execute`), and runs all three itself.
///
/// Why a thread of its own rather than a serial Dispatch queue woken by a Dispatch source on
/// the epoll descriptor (the first design): libdispatch watches sources from its manager
/// thread and hands each wake-up to a worker thread, and runs `asyncAfter` timers the same
/// way. Relaying 100 paced streams that was 45% of relayd's CPU in context switches (123 µs
/// per chunk); here a ready socket wakes the thread that handles it, once.
public final class EventLoop: @unchecked Sendable {
    public let index: Int
    /// Read buffer shared by every connection of this loop: reads happen one at a time on the
    /// loop, and the bytes are handed to the parser (which copies what it keeps) before the
    /// next read.
    let readBuffer: UnsafeMutableRawBufferPointer
    /// Readiness of this loop's sockets.
    let poller: Poller
    /// Work posted from other threads; `wake` is written when the list stops being empty.
    private let posted = Mutex<[@Sendable () -> Void]>([])
    private let wake: Int32
    private let threadID = Atomic<UInt>(0)
    private let stopped = Atomic<Bool>(false)
    /// Loop-confined below.
    private var timers = TimerHeap()
    private var inTurn = false
    private var endOfTurnActions: [() -> Void] = []

    public init(index: Int, readBufferSize: Int = 64 * 1024) {
        self.index = index
        readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: readBufferSize, alignment: 16)
        poller = Poller()
        wake = relayd_wake_descriptor()
        precondition(wake >= 0, "eventfd failed: errno \(errno)")
        poller.register(wake, client: WakeReader(fd: wake), read: true, write: false)
        Self.startThread(named: "relayd-loop-\(index)") { [self] in run() }
    }

    deinit { readBuffer.deallocate() }

    /// Ends the loop's thread after its current turn (tests and shutdown). Sockets still
    /// registered are left as they are.
    public func stop() {
        stopped.store(true, ordering: .releasing)
        signalWake()
    }

    /// Whether the caller is running on this loop's thread.
    public var inEventLoop: Bool { threadID.load(ordering: .acquiring) == UInt(pthread_self()) }

    /// Runs `work` on the loop: inline when already there, otherwise posted.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        if inEventLoop { work() } else { enqueue(work) }
    }

    /// Posts `work` even when called on the loop (to unwind the current call first).
    public func enqueue(_ work: @escaping @Sendable () -> Void) {
        let wasEmpty = posted.withLock { list in
            list.append(work)
            return list.count == 1
        }
        if wasEmpty { signalWake() }
    }

    public func schedule(after seconds: Double, _ work: @escaping @Sendable () -> Void) {
        let deadline = Self.now() + UInt64(max(0, seconds) * 1e9)
        if inEventLoop {
            timers.insert(deadline: deadline, work)
        } else {
            enqueue { [self] in timers.insert(deadline: deadline, work) }
        }
    }

    /// A repeating timer on the loop; `cancel()` the result to stop it.
    public func scheduleRepeating(every seconds: Double, _ work: @escaping @Sendable () -> Void) -> RepeatingTimer {
        let timer = RepeatingTimer()
        @Sendable func fire() {
            guard !timer.isCancelled else { return }
            work()
            schedule(after: seconds, fire)
        }
        schedule(after: seconds, fire)
        return timer
    }

    /// Runs `action` once the current turn's work is done: after the batch of socket events,
    /// timers or posted work being handled. Writers use it to coalesce: every message
    /// produced in one turn leaves in one `send` per connection. Call on the loop.
    public func atEndOfTurn(_ action: @escaping () -> Void) {
        if inTurn {
            endOfTurnActions.append(action)
        } else {
            action()
        }
    }

    // MARK: The loop

    private func run() {
        threadID.store(UInt(pthread_self()), ordering: .releasing)
        poller.onBatchStart = { [unowned self] in inTurn = true }
        poller.onBatchEnd = { [unowned self] in endTurn() }
        while !stopped.load(ordering: .acquiring) {
            let timeout = posted.withLock { $0.isEmpty } ? timers.millisecondsUntilNext(now: Self.now()) : 0
            poller.poll(timeout: timeout)
            runDueTimers()
            runPosted()
        }
    }

    private func endTurn() {
        inTurn = false
        while !endOfTurnActions.isEmpty {
            let actions = endOfTurnActions
            endOfTurnActions = []
            for action in actions { action() }
        }
    }

    private func runDueTimers() {
        let now = Self.now()
        guard timers.hasDue(now: now) else { return }
        inTurn = true
        while let work = timers.popDue(now: now) { work() }
        endTurn()
    }

    private func runPosted() {
        let work = posted.withLock { list -> [@Sendable () -> Void] in
            defer { list.removeAll(keepingCapacity: true) }
            return list
        }
        guard !work.isEmpty else { return }
        inTurn = true
        for item in work { item() }
        endTurn()
    }

    private func signalWake() {
        var one: UInt64 = 1
        _ = write(wake, &one, 8)
    }

    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    private final class ThreadBody {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    private static func startThread(named name: String, _ body: @escaping () -> Void) {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(ThreadBody {
            relayd_name_current_thread(String(name.prefix(15)))
            body()
        }).toOpaque()
        let result = pthread_create(&thread, nil, { context in
            let body = Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue()
            body.body()
            return nil
        }, context)
        precondition(result == 0, "pthread_create failed: \(result)")
        pthread_detach(thread)
    }
}

/// Empties the loop's eventfd when a post woke it (the work itself runs after the poll).
private final class WakeReader: PollerClient {
    let fd: Int32
    init(fd: Int32) { self.fd = fd }
    func pollerReadable() {
        var value: UInt64 = 0
        _ = read(fd, &value, 8)
    }
    func pollerWritable() {}
}

/// Stops a `scheduleRepeating` timer; safe from any thread.
public final class RepeatingTimer: Sendable {
    private let cancelled = Atomic<Bool>(false)
    public init() {}
    public var isCancelled: Bool { cancelled.load(ordering: .acquiring) }
    public func cancel() { cancelled.store(true, ordering: .releasing) }
}

/// A fixed set of event loops; new connections are spread over them round-robin.
public final class EventLoopGroup: Sendable {
    public let loops: [EventLoop]
    private let nextIndex = Atomic<Int>(0)

    public init(loopCount: Int = CPUCount.usable) {
        loops = (0..<max(1, loopCount)).map { EventLoop(index: $0) }
    }

    public func next() -> EventLoop {
        let index = nextIndex.add(1, ordering: .relaxed).oldValue
        return loops[index % loops.count]
    }

    /// Ends every loop's thread.
    public func stop() { loops.forEach { $0.stop() } }
}
