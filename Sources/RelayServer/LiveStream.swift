import Access
import JSON
import RelayIO
import Streams
import Synchronization
import Upstream

/// Who receives a stream's events: a WebSocket connection or an SSE response. Called on its
/// own loop, in `seq` order.
protocol StreamSubscriber: AnyObject, Sendable {
    var loop: EventLoop { get }
    func receive(_ event: StreamEvent, of stream: LiveStream)
}

/// A chat that outlives the connection that started it: the provider keeps streaming into
/// a replay buffer, every attached client gets each event once, and a client that comes
/// back resumes after the last `seq` it saw, on any transport. The `let`s and `bytesKept` may
/// be read from any loop; everything else is touched only on `loop` (where the provider emits).
final class LiveStream: @unchecked Sendable {
    let id: String
    let chatID: String
    let loop: EventLoop
    /// Who started it: only they may resume or cancel it (when clients authenticate). Set
    /// before the stream is published in the store, and never changed, so any loop may read it.
    let owner: Principal?
    /// What answers it, for `/api/status`.
    let provider: String
    let model: String
    private(set) var buffer: ReplayBuffer
    /// `buffer.bytes`, for the store's accounting on other loops (the buffer itself is
    /// confined to `loop`).
    private let keptBytes = Atomic<Int>(0)
    private var subscribers: [ObjectIdentifier: StreamSubscriber] = [:]
    var cancellation: ChatCancellation?
    let createdAt = ContinuousClock.now
    /// Called once, when the last event is in (for the active-streams gauge).
    var onFinished: (() -> Void)?
    /// Bumped on every attach and detach: a detach timer armed earlier finds it changed.
    private var attachGeneration = 0
    private weak var store: (any StreamStore)?
    /// How long the provider goes on with nobody attached.
    private let detachTimeout: Double

    init(id: String, chatID: String, owner: Principal?, provider: String, model: String, loop: EventLoop, maxBytes: Int,
         detachTimeout: Double, store: any StreamStore) {
        self.detachTimeout = detachTimeout
        self.id = id
        self.chatID = chatID
        self.owner = owner
        self.provider = provider
        self.model = model
        self.loop = loop
        self.store = store
        buffer = ReplayBuffer(maxBytes: maxBytes)
    }

    /// Bytes of events kept; readable from any loop.
    var bytesKept: Int { keptBytes.load(ordering: .relaxed) }

    /// Records a change of the buffer's size here and in the store's total.
    private func accountBytes(_ delta: Int) {
        guard delta != 0 else { return }
        keptBytes.add(delta, ordering: .relaxed)
        store?.account(bytes: delta)
    }

    var nextSeq: Int { buffer.lastSeq + 1 }
    /// Whether the last event (`done` or `error`) is in.
    var finished: Bool { buffer.isFinished }

    /// Appends the next event (built for its `seq`) and hands it to every subscriber.
    func publish(_ kind: StreamEvent.Kind, _ json: (Int) -> String) {
        guard !finished else { return }
        let event = StreamEvent(seq: nextSeq, kind: kind, json: json(nextSeq))
        accountBytes(buffer.append(event))
        for subscriber in subscribers.values { send(event, to: subscriber) }
        if event.isTerminal {
            cancellation = nil
            onFinished?()
            onFinished = nil
            // Nothing more will come: let the connections go (the stream is kept for its TTL).
            subscribers.removeAll()
            store?.streamFinished(self)
        }
    }

    private func send(_ event: StreamEvent, to subscriber: StreamSubscriber) {
        if subscriber.loop === loop {
            subscriber.receive(event, of: self)
        } else {
            subscriber.loop.execute { [self] in subscriber.receive(event, of: self) }
        }
    }

    /// Replays every event after `seq` (none when nil: from now on), then keeps `subscriber`
    /// attached until the end. Returns how many events were replayed, or nil (and attaches
    /// nothing) when some of those events are no longer kept.
    func attach(_ subscriber: StreamSubscriber, after seq: Int?) -> Int? {
        var replayed = 0
        if let seq {
            guard let replay = buffer.events(after: seq) else { return nil }
            for event in replay { send(event, to: subscriber) }
            replayed = replay.count
        }
        attachGeneration += 1
        if !finished { subscribers[ObjectIdentifier(subscriber)] = subscriber }
        return replayed
    }

    /// The subscriber's connection is gone. With nobody left, the provider is stopped after
    /// `detachTimeout` unless someone comes back. Callable from any loop: it hops to the
    /// stream's own.
    func detach(_ subscriber: StreamSubscriber) {
        loop.execute { [self] in detachOnLoop(subscriber) }
    }

    private func detachOnLoop(_ subscriber: StreamSubscriber) {
        guard subscribers.removeValue(forKey: ObjectIdentifier(subscriber)) != nil else { return }
        attachGeneration += 1
        guard subscribers.isEmpty, !finished else { return }
        let generation = attachGeneration
        loop.schedule(after: detachTimeout) { [self] in
            guard attachGeneration == generation, subscribers.isEmpty, !finished else { return }
            cancel()
        }
    }

    /// One JSON object for `/api/status`. Call on `loop`.
    func statusJSON(now: ContinuousClock.Instant) -> String {
        "{\"id\":\(JSONText.quote(id)),\"chat_id\":\(JSONText.quote(chatID)),\"provider\":\(JSONText.quote(provider)),"
            + "\"model\":\(JSONText.quote(model)),\"state\":\"\(finished ? "finished" : "live")\",\"seq\":\(buffer.lastSeq),"
            + "\"attached\":\(subscribers.count),\"bytes\":\(buffer.bytes),\"age_s\":\(createdAt.duration(to: now).statusSeconds),"
            + "\"owner\":\(owner.map { JSONText.quote($0.id) } ?? "null")}"
    }

    /// Keeps at most `bytes` of events (the store is over its total cap and this stream is
    /// live): resuming before what is left answers `stream_expired`.
    func trim(toBytes bytes: Int) {
        guard !finished else { return } // finished streams are dropped whole, not trimmed
        accountBytes(buffer.trim(toBytes: bytes))
    }

    /// Stops the provider and ends the stream with `finish_reason: cancelled` for everyone
    /// attached. Idempotent.
    func cancel() {
        guard !finished else { return }
        cancellation?.cancel()
        publish(.done) { ChatWire.done(id: chatID, seq: $0, finishReason: .cancelled, usage: nil) }
    }
}
