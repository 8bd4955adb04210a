import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HTTP1
import RelayServer

/// Starts an `HTTPServer` on 127.0.0.1 and a free port, with a few routes tests use, runs
/// the body, and shuts the server down.
func withServer(
    _ configure: (inout ServerConfiguration) -> Void = { _ in },
    routes: (HTTPServer) -> Void = { _ in },
    _ body: (HTTPServer, Int) throws -> Void
) throws {
    var configuration = ServerConfiguration()
    configuration.host = "127.0.0.1"
    configuration.port = 0
    configuration.loopCount = 2
    configure(&configuration)
    let server = HTTPServer(configuration: configuration)
    installTestRoutes(on: server)
    routes(server)
    try server.start()
    defer { shutdownAndWait(server, drainSeconds: 0) }
    try body(server, server.localAddress!.port)
}

/// A started server with the test routes, for tests that drive its shutdown themselves.
func startTestServer() throws -> (HTTPServer, Int) {
    var configuration = ServerConfiguration()
    configuration.host = "127.0.0.1"
    configuration.port = 0
    let server = HTTPServer(configuration: configuration)
    installTestRoutes(on: server)
    try server.start()
    return (server, server.localAddress!.port)
}

func shutdownAndWait(_ server: HTTPServer, drainSeconds: Double) {
    let done = DispatchSemaphore(value: 0)
    server.shutdown(drainSeconds: drainSeconds) { done.signal() }
    done.wait()
}

/// Producers for the test routes. A serial queue of their own (overcommitting, like every
/// serial queue): the global concurrent queue is only as wide as the CPUs, and tests that
/// block threads would make its timers fire late and together.
let producerQueue = DispatchQueue(label: "test.producers")

/// `/echo?x` answers `x`; `POST /echo` answers the body; `/slow?ms` answers after a delay
/// from another queue; `/stream?n&ms` streams n chunks `chunk-i\n`, ms apart.
func installTestRoutes(on server: HTTPServer) {
    server.route(.get, "/echo") { request, responder in
        responder.respond(HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain"], body: Array((request.head.query ?? "").utf8)))
    }
    server.route(.post, "/echo") { request, responder in
        responder.respond(HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: request.body))
    }
    server.route(.get, "/slow") { request, responder in
        let milliseconds = Int(request.head.query ?? "") ?? 300
        producerQueue.asyncAfter(deadline: .now() + .milliseconds(milliseconds)) {
            responder.respond(HTTPResponse(status: .ok, body: Array("slow done".utf8)))
        }
    }
    server.route(.get, "/stream") { request, responder in
        let query = request.head.query.map(queryItems) ?? [:]
        let count = Int(query["n"] ?? "") ?? 3
        let interval = Int(query["ms"] ?? "") ?? 50
        responder.startStream(headers: ["Content-Type": "text/plain"])
        for index in 0..<count {
            producerQueue.asyncAfter(deadline: .now() + .milliseconds(interval * (index + 1))) {
                responder.write("chunk-\(index)\n")
                if index == count - 1 { responder.finish() }
            }
        }
    }
}

/// Counts route invocations, for tests that check what was (not) dispatched.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: Int] = [:]
    func add(_ key: String) { lock.lock(); values[key, default: 0] += 1; lock.unlock() }
    func value(_ key: String) -> Int { lock.lock(); defer { lock.unlock() }; return values[key, default: 0] }
}

/// Routes for backpressure and abort tests: `/big?n` answers n bytes; `/count` counts;
/// `/never` never answers but reports onEnd; `/empty-stream` streams a 204.
func installBackpressureRoutes(on server: HTTPServer, counter: Counter) {
    server.route(.get, "/big") { request, responder in
        counter.add("big")
        let size = Int(request.head.query ?? "") ?? 1_000_000
        responder.respond(HTTPResponse(status: .ok, body: [UInt8](repeating: 0x62, count: size)))
    }
    server.route(.get, "/count") { _, responder in
        counter.add("count")
        responder.respond(HTTPResponse(status: .ok, body: Array("counted".utf8)))
    }
    server.route(.get, "/never") { _, responder in
        counter.add("never")
        responder.onEnd { counter.add("never-closed") }
    }
    server.route(.get, "/empty-stream") { _, responder in
        responder.startStream(status: .noContent)
        responder.write("must not be sent")
        responder.finish()
    }
    server.route(.get, "/flood-inline") { _, responder in
        responder.startStream()
        responder.onEnd { counter.add("flood-closed") }
        let piece = [UInt8](repeating: 0x66, count: 64 * 1024)
        for _ in 0..<64 { responder.write(piece) } // 4 MiB at once, over a 256 KiB limit
    }
}

func queryItems(_ query: Substring) -> [String: String] {
    var items: [String: String] = [:]
    for pair in query.split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1)
        items[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
    }
    return items
}

/// Runs a command and returns its exit status and standard output.
@discardableResult
func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// The path of a program on PATH, if any.
func which(_ name: String) -> String? {
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let path = "\(directory)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}

/// A port nothing listens on (bound, read and released).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
