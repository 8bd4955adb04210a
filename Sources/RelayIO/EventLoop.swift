import Dispatch
import Synchronization

/// A serial Dispatch queue that owns a set of connections for their whole life, so their
/// state needs no locks. Work from elsewhere reaches it with `execute`.
public final class EventLoop: @unchecked Sendable {
    public let queue: DispatchQueue
    public let index: Int
    /// Read buffer shared by every connection of this loop: reads happen one at a time on the
    /// queue, and the bytes are handed to the parser (which copies what it keeps) before the
    /// next read. Touched only on `queue`.
    let readBuffer: UnsafeMutableRawBufferPointer
    /// Readiness of this loop's sockets.
    let poller: Poller

    private static let key = DispatchSpecificKey<Int>()

    public init(index: Int, readBufferSize: Int = 64 * 1024) {
        self.index = index
        queue = DispatchQueue(label: "relayd.loop.\(index)")
        queue.setSpecific(key: Self.key, value: index + 1)
        readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: readBufferSize, alignment: 16)
        poller = Poller(queue: queue)
        poller.onBatchStart = { [weak self] in self?.inPollerBatch = true }
        poller.onBatchEnd = { [weak self] in self?.runEndOfTurnActions() }
    }

    /// Whether the loop is handling a batch of socket events right now. Touched on `queue`.
    private var inPollerBatch = false
    private var endOfTurnActions: [() -> Void] = []

    /// Runs `action` once the current batch of socket events has been handled (or soon, when
    /// called outside one). Writers use it to coalesce: every message produced while handling
    /// one batch leaves in one `send` per connection, with no extra queue hop. Call on the loop.
    public func atEndOfTurn(_ action: @escaping () -> Void) {
        if inPollerBatch {
            endOfTurnActions.append(action)
        } else {
            let wrapped = UncheckedSendable(action)
            queue.async { wrapped.value() }
        }
    }

    private func runEndOfTurnActions() {
        inPollerBatch = false
        while !endOfTurnActions.isEmpty {
            let actions = endOfTurnActions
            endOfTurnActions = []
            for action in actions { action() }
        }
    }

    deinit { readBuffer.deallocate() }

    /// Whether the caller is running on this loop's queue.
    public var inEventLoop: Bool { DispatchQueue.getSpecific(key: Self.key) == index + 1 }

    /// Runs `work` on the loop: inline when already there, otherwise queued.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        if inEventLoop { work() } else { queue.async(execute: work) }
    }

    /// Queues `work` on the loop even when called from it (to unwind the current call first).
    public func enqueue(_ work: @escaping @Sendable () -> Void) {
        queue.async(execute: work)
    }

    public func schedule(after seconds: Double, _ work: @escaping @Sendable () -> Void) {
        queue.asyncAfter(deadline: .now() + seconds, execute: work)
    }

    /// A repeating timer on the loop's queue; cancel the returned source to stop it.
    public func scheduleRepeating(every seconds: Double, _ work: @escaping @Sendable () -> Void) -> DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let interval = DispatchTimeInterval.nanoseconds(Int(seconds * 1e9))
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(10))
        timer.setEventHandler(handler: work)
        timer.resume()
        return timer
    }
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
}

/// Carries a loop-confined closure through `queue.async` (it runs on the same loop).
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
