import CSystemShims
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A listening TCP socket with an accept loop on its own queue.
///
/// The loop never spins on `EMFILE`/`ENFILE`: it keeps one descriptor in reserve, and when
/// the process runs out it frees that one, accepts the waiting connection, answers it with a
/// canned 503 and closes it, then pauses accepting for a moment (the "reserve fd" technique
/// used by libev-based servers). Without this, a level-triggered listener whose backlog holds
/// a connection it cannot accept fires forever at 100% CPU.
public final class Listener: @unchecked Sendable {
    public let localAddress: SocketAddress
    private let fd: Int32
    private let queue = DispatchQueue(label: "relayd.accept")
    private var source: DispatchSourceRead?
    private var reserveFD: Int32
    private var stopped = false
    private var suspended = false
    /// Connections closed because the process had no descriptor left for them.
    public private(set) var shedCount = 0

    /// Answer to a connection that cannot be served at all (out of descriptors).
    static let overloadResponse: [UInt8] = {
        let body = "{\"error\":{\"code\":\"overloaded\",\"message\":\"server is out of file descriptors\"}}\n"
        return Array("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\nRetry-After: 1\r\n\r\n\(body)".utf8)
    }()

    /// Binds and listens. `host` is an address or name; `::` listens dual-stack (IPv4 too)
    /// and falls back to `0.0.0.0` where IPv6 is unavailable.
    public init(host: String, port: Int, backlog: Int32 = 4096) throws {
        var lastError: Error = SocketError("getaddrinfo", code: EINVAL)
        var candidates = [host]
        if host == "::" { candidates.append("0.0.0.0") }
        var bound: (Int32, SocketAddress)?
        for candidate in candidates {
            do {
                bound = try Self.bind(host: candidate, port: port, backlog: backlog)
                break
            } catch {
                lastError = error
            }
        }
        guard let (fd, address) = bound else { throw lastError }
        self.fd = fd
        localAddress = address
        reserveFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
    }

    private static func bind(host: String, port: Int, backlog: Int32) throws -> (Int32, SocketAddress) {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var info: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &info)
        guard status == 0, let first = info else {
            throw SocketError("getaddrinfo(\(host)): \(String(cString: gai_strerror(status)))", code: EINVAL)
        }
        defer { freeaddrinfo(info) }
        var error: Error = SocketError("bind", code: EADDRNOTAVAIL)
        var current: UnsafeMutablePointer<addrinfo>? = first
        while let entry = current {
            current = entry.pointee.ai_next
            let fd = socket(entry.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                error = SocketError("socket")
                continue
            }
            SocketOptions.setInt(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            if entry.pointee.ai_family == AF_INET6 {
                SocketOptions.setInt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 0)
            }
            guard Glibc.bind(fd, entry.pointee.ai_addr, entry.pointee.ai_addrlen) == 0 else {
                error = SocketError("bind \(host):\(port)")
                SocketOptions.closeDescriptor(fd)
                continue
            }
            guard listen(fd, backlog) == 0 else {
                error = SocketError("listen")
                SocketOptions.closeDescriptor(fd)
                continue
            }
            do { try SocketOptions.setNonBlocking(fd) } catch {
                SocketOptions.closeDescriptor(fd)
                throw error
            }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
            }
            return (fd, SocketAddress(&storage))
        }
        throw error
    }

    /// Starts accepting; `onAccept` gets each new non-blocking socket and its peer, on the
    /// listener's queue, and owns the descriptor from then on.
    public func start(_ onAccept: @escaping @Sendable (Int32, SocketAddress) -> Void) {
        queue.sync {
            guard source == nil, !stopped else { return }
            let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
            source.setEventHandler { [weak self] in self?.acceptPending(onAccept) }
            source.setCancelHandler { [fd] in SocketOptions.closeDescriptor(fd) }
            self.source = source
            source.resume()
        }
        // libdispatch makes the descriptor behind its timers (a timerfd) when the first
        // timer is armed. The back-off in `pauseAccepting` arms one when descriptors have
        // run out, and then could not: accepting never resumed. Arm one now.
        queue.asyncAfter(deadline: .now() + 0.001) {}
    }

    /// Nothing else can hold the listener here (its handlers capture it weakly), so no sync
    /// is needed, and none is allowed: the last release may happen on `queue` itself.
    deinit { stopUnsynchronized() }

    /// Stops accepting and closes the listening socket; new connections are refused by the kernel.
    public func stop() {
        queue.sync { stopUnsynchronized() }
    }

    private func stopUnsynchronized() {
        guard !stopped else { return }
        stopped = true
        // The descriptor is closed by the source's cancel handler, which runs later;
        // shutting the socket down now makes the kernel refuse new connections at once
        // instead of queueing them in the backlog of a socket nobody will accept from.
        shutdown(fd, Int32(SHUT_RDWR))
        if let source {
            if suspended { source.resume() }
            source.cancel()
        } else {
            SocketOptions.closeDescriptor(fd)
        }
        if reserveFD >= 0 { SocketOptions.closeDescriptor(reserveFD) }
        reserveFD = -1
    }

    private func acceptPending(_ onAccept: (Int32, SocketAddress) -> Void) {
        // A bounded batch per wake-up keeps the queue fair to the timer and to stop().
        for _ in 0..<128 {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let client = withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    relayd_accept_nonblocking(fd, $0, &length)
                }
            }
            if client >= 0 {
                onAccept(client, SocketAddress(&storage))
                continue
            }
            switch errno {
            case EAGAIN, EWOULDBLOCK:
                return
            case EINTR, ECONNABORTED, EPROTO:
                continue
            case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                shedOneConnection()
                pauseAccepting(seconds: 0.1)
                return
            default:
                pauseAccepting(seconds: 0.1)
                return
            }
        }
    }

    private func shedOneConnection() {
        guard reserveFD >= 0 else { return }
        SocketOptions.closeDescriptor(reserveFD)
        let client = relayd_accept_nonblocking(fd, nil, nil)
        if client >= 0 {
            Self.overloadResponse.withUnsafeBytes { _ = send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            SocketOptions.closeDescriptor(client)
            shedCount += 1
        }
        reserveFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
    }

    private func pauseAccepting(seconds: Double) {
        guard let source, !suspended, !stopped else { return }
        suspended = true
        source.suspend()
        queue.asyncAfter(deadline: .now() + seconds) { [weak self] in
            guard let self, self.suspended, !self.stopped else { return }
            self.suspended = false
            self.source?.resume()
        }
    }
}

/// Closes a descriptor handed out by `Listener` that nobody will use.
public enum SocketCloser {
    public static func close(_ fd: Int32) { SocketOptions.closeDescriptor(fd) }
}
