import RelayIO

/// A model provider: turns a chat into a stream of events. Implementations call `emit` on
/// the loop `schedule` runs on, and stop emitting once `cancel` is called.
public protocol Provider: Sendable {
    var name: String { get }
    /// The models to list; `allows(model:)` decides what a client may ask for.
    var models: [String] { get }
    var defaultModel: String { get }
    func allows(model: String) -> Bool

    func stream(_ request: ChatRequest, model: String, context: ProviderContext,
                emit: @escaping @Sendable (ProviderEvent) -> Void) -> ChatCancellation
}

extension Provider {
    public func allows(model: String) -> Bool { models.contains(model) }
}

/// What a provider may use from its caller: the caller's event loop (for upstream I/O) and
/// a timer on it.
public struct ProviderContext: Sendable {
    /// Runs the closure after `seconds` on the caller's loop.
    public var schedule: @Sendable (_ seconds: Double, _ work: @escaping @Sendable () -> Void) -> Void
    public var loop: EventLoop?
    /// Told of retries and fallbacks as they happen (for metrics); Upstream itself keeps none.
    public var observe: (@Sendable (ProviderObservation) -> Void)?

    public init(schedule: @escaping @Sendable (Double, @escaping @Sendable () -> Void) -> Void) {
        self.schedule = schedule
    }

    public init(loop: EventLoop) {
        self.loop = loop
        schedule = { seconds, work in loop.schedule(after: seconds, work) }
    }
}

/// What a provider did on its way to an answer, besides the answer.
public enum ProviderObservation: Sendable {
    /// `provider` is trying again after a retryable failure (attempt 2, 3, …).
    case retry(provider: String, attempt: Int)
    /// `provider` failed before any chunk and its fallback `to` takes over.
    case fallback(provider: String, to: String)
}

/// Stops a running chat. Idempotent; callable from any thread.
public final class ChatCancellation: @unchecked Sendable {
    private let lock = Lock()
    private var cancelled = false
    private var onCancel: (@Sendable () -> Void)?

    public init(onCancel: (@Sendable () -> Void)? = nil) { self.onCancel = onCancel }

    public var isCancelled: Bool { lock.withLock { cancelled } }

    public func cancel() {
        let handler: (@Sendable () -> Void)? = lock.withLock {
            guard !cancelled else { return nil }
            cancelled = true
            defer { onCancel = nil }
            return onCancel
        }
        handler?()
    }
}
