import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// One address `getaddrinfo` returned, ready for `connect`.
public struct ResolvedAddress: Sendable {
    var storage: sockaddr_storage
    var length: socklen_t
    public let family: Int32
    public let description: String
}

/// Name resolution off the event loops: `getaddrinfo` blocks (for as long as DNS takes), so
/// it runs on a global queue and the answer is delivered back on the caller's loop.
public enum Resolver {
    public static func resolve(host: String, port: Int, on loop: EventLoop,
                               completion: @escaping @Sendable (Result<[ResolvedAddress], SocketError>) -> Void) {
        DispatchQueue.global().async {
            let result = resolveBlocking(host: host, port: port)
            loop.execute { completion(result) }
        }
    }

    static func resolveBlocking(host: String, port: Int) -> Result<[ResolvedAddress], SocketError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG
        var info: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &info)
        guard status == 0 else {
            return .failure(SocketError("resolving \(host): \(String(cString: gai_strerror(status)))", code: EINVAL))
        }
        defer { freeaddrinfo(info) }
        var addresses: [ResolvedAddress] = []
        var entry = info
        while let current = entry {
            var storage = sockaddr_storage()
            withUnsafeMutableBytes(of: &storage) { target in
                target.copyMemory(from: UnsafeRawBufferPointer(start: current.pointee.ai_addr, count: Int(current.pointee.ai_addrlen)))
            }
            let text = withUnsafePointer(to: &storage) { SocketAddress($0).description }
            addresses.append(ResolvedAddress(storage: storage, length: current.pointee.ai_addrlen,
                                             family: current.pointee.ai_family, description: text))
            entry = current.pointee.ai_next
        }
        return addresses.isEmpty ? .failure(SocketError("resolving \(host): no address", code: EINVAL)) : .success(addresses)
    }

    /// For tests and start-up code that may block.
    public static func resolveBlockingForTests(host: String, port: Int) throws -> [ResolvedAddress] {
        try resolveBlocking(host: host, port: port).get()
    }
}
