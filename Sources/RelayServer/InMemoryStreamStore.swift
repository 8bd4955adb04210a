import Access
import RelayIO
import Synchronization

/// Every stream this relayd holds, in memory, with the idempotency index. Streams are found
/// from any loop; each one's state stays on its own loop. Every operation is O(1) amortised
/// under the lock (a flood of chats must not make each new one slower): the orders below
/// are queues whose stale entries are skipped, never searched.
final class InMemoryStreamStore: StreamStore {
    let configuration: StreamConfiguration
    private struct Entry {
        let stream: LiveStream
        /// Its idempotency key, if its client gave a `client_id`.
        let clientKey: String?
        var live = true
    }
    private struct State {
        var entries: [String: Entry] = [:]
        var byClientChat: [String: String] = [:]
        /// Finished streams with when each expires, oldest first: what the memory cap drops
        /// first, and (all having the same TTL) the order they expire in. Entries of streams
        /// already gone are skipped.
        var finishedOrder = FIFOQueue<(id: String, expiresAt: ContinuousClock.Instant)>()
        /// Whether the store's one expiry timer is pending (due when the oldest finished
        /// stream expires).
        var expiryArmed = false
        /// Live streams, oldest first: trimmed when finished ones are not enough to free.
        /// Streams that finished are skipped, and swept out once they are half the queue.
        var liveOrder = FIFOQueue<String>()
        var liveCount = 0

        mutating func popOldestFinished() -> String? { finishedOrder.popFirst()?.id }
    }
    private let state = Mutex(State())
    private let totalBytes = Atomic<Int>(0)
    private let trimScheduled = Atomic<Bool>(false)

    init(configuration: StreamConfiguration) {
        self.configuration = configuration
    }

    var count: Int { state.withLock { $0.entries.count } }
    var liveCount: Int { state.withLock { $0.liveCount } }
    var bytes: Int { totalBytes.load(ordering: .relaxed) }

    /// What a stream costs to keep besides its events (the object, its buffer's spare
    /// capacity, the index entries), so the cap bounds memory rather than text.
    static let streamOverhead = 2048

    func makeStream(chatID: String, clientID: String?, owner: Principal?, provider: String, model: String,
                    loop: EventLoop) -> LiveStream? {
        let stream = LiveStream(id: ChatWire.newStreamID(), chatID: chatID, owner: owner, provider: provider, model: model,
                                loop: loop, maxBytes: configuration.maxStreamBytes, detachTimeout: configuration.detachTimeout,
                                store: self)
        let key = clientID.map { Self.key(owner: owner, clientID: $0, chatID: chatID) }
        let admitted = state.withLock { state -> Bool in
            guard state.liveCount < configuration.maxLiveStreams else { return false }
            state.entries[stream.id] = Entry(stream: stream, clientKey: key)
            state.liveCount += 1
            state.liveOrder.append(stream.id)
            if state.liveOrder.count > 2 * state.liveCount + 64 {
                state.liveOrder.removeAll { [entries = state.entries] in entries[$0]?.live != true }
            }
            if let key { state.byClientChat[key] = stream.id }
            return true
        }
        guard admitted else { return nil }
        account(bytes: Self.streamOverhead)
        return stream
    }

    func stream(_ id: String) -> LiveStream? { state.withLock { $0.entries[id]?.stream } }

    func allStreams() -> [LiveStream] { state.withLock { $0.entries.values.map(\.stream) } }

    /// The stream this principal already started with this `client_id` and chat `id`, if it
    /// is still kept. The key includes the principal: another client cannot reach (or take
    /// over) a stream by sending the same ids.
    func stream(clientID: String, chatID: String, owner: Principal?) -> LiveStream? {
        state.withLock { state in
            state.byClientChat[Self.key(owner: owner, clientID: clientID, chatID: chatID)].flatMap { state.entries[$0]?.stream }
        }
    }

    private static func key(owner: Principal?, clientID: String, chatID: String) -> String {
        "\(owner?.id ?? "")\u{0}\(clientID)\u{0}\(chatID)"
    }

    /// A stream's buffer grew (or shrank); over the total cap, the oldest finished streams go.
    func account(bytes delta: Int) {
        let total = totalBytes.add(delta, ordering: .relaxed).newValue
        guard total > configuration.maxTotalBytes else { return }
        let (freed, toTrim): (Int, LiveStream?) = state.withLock { state in
            var freed = 0
            while total - freed > configuration.maxTotalBytes, let id = state.popOldestFinished() {
                if let stream = Self.remove(id, from: &state) { freed += stream.bytesKept + Self.streamOverhead }
            }
            // Only live streams left: the oldest gives up its oldest events, as many as the
            // excess (its clients resuming from before them get stream_expired; clients
            // reading live lose nothing). One trim at a time; the next takes the next stream.
            guard total - freed > configuration.maxTotalBytes,
                  !trimScheduled.exchange(true, ordering: .acquiringAndReleasing) else { return (freed, nil) }
            while let id = state.liveOrder.popFirst() {
                guard let entry = state.entries[id], entry.live else { continue }
                state.liveOrder.append(id) // to the back: the next trim takes the next stream
                return (freed, entry.stream)
            }
            trimScheduled.store(false, ordering: .releasing)
            return (freed, nil)
        }
        if freed > 0 { totalBytes.subtract(freed, ordering: .relaxed) }
        guard let toTrim else { return }
        // Posted, never inline: trimming accounts again, and must not recurse into this.
        toTrim.loop.enqueue { [self] in
            let excess = totalBytes.load(ordering: .relaxed) - configuration.maxTotalBytes / 8 * 7
            if excess > 0 { toTrim.trim(toBytes: max(0, toTrim.bytesKept - excess)) }
            trimScheduled.store(false, ordering: .releasing)
            if totalBytes.load(ordering: .relaxed) > configuration.maxTotalBytes { account(bytes: 0) }
        }
    }

    /// Called on the stream's loop when its last event is in: kept for `ttl`, then dropped.
    /// One timer for the whole store, not one per stream: a timer per stream held its stream
    /// (with all its events) for the TTL even after the memory cap had dropped it, and sat in
    /// its loop's timer heap all that time, so memory grew with the chat rate, not the cap.
    func streamFinished(_ stream: LiveStream) {
        let arm = state.withLock { state -> Bool in
            guard state.entries[stream.id]?.live == true else { return false }
            state.entries[stream.id]?.live = false
            state.liveCount -= 1
            state.finishedOrder.append((stream.id, .now + .seconds(configuration.ttl)))
            guard !state.expiryArmed else { return false }
            state.expiryArmed = true
            return true
        }
        if arm { armExpiry(on: stream.loop, after: configuration.ttl) }
    }

    private func armExpiry(on loop: EventLoop, after seconds: Double) {
        loop.schedule(after: seconds) { [weak self] in self?.expireDue(on: loop) }
    }

    /// Drops every finished stream past its TTL (they expire in finishing order; those the
    /// memory cap dropped already are skipped), then waits for the next one.
    private func expireDue(on loop: EventLoop) {
        let (freed, next) = state.withLock { state -> (Int, ContinuousClock.Instant?) in
            var freed = 0
            let now = ContinuousClock.now
            while let oldest = state.finishedOrder.first, oldest.expiresAt <= now {
                _ = state.finishedOrder.popFirst()
                if let stream = Self.remove(oldest.id, from: &state) { freed += stream.bytesKept + Self.streamOverhead }
            }
            let next = state.finishedOrder.first?.expiresAt
            state.expiryArmed = next != nil
            return (freed, next)
        }
        if freed > 0 { totalBytes.subtract(freed, ordering: .relaxed) }
        if let next { armExpiry(on: loop, after: ContinuousClock.now.duration(to: next).seconds) }
    }

    /// Only finished streams are removed (`streamFinished` counted them out of the live ones).
    private static func remove(_ id: String, from state: inout State) -> LiveStream? {
        guard let entry = state.entries.removeValue(forKey: id) else { return nil }
        if let key = entry.clientKey, state.byClientChat[key] == id { state.byClientChat[key] = nil }
        return entry.stream
    }
}

/// A first-in first-out queue: an array with a moving head, compacted when the consumed
/// part is most of it, so `append` and `popFirst` are O(1) amortised.
struct FIFOQueue<Element> {
    private var elements: [Element] = []
    private var head = 0

    var count: Int { elements.count - head }
    var first: Element? { head < elements.count ? elements[head] : nil }

    mutating func append(_ element: Element) { elements.append(element) }

    mutating func popFirst() -> Element? {
        guard head < elements.count else { return nil }
        let element = elements[head]
        head += 1
        if head == elements.count {
            elements.removeAll(keepingCapacity: elements.count < 4096)
            head = 0
        } else if head > 1024, head * 2 > elements.count {
            elements.removeFirst(head)
            head = 0
        }
        return element
    }

    /// Drops the elements `shouldRemove` picks, keeping the order of the rest. O(n): callers
    /// run it only once stale elements are a fixed share of the queue.
    mutating func removeAll(where shouldRemove: (Element) -> Bool) {
        elements = elements[head...].filter { !shouldRemove($0) }
        head = 0
    }
}
