import Foundation
import SSE

/// An SSE client for tests: one HTTP request, then the `text/event-stream` body read chunk
/// by chunk through relayd's own WHATWG parser, event by event.
final class RawSSE {
    let client: RawClient
    let head: RawClient.Response
    private var parser = EventStreamParser()
    private var pending: [ServerSentEvent] = []

    init(port: Int, method: String = "GET", path: String, headers: [String: String] = [:], body: String? = nil) throws {
        client = try RawClient(port: port, timeout: 10)
        var request = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        if let body { request += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        try client.send(request + "\r\n" + (body ?? ""))
        head = try client.readResponse(head: true)
    }

    var status: Int { head.status }

    /// The next event; nil when the response ended.
    func next() throws -> ServerSentEvent? {
        while pending.isEmpty {
            guard let chunk = try client.readChunk() else { return nil }
            for item in try parser.parse(chunk) { if case .event(let event) = item { pending.append(event) } }
        }
        return pending.removeFirst()
    }

    /// Every event until the response ends.
    func all() throws -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        while let event = try next() { events.append(event) }
        return events
    }
}
