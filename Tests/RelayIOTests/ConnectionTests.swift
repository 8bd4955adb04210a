import Dispatch
import Foundation
import RelayIO
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Records what a connection reports; ignores EOF on purpose (a delegate still answering).
final class RecordingDelegate: ConnectionDelegate, @unchecked Sendable {
    private let lock = NSLock()
    private var events: [String] = []
    let closed = DispatchSemaphore(value: 0)
    let eof = DispatchSemaphore(value: 0)
    let drained = DispatchSemaphore(value: 0)

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) { record("read \(bytes.count)") }
    func connectionDidReadEOF(_ connection: Connection) { record("eof"); eof.signal() }
    func connectionDidDrainOutbound(_ connection: Connection) { record("drain"); drained.signal() }
    func connectionDidClose(_ connection: Connection) { record("close"); closed.signal() }

    private func record(_ event: String) { lock.lock(); events.append(event); lock.unlock() }
    var log: [String] { lock.lock(); defer { lock.unlock() }; return events }
}

@Suite("RelayIO connection")
struct ConnectionTests {
    /// Accepts one connection on a loop and hands it to `delegate`.
    func acceptOne(_ delegate: RecordingDelegate) throws -> (Listener, Int32) {
        let listener = try Listener(host: "127.0.0.1", port: 0)
        let loop = EventLoop(index: 0)
        listener.start { fd, peer in
            let connection = Connection(fd: fd, peer: peer, id: 1, loop: loop)
            loop.execute { connection.start(delegate: delegate) }
        }
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(listener.localAddress.port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(connected == 0)
        return (listener, client)
    }

    /// A peer that half-closes and then resets: epoll reports HUP/ERR even without read
    /// interest; the connection must close instead of reporting EOF forever (a CPU spin).
    @Test func resetAfterHalfCloseClosesTheConnection() throws {
        let delegate = RecordingDelegate()
        let (listener, client) = try acceptOne(delegate)
        defer { listener.stop() }
        _ = "x".withCString { send(client, $0, 1, 0) }
        shutdown(client, Int32(SHUT_WR))
        #expect(delegate.eof.wait(timeout: .now() + 2) == .success)
        var linger = linger(l_onoff: 1, l_linger: 0)
        setsockopt(client, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
        close(client) // RST
        #expect(delegate.closed.wait(timeout: .now() + 2) == .success)
        #expect(delegate.log.filter { $0 == "eof" }.count == 1)
    }

    @Test func writesLargerThanTheSocketBufferDrainAndReportIt() throws {
        let delegate = RecordingDelegate()
        let loop = EventLoop(index: 0)
        let listener = try Listener(host: "127.0.0.1", port: 0)
        defer { listener.stop() }
        let payload = [UInt8](repeating: 0x7A, count: 64 << 20) // more than loopback buffers take in one send
        listener.start { fd, peer in
            let connection = Connection(fd: fd, peer: peer, id: 1, loop: loop)
            loop.execute {
                connection.start(delegate: delegate)
                connection.write(payload)
                connection.flush()
                connection.closeAfterFlush()
            }
        }
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(listener.localAddress.port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        // Read nothing at first: the kernel buffers fill, `send` says EAGAIN, and the rest must
        // wait for writability (a reader that keeps up could take it all without a wait, and
        // then there is no drain to report).
        Thread.sleep(forTimeInterval: 0.3)
        var received = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            received += count
        }
        #expect(received == payload.count)
        // Reported right after the last send (the half-close that ended our read comes first).
        #expect(delegate.drained.wait(timeout: .now() + 2) == .success)
    }
}
