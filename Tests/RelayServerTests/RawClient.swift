import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP client for tests: sends exact bytes and reads exact bytes, so tests see
/// what goes over the wire (framing, header order, when the server closes).
final class RawClient {
    struct Failure: Error, CustomStringConvertible { let description: String }

    struct Response {
        var status: Int
        var headers: [(name: String, value: String)]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
        func headerCount(_ name: String) -> Int {
            headers.filter { $0.name.lowercased() == name.lowercased() }.count
        }
    }

    let fd: Int32
    private var buffer: [UInt8] = []
    private(set) var sawEOF = false

    init(port: Int, host: String = "127.0.0.1", timeout: Double = 5) throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var info: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &info) == 0, let entry = info else {
            throw Failure(description: "getaddrinfo \(host)")
        }
        defer { freeaddrinfo(info) }
        fd = socket(entry.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket") }
        guard connect(fd, entry.pointee.ai_addr, entry.pointee.ai_addrlen) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw Failure(description: "connect: errno \(code)")
        }
        setTimeout(timeout)
    }

    private var isClosed = false

    deinit { close() }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        Glibc.close(fd)
    }

    func setTimeout(_ seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw Failure(description: "send: errno \(errno)") }
            offset += sent
        }
    }

    /// Half-closes: the server sees EOF but can still answer.
    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Reads more bytes into the buffer; false on EOF. Throws on timeout.
    @discardableResult
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count > 0 {
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }
        if count == 0 || errno == ECONNRESET {
            sawEOF = true
            return false
        }
        throw Failure(description: "recv timed out or failed (errno \(errno)) with \(buffer.count) bytes buffered: \(String(decoding: buffer.prefix(200), as: UTF8.self))")
    }

    private func readLine() throws -> String {
        while true {
            if let index = buffer.firstIndex(of: 0x0A) {
                let line = buffer[..<index]
                buffer.removeFirst(index + 1)
                guard line.last == 0x0D else { throw Failure(description: "line without CR") }
                return String(decoding: line.dropLast(), as: UTF8.self)
            }
            guard try fill() else { throw Failure(description: "connection closed mid-line") }
        }
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        while buffer.count < count {
            guard try fill() else { throw Failure(description: "connection closed mid-body") }
        }
        let result = Array(buffer[0..<count])
        buffer.removeFirst(count)
        return result
    }

    /// Reads one response: status line, headers, and a body framed by Content-Length,
    /// chunked encoding, or the connection closing.
    func readResponse(head: Bool = false) throws -> Response {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0] == "HTTP/1.1", let status = Int(parts[1]) else {
            throw Failure(description: "bad status line: \(statusLine)")
        }
        var headers: [(name: String, value: String)] = []
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { throw Failure(description: "bad header: \(line)") }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var response = Response(status: status, headers: headers, body: [])
        if head || (100..<200).contains(status) || status == 204 || status == 304 { return response }
        if let length = response.header("Content-Length").flatMap(Int.init) {
            response.body = try readExactly(length)
        } else if response.header("Transfer-Encoding")?.lowercased() == "chunked" {
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine, radix: 16) else { throw Failure(description: "bad chunk size \(sizeLine)") }
                if size == 0 {
                    _ = try readLine()
                    break
                }
                response.body += try readExactly(size)
                guard try readLine().isEmpty else { throw Failure(description: "chunk not followed by CRLF") }
            }
        } else {
            response.body = try readUntilClosed()
        }
        return response
    }

    /// Reads one chunk of a chunked body (for watching a stream arrive piece by piece).
    func readChunk() throws -> [UInt8]? {
        let sizeLine = try readLine()
        guard let size = Int(sizeLine, radix: 16) else { throw Failure(description: "bad chunk size \(sizeLine)") }
        if size == 0 {
            _ = try readLine()
            return nil
        }
        let data = try readExactly(size)
        _ = try readLine()
        return data
    }

    /// Reads until `count` more bytes arrived or the server closed; returns how many came.
    func readUntilClosedOrCount(_ count: Int) throws -> Int {
        while buffer.count < count, try fill() {}
        let received = buffer.count
        buffer = []
        return received
    }

    /// Bytes read past the last parsed response (after a 101, the first frames).
    func takeBuffered() -> [UInt8] {
        defer { buffer = [] }
        return buffer
    }

    /// The next bytes from the socket; nil at EOF. Throws on timeout.
    func readAvailable(max: Int = 65536) throws -> [UInt8]? {
        var chunk = [UInt8](repeating: 0, count: max)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count > 0 { return Array(chunk[0..<count]) }
        if count == 0 || errno == ECONNRESET { return nil }
        throw Failure(description: "recv timed out or failed (errno \(errno))")
    }

    /// Everything until the server closes.
    func readUntilClosed() throws -> [UInt8] {
        while try fill() {}
        let rest = buffer
        buffer = []
        return rest
    }

    /// Whether the server closes the connection within `seconds` (reading and discarding).
    func closesWithin(_ seconds: Double) -> Bool {
        setTimeout(seconds)
        do {
            while try fill() {}
            return true
        } catch {
            return false
        }
    }
}
