import Synchronization

/// A tiny lock for state touched from more than one thread.
final class Lock: Sendable {
    private let mutex = Mutex<Void>(())
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        try mutex.withLock { _ in try body() }
    }
}
