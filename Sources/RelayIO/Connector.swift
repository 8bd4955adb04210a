import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Opens an outbound TCP connection without blocking the loop: a non-blocking `connect`,
/// then write readiness from the loop's poller, then `SO_ERROR` says how it went. Addresses
/// are tried in order until one answers (IPv6 and IPv4 alike). Gives up after `timeout`.
public final class Connector: PollerClient, @unchecked Sendable {
    private let loop: EventLoop
    private var addresses: [ResolvedAddress]
    private let completion: (Result<Connection, SocketError>) -> Void
    private var fd: Int32 = -1
    private var finished = false
    private var lastError = SocketError("connect", code: ECONNREFUSED)
    /// The address being tried, for the error (which goes to the operator's log; clients are
    /// told only the errno's text).
    private var attempted = ""
    /// Ids for outbound connections, apart from the server's (which count up from 1).
    private static let nextID = Atomic<UInt64>(1 << 62)

    /// Call on `loop`; `completion` runs there, exactly once.
    public static func connect(to addresses: [ResolvedAddress], on loop: EventLoop, timeout: Double,
                               completion: @escaping (Result<Connection, SocketError>) -> Void) {
        let connector = Connector(loop: loop, addresses: addresses, completion: completion)
        loop.schedule(after: timeout) { [connector] in
            connector.fail(SocketError("connect timed out after \(timeout) s", code: ETIMEDOUT))
        }
        connector.tryNext()
    }

    private init(loop: EventLoop, addresses: [ResolvedAddress], completion: @escaping (Result<Connection, SocketError>) -> Void) {
        self.loop = loop
        self.addresses = addresses
        self.completion = completion
    }

    private func tryNext() {
        guard !finished else { return }
        guard !addresses.isEmpty else { return fail(lastError) }
        var address = addresses.removeFirst()
        let socketFD = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard socketFD >= 0 else {
            lastError = SocketError("socket")
            return tryNext()
        }
        let result = withUnsafePointer(to: &address.storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socketFD, $0, address.length) }
        }
        if result == 0 || errno == EINPROGRESS {
            attempted = address.description
            fd = socketFD
            loop.poller.register(socketFD, client: self, read: false, write: true)
            return
        }
        lastError = SocketError("connect \(address.description)")
        SocketOptions.closeDescriptor(socketFD)
        tryNext()
    }

    func pollerWritable() {
        guard !finished, fd >= 0 else { return }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        loop.poller.unregister(fd)
        if error != 0 {
            lastError = SocketError("connect \(attempted)", code: error)
            SocketOptions.closeDescriptor(fd)
            fd = -1
            return tryNext()
        }
        finished = true
        var storage = sockaddr_storage()
        var storageLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getpeername(fd, $0, &storageLength) }
        }
        let connection = Connection(fd: fd, peer: SocketAddress(&storage), id: Self.nextID.add(1, ordering: .relaxed).newValue, loop: loop)
        fd = -1
        completion(.success(connection))
    }

    func pollerReadable() { pollerWritable() } // HUP/ERR while connecting: SO_ERROR tells

    private func fail(_ error: SocketError) {
        guard !finished else { return }
        finished = true
        if fd >= 0 {
            loop.poller.unregister(fd)
            SocketOptions.closeDescriptor(fd)
            fd = -1
        }
        completion(.failure(error))
    }
}
