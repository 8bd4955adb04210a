import HTTP1
import JSON
import RelayIO
import SSE
import Streams
import Upstream

/// An SSE response as a stream's subscriber: `id: <seq>`, `event: <type>`, `data: <JSON>` per
/// event, a `: ping` comment whenever nothing was written for a ping interval, and a
/// rollover after `maxSeconds`: an `event: resume` telling the client where to pick up
/// (`Last-Event-ID` does it for `EventSource`), then the end of the response. Touched only
/// on the response's loop.
final class SSESubscription: StreamSubscriber, @unchecked Sendable {
    let responder: HTTPResponder
    let streamID: String
    let configuration: SSEConfiguration
    var loop: EventLoop { responder.loop }
    /// Detaches from the stream when the response ends by rollover.
    var onRollover: (@Sendable () -> Void)?
    private var started = false
    private var ended = false
    private var lastSeq = -1
    private var lastWrite = ContinuousClock.now
    /// When the response rolls over; checked by the ping timer rather than a timer of its
    /// own, which would stay in the loop's timer heap for `maxSeconds` (10 minutes) after a
    /// response that ended long before: about 150 bytes for every SSE chat.
    private var rolloverAt = ContinuousClock.now

    init(responder: HTTPResponder, streamID: String, configuration: SSEConfiguration) {
        self.responder = responder
        self.streamID = streamID
        self.configuration = configuration
    }

    private func start() {
        guard !started else { return }
        started = true
        responder.startStream(status: .ok, headers: [
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache, no-transform",
            "X-Accel-Buffering": "no",
            "X-Stream-Id": streamID,
        ])
        rolloverAt = .now + .seconds(configuration.maxSeconds)
        armPing(after: min(configuration.pingInterval, configuration.maxSeconds))
        // A shutdown that cannot wait for the end: tell the client where to pick up.
        responder.onDrainDeadline { [weak self] in self?.rollover() }
    }

    func receive(_ event: StreamEvent, of stream: LiveStream) {
        guard !ended else { return }
        start()
        responder.write(EventStreamEncoder.event(type: event.kind.rawValue, id: String(event.seq), data: event.json))
        lastSeq = event.seq
        lastWrite = .now
        if event.isTerminal { end() }
    }

    /// After the replay was handed over: the response begins even when there was nothing to
    /// replay, and ends at once when the stream had already ended.
    func attached(streamFinished: Bool) {
        guard !ended else { return }
        start()
        if streamFinished { end() }
    }

    /// One timer per response, due when the silence would reach the interval or the
    /// rollover is due, whichever comes first (events move `lastWrite`; the timer, when it
    /// fires early, sleeps for what is left).
    private func armPing(after seconds: Double) {
        loop.schedule(after: seconds) { [weak self] in self?.pingIfQuiet() }
    }

    private func pingIfQuiet() {
        guard !ended else { return }
        let now = ContinuousClock.now
        guard now < rolloverAt else { return rollover() }
        let interval = Duration.seconds(configuration.pingInterval)
        if lastWrite.duration(to: now) >= interval {
            responder.write(EventStreamEncoder.comment("ping"))
            lastWrite = now
        }
        let nextPing = interval - lastWrite.duration(to: now)
        armPing(after: min(nextPing, now.duration(to: rolloverAt)).seconds)
    }

    private func rollover() {
        guard !ended else { return }
        let data = "{\"type\":\"resume\",\"stream_id\":\(JSONText.quote(streamID)),\"last_seq\":\(lastSeq)}"
        responder.write(EventStreamEncoder.event(type: "resume", data: data))
        end()
        onRollover?()
    }

    private func end() {
        ended = true
        responder.finish()
    }

    /// The client left: no more writes; the timers find `ended` and stop.
    func stop() {
        ended = true
    }
}

/// `POST /api/chat`: collects the stream and answers once with the whole answer.
final class AnswerCollector: StreamSubscriber, @unchecked Sendable {
    let responder: HTTPResponder
    let streamID: String
    var loop: EventLoop { responder.loop }
    private var content = ""
    private var reasoning = ""
    private var start: JSONValue?

    init(responder: HTTPResponder, streamID: String) {
        self.responder = responder
        self.streamID = streamID
    }

    func receive(_ event: StreamEvent, of stream: LiveStream) {
        guard let object = try? JSONDocument(parsing: event.json).root else { return }
        switch event.kind {
        case .start:
            start = object
        case .chunk:
            content += object["content"]?.string ?? ""
            reasoning += object["reasoning"]?.string ?? ""
        case .done:
            var answer = JSONObjectWriter()
            answer.add("id", stream.chatID)
            answer.add("stream_id", streamID)
            if let provider = start?["provider"]?.string { answer.add("provider", provider) }
            if let model = start?["model"]?.string { answer.add("model", model) }
            answer.add("content", content)
            if !reasoning.isEmpty { answer.add("reasoning", reasoning) }
            answer.add("finish_reason", object["finish_reason"]?.string ?? "stop")
            if let usage = object["usage"], usage.isObject, let prompt = usage["prompt_tokens"]?.int,
               let completion = usage["completion_tokens"]?.int {
                answer.add("usage", json: "{\"prompt_tokens\":\(prompt),\"completion_tokens\":\(completion)}")
            }
            responder.respond(.json(.ok, answer.json + "\n"))
        case .error:
            let code = object["code"]?.string ?? "internal"
            let status = ProviderError.Code(rawValue: code).map(StreamHTTPRoutes.status(for:)) ?? .badGateway
            responder.respond(.error(status, code: code, message: object["message"]?.string ?? "the chat failed"))
        }
    }
}
