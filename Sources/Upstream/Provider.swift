/// A model provider: turns a chat into a stream of events. Implementations call `emit` on
/// the loop `schedule` runs on, and stop emitting once `cancel` is called.
public protocol Provider: Sendable {
    var name: String { get }
    var models: [String] { get }
    var defaultModel: String { get }

    func stream(_ request: ChatRequest, model: String, context: ProviderContext,
                emit: @escaping @Sendable (ProviderEvent) -> Void) -> ChatCancellation
}

/// What a provider may use from its caller: a timer on the caller's event loop.
public struct ProviderContext: Sendable {
    /// Runs the closure after `seconds` on the caller's loop.
    public var schedule: @Sendable (_ seconds: Double, _ work: @escaping @Sendable () -> Void) -> Void

    public init(schedule: @escaping @Sendable (Double, @escaping @Sendable () -> Void) -> Void) {
        self.schedule = schedule
    }
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
