import Dispatch
import Foundation
import RelayIO
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` on a loop and waits for it to report.
func onLoop<T: Sendable>(_ loop: EventLoop, _ body: @escaping @Sendable (@escaping @Sendable (T) -> Void) -> Void) -> T? {
    let done = DispatchSemaphore(value: 0)
    let box = ResultBox<T>()
    loop.execute { body { value in box.value = value; done.signal() } }
    return done.wait(timeout: .now() + 5) == .success ? box.value : nil
}

final class ResultBox<T>: @unchecked Sendable { var value: T? }

@Suite("outbound connections")
struct ConnectorTests {
    let loop = EventLoop(index: 7)

    @Test func resolvesLocalhostOffTheLoop() {
        let result = onLoop(loop) { (report: @escaping @Sendable (Result<[ResolvedAddress], SocketError>) -> Void) in
            Resolver.resolve(host: "localhost", port: 80, on: loop, completion: report)
        }
        guard case .success(let addresses)? = result else { Issue.record("\(String(describing: result))"); return }
        #expect(!addresses.isEmpty)
        #expect(addresses.allSatisfy { $0.description.hasSuffix(":80") })
    }

    @Test func anUnknownNameFails() {
        let result = onLoop(loop) { (report: @escaping @Sendable (Result<[ResolvedAddress], SocketError>) -> Void) in
            Resolver.resolve(host: "no-such-host.invalid", port: 80, on: loop, completion: report)
        }
        guard case .failure? = result else { Issue.record("resolved an .invalid name"); return }
    }

    @Test func connectsAndExchangesBytes() throws {
        let listener = try Listener(host: "127.0.0.1", port: 0)
        defer { listener.stop() }
        let accepted = DispatchSemaphore(value: 0)
        let received = ResultBox<[UInt8]>()
        listener.start { fd, _ in
            var buffer = [UInt8](repeating: 0, count: 64)
            var pollFD = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&pollFD, 1, 2000)
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            received.value = Array(buffer.prefix(max(0, count)))
            close(fd)
            accepted.signal()
        }
        let port = listener.localAddress.port
        let addresses = try Resolver.resolveBlockingForTests(host: "127.0.0.1", port: port)
        let loop = self.loop
        let result = onLoop(loop) { (report: @escaping @Sendable (Result<Connection, SocketError>) -> Void) in
            Connector.connect(to: addresses, on: loop, timeout: 5) { result in
                if case .success(let connection) = result {
                    connection.start(delegate: SilentDelegate.shared)
                    connection.write(Array("hello".utf8))
                    connection.flush()
                }
                report(result)
            }
        }
        guard case .success(let connection)? = result else { Issue.record("\(String(describing: result))"); return }
        #expect(connection.peer.port == port)
        #expect(accepted.wait(timeout: .now() + 5) == .success)
        #expect(received.value == Array("hello".utf8))
    }

    @Test func aRefusedConnectionTriesTheNextAddressThenFails() throws {
        // Bind a port and close it: nothing listens there.
        let listener = try Listener(host: "127.0.0.1", port: 0)
        let port = listener.localAddress.port
        listener.stop()
        let addresses = try Resolver.resolveBlockingForTests(host: "127.0.0.1", port: port)
        let loop = self.loop
        let result = onLoop(loop) { (report: @escaping @Sendable (Result<Connection, SocketError>) -> Void) in
            Connector.connect(to: addresses + addresses, on: loop, timeout: 5, completion: report)
        }
        guard case .failure(let error)? = result else { Issue.record("connected to a closed port"); return }
        #expect(error.code == ECONNREFUSED)
    }
}

final class SilentDelegate: ConnectionDelegate, @unchecked Sendable {
    static let shared = SilentDelegate()
    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {}
    func connectionDidReadEOF(_ connection: Connection) { connection.close() }
    func connectionDidDrainOutbound(_ connection: Connection) {}
    func connectionDidClose(_ connection: Connection) {}
}
