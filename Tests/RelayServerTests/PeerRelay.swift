import Foundation
import RelayServer
import TLS
import Testing
import Upstream

/// relayd's `/ws` in front of the fake provider (`Tests/peers/fake_llm.py`), which serves
/// the three wire formats on one origin: providers `openai`, `anthropic` and `gemini` all
/// point at it, so one keep-alive pool is shared and one `/_stats` counts everything.
struct PeerRelay {
    static let key = "sk-peer-secret-4242"
    static let formats = ["openai", "anthropic", "gemini"]
    /// What the fake streams for `ok`.
    static let answer = "Hello! How can I help?"
    static let thinking = "Let me think."

    let upstream: PeerProcess
    let socket: RawWebSocket
    /// The CA file to read the fake's `/_stats` over https, when it serves TLS.
    let caFile: String?
    /// relayd's port, for more connections.
    let port: Int

    struct Options {
        var timeouts = UpstreamClient.Timeouts()
        var retries = 2
        /// `(certificate, key)` for the fake: it serves https on `localhost`.
        var serverCertificate: (String, String)?
        var trust: TLSClientConfiguration?
        var proxy = ProxyConfiguration()
        var caFile: String?
        /// Where the fake listens (`--host`), and the host name relayd is given for it.
        var listenHost: String?
        var urlHost: String?
        var streams = StreamConfiguration()
    }

    static func run(_ options: Options = Options(), _ body: (PeerRelay) throws -> Void) throws {
        var arguments: [String] = []
        if let (certificate, key) = options.serverCertificate { arguments = ["--tls-cert", certificate, "--tls-key", key] }
        if let host = options.listenHost { arguments += ["--host", host] }
        let upstream = try PeerProcess("fake_llm.py", arguments)
        defer { upstream.stop() }
        let host = options.urlHost ?? (options.serverCertificate == nil ? "127.0.0.1" : "localhost")
        let origin = "\(options.serverCertificate == nil ? "http" : "https")://\(host):\(upstream.port)"
        let client = UpstreamClient(tls: options.trust, timeouts: options.timeouts, proxy: options.proxy)
        let providers: [any Provider] = [
            ("openai", WireFormat.openAI, "/v1"), ("anthropic", .anthropic, "/v1"), ("gemini", .gemini, "/v1beta"),
        ].map { name, format, path in
            var provider = HTTPProvider(name: name, format: format, baseURL: UpstreamURL(origin + path)!, apiKey: key,
                                        defaultModel: "ok", client: client)
            provider.retryPolicy.maxRetries = options.retries
            provider.retryPolicy.baseDelay = 0.05
            return provider
        }
        try withServer({ $0.loopCount = 1 }, routes: { $0.relayWebSocket("/ws", providers: ProviderRegistry(providers), streams: options.streams) }) { _, port in
            try body(PeerRelay(upstream: upstream, socket: try RawWebSocket(port: port, timeout: 10), caFile: options.caFile, port: port))
        }
    }

    /// The fake's counters.
    func stats() throws -> [String: Any] { try upstream.json("/_stats", https: caFile) }

    func statsCount(_ name: String) throws -> Int { try stats()[name] as? Int ?? -1 }

    /// Waits up to 3 s for a counter of the fake to reach `value`.
    func waitForStat(_ name: String, toReach value: Int) throws -> Int {
        var current = try statsCount(name)
        for _ in 0..<60 where current < value {
            Thread.sleep(forTimeInterval: 0.05)
            current = try statsCount(name)
        }
        return current
    }

    /// Sends a chat and reads the events of every chat until this one ends.
    func chat(_ provider: String, model: String, id: String = "c1", content: String = "hi",
              extra: [String: Any] = [:]) throws -> ChatTranscript {
        try send(provider, model: model, id: id, content: content, extra: extra)
        return try read(until: [id])[id] ?? ChatTranscript()
    }

    func send(_ provider: String, model: String, id: String, content: String = "hi", extra: [String: Any] = [:]) throws {
        var message: [String: Any] = ["type": "chat", "id": id, "provider": provider, "model": model,
                                      "messages": [["role": "user", "content": content]]]
        message.merge(extra) { $1 }
        try socket.send(text: String(decoding: try JSONSerialization.data(withJSONObject: message), as: UTF8.self))
    }

    /// Reads events until each chat in `ids` has ended (done or error), grouped by id.
    func read(until ids: Set<String>) throws -> [String: ChatTranscript] {
        var transcripts: [String: ChatTranscript] = [:]
        var open = ids
        while !open.isEmpty {
            let text = try #require(try socket.readText(), "the WebSocket ended with chats open: \(open)")
            let event = try json(text)
            let id = try #require(event["id"] as? String)
            transcripts[id, default: ChatTranscript()].add(event, raw: text)
            if ["done", "error"].contains(event["type"] as? String) { open.remove(id) }
        }
        return transcripts
    }
}

/// The events of one chat as the client received them.
struct ChatTranscript {
    var events: [[String: Any]] = []
    var raw = ""

    mutating func add(_ event: [String: Any], raw text: String) {
        events.append(event)
        raw += text + "\n"
    }

    var chunks: [[String: Any]] { events.filter { $0["type"] as? String == "chunk" } }
    var content: String { chunks.compactMap { $0["content"] as? String }.joined() }
    var reasoning: String { chunks.compactMap { $0["reasoning"] as? String }.joined() }
    var last: [String: Any] { events.last ?? [:] }
    var outcome: String { last["type"] as? String ?? "none" }
    var code: String? { last["code"] as? String }
    var usage: [String: Any]? { last["usage"] as? [String: Any] }

    /// `seq` is 0 (start), 1, 2, 3… over the chunks and the final event.
    var sequenceIsContiguous: Bool {
        let numbers = events.compactMap { $0["seq"] as? Int }
        return numbers == Array(0..<numbers.count)
    }
}
