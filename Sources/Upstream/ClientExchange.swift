import HTTP1

/// One request/response on an upstream connection, as the caller sees it. Callbacks run on
/// the connection's loop; after `onEnd` or `onError` none is called again, and once the
/// exchange is over (ended, failed or cancelled) it lets them go: they capture what the
/// caller feeds (a provider's decoder, a chat's stream), often the exchange itself, and a
/// timer or a pooled connection may hold the exchange a while longer.
public final class ClientExchange: @unchecked Sendable {
    public var onHead: (ReceivedResponseHead) -> Void = { _ in }
    public var onBody: ([UInt8]) -> Void = { _ in }
    public var onEnd: () -> Void = {}
    public var onError: (ProviderError) -> Void = { _ in }

    /// Set by the client: closes the connection (the provider stops generating).
    var cancelAction: (() -> Void)?
    private(set) var finished = false

    public init() {}

    /// Abandons the exchange and closes its connection; safe to call more than once.
    public func cancel() {
        guard !finished else { return }
        finished = true
        cancelAction?()
        cancelAction = nil
        releaseCallbacks()
    }

    /// Abandons the exchange and reports `error` to `onError` (a deadline passed).
    func cancel(reporting error: ProviderError) {
        guard !finished else { return }
        let onError = self.onError
        cancel()
        onError(error)
    }

    func deliverHead(_ head: ReceivedResponseHead) { if !finished { onHead(head) } }
    func deliverBody(_ bytes: [UInt8]) { if !finished { onBody(bytes) } }

    func deliverEnd() {
        guard !finished else { return }
        finished = true
        cancelAction = nil
        let onEnd = self.onEnd
        releaseCallbacks()
        onEnd()
    }

    func deliverError(_ error: ProviderError) {
        guard !finished else { return }
        finished = true
        cancelAction = nil
        let onError = self.onError
        releaseCallbacks()
        onError(error)
    }

    private func releaseCallbacks() {
        onHead = { _ in }
        onBody = { _ in }
        onEnd = {}
        onError = { _ in }
    }
}
