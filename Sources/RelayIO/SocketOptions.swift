#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The socket options relayd sets, in one place.
enum SocketOptions {
    static func setNonBlocking(_ fd: Int32) throws {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) >= 0 else { throw SocketError("fcntl(O_NONBLOCK)") }
    }

    static func setInt(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) {
        var value = value
        _ = setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Small writes (an SSE event, a heartbeat ack) must leave at once, not wait for Nagle.
    static func setNoDelay(_ fd: Int32) {
        setInt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
    }
}

extension SocketOptions {
    static func closeDescriptor(_ fd: Int32) {
        #if canImport(Glibc)
        _ = Glibc.close(fd)
        #else
        _ = Darwin.close(fd)
        #endif
    }
}
