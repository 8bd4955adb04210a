import RelayIO
import Synchronization

/// Every stream this relayd holds, in memory, with the idempotency index. Streams are found
/// from any loop; each one's state stays on its own loop.
final class InMemoryStreamStore: StreamStore {
    let configuration: StreamConfiguration
    private struct State {
        var streams: [String: LiveStream] = [:]
        /// Finished streams with when each expires, oldest first from `finishedHead`: what
        /// the memory cap drops first, and (all having the same TTL) the order they expire in.
        /// The array is compacted as its head advances.
        var finishedOrder: [(id: String, expiresAt: ContinuousClock.Instant)] = []
        var finishedHead = 0
        /// Whether an expiry timer is pending (one for the whole store, due when the oldest
        /// finished stream expires).
        var expiryArmed = false

        mutating func popOldestFinished() -> String? {
            guard finishedHead < finishedOrder.count else { return nil }
            let id = finishedOrder[finishedHead].id
            finishedHead += 1
            if finishedHead > 1024, finishedHead * 2 > finishedOrder.count {
                finishedOrder.removeFirst(finishedHead)
                finishedHead = 0
            }
            return id
        }

        /// When the oldest finished stream expires.
        var nextExpiry: ContinuousClock.Instant? {
            finishedHead < finishedOrder.count ? finishedOrder[finishedHead].expiresAt : nil
        }
        var byClientChat: [String: String] = [:]
        var clientKeys: [String: String] = [:] // stream id -> its idempotency key
        /// Live streams, oldest first: trimmed when finished ones are not enough to free.
        var liveOrder: [String] = []
    }
    private let state = Mutex(State())
    private let totalBytes = Atomic<Int>(0)
    private let trimScheduled = Atomic<Bool>(false)

    init(configuration: StreamConfiguration) {
        self.configuration = configuration
    }

    var count: Int { state.withLock { $0.streams.count } }
    var bytes: Int { totalBytes.load(ordering: .relaxed) }

    /// What a stream costs to keep besides its events (the object, its buffer's spare
    /// capacity, the index entries), so the cap bounds memory rather than text.
    static let streamOverhead = 2048

    func makeStream(chatID: String, clientID: String?, loop: EventLoop) -> LiveStream {
        let stream = LiveStream(id: ChatWire.newStreamID(), chatID: chatID, loop: loop,
                                maxBytes: configuration.maxStreamBytes, detachTimeout: configuration.detachTimeout, store: self)
        state.withLock { state in
            state.streams[stream.id] = stream
            state.liveOrder.append(stream.id)
            if let clientID {
                let key = Self.key(clientID, chatID)
                state.byClientChat[key] = stream.id
                state.clientKeys[stream.id] = key
            }
        }
        account(bytes: Self.streamOverhead)
        return stream
    }

    func stream(_ id: String) -> LiveStream? { state.withLock { $0.streams[id] } }

    func allStreams() -> [LiveStream] { state.withLock { Array($0.streams.values) } }

    /// The stream a client already started with this chat `id`, if it is still kept.
    func stream(clientID: String, chatID: String) -> LiveStream? {
        state.withLock { state in state.byClientChat[Self.key(clientID, chatID)].flatMap { state.streams[$0] } }
    }

    private static func key(_ clientID: String, _ chatID: String) -> String { "\(clientID)\u{0}\(chatID)" }

    /// A stream's buffer grew (or shrank); over the total cap, the oldest finished streams go.
    func account(bytes delta: Int) {
        let total = totalBytes.add(delta, ordering: .relaxed).newValue
        guard total > configuration.maxTotalBytes else { return }
        let (freed, toTrim): (Int, LiveStream?) = state.withLock { state in
            var freed = 0
            while total - freed > configuration.maxTotalBytes, let id = state.popOldestFinished() {
                if let stream = Self.remove(id, from: &state) { freed += stream.buffer.bytes + Self.streamOverhead }
            }
            // Only live streams left: the oldest gives up its oldest events, as many as the
            // excess (its clients resuming from before them get stream_expired; clients
            // reading live lose nothing). One trim at a time; the next takes the next stream.
            guard total - freed > configuration.maxTotalBytes, let oldest = state.liveOrder.first,
                  !trimScheduled.exchange(true, ordering: .acquiringAndReleasing) else { return (freed, nil) }
            state.liveOrder.append(state.liveOrder.removeFirst())
            return (freed, state.streams[oldest])
        }
        if freed > 0 { totalBytes.subtract(freed, ordering: .relaxed) }
        guard let toTrim else { return }
        // Posted, never inline: trimming accounts again, and must not recurse into this.
        toTrim.loop.enqueue { [self] in
            let excess = totalBytes.load(ordering: .relaxed) - configuration.maxTotalBytes * 7 / 8
            if excess > 0 { toTrim.trim(toBytes: max(0, toTrim.buffer.bytes - excess)) }
            trimScheduled.store(false, ordering: .releasing)
            if totalBytes.load(ordering: .relaxed) > configuration.maxTotalBytes { account(bytes: 0) }
        }
    }

    /// Called on the stream's loop when its last event is in: kept for `ttl`, then dropped.
    /// One timer for the store rather than one per stream: a timer per stream stayed in its
    /// loop's timer heap for the whole TTL, even for a stream the memory cap had dropped
    /// (about 150 bytes a chat, 5 minutes by default), so memory grew with the chat rate
    /// instead of staying under the cap.
    func streamFinished(_ stream: LiveStream) {
        let arm = state.withLock { state -> Bool in
            state.finishedOrder.append((stream.id, .now + .seconds(configuration.ttl)))
            state.liveOrder.removeAll { $0 == stream.id }
            guard !state.expiryArmed else { return false }
            state.expiryArmed = true
            return true
        }
        if arm { armExpiry(on: stream.loop, after: configuration.ttl) }
    }

    private func armExpiry(on loop: EventLoop, after seconds: Double) {
        loop.schedule(after: seconds) { [weak self] in self?.expireDue(on: loop) }
    }

    /// Drops every finished stream past its TTL (they expire in finishing order), then waits
    /// for the next one.
    private func expireDue(on loop: EventLoop) {
        let (removed, next) = state.withLock { state -> ([LiveStream], ContinuousClock.Instant?) in
            var removed: [LiveStream] = []
            let now = ContinuousClock.now
            while let expiresAt = state.nextExpiry, expiresAt <= now, let id = state.popOldestFinished() {
                if let stream = Self.remove(id, from: &state) { removed.append(stream) }
            }
            let next = state.nextExpiry
            state.expiryArmed = next != nil
            return (removed, next)
        }
        // A finished stream's buffer no longer changes, whichever loop reads it.
        let freed = removed.reduce(0) { $0 + $1.buffer.bytes + Self.streamOverhead }
        if freed > 0 { totalBytes.subtract(freed, ordering: .relaxed) }
        if let next { armExpiry(on: loop, after: ContinuousClock.now.duration(to: next).seconds) }
    }

    /// Only finished streams are removed, and `streamFinished` took them off `liveOrder`.
    private static func remove(_ id: String, from state: inout State) -> LiveStream? {
        guard let stream = state.streams.removeValue(forKey: id) else { return nil }
        if let key = state.clientKeys.removeValue(forKey: id), state.byClientChat[key] == id {
            state.byClientChat[key] = nil
        }
        return stream
    }
}
