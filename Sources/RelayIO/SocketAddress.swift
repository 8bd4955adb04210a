#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address and port, as the kernel reports it.
public struct SocketAddress: Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let isIPv6: Bool

    public init(host: String, port: Int, isIPv6: Bool) {
        self.host = host
        self.port = port
        self.isIPv6 = isIPv6
    }

    /// Decodes a `sockaddr_in`/`sockaddr_in6`; IPv4-mapped IPv6 addresses (from a dual-stack
    /// listener) are shown as plain IPv4.
    init(_ storage: UnsafePointer<sockaddr_storage>) {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.pointee.ss_family) {
        case AF_INET:
            let address = UnsafeRawPointer(storage).assumingMemoryBound(to: sockaddr_in.self)
            var inAddr = address.pointee.sin_addr
            inet_ntop(AF_INET, &inAddr, &text, socklen_t(text.count))
            self.init(host: String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), port: Int(UInt16(bigEndian: address.pointee.sin_port)), isIPv6: false)
        case AF_INET6:
            let address = UnsafeRawPointer(storage).assumingMemoryBound(to: sockaddr_in6.self)
            var in6Addr = address.pointee.sin6_addr
            inet_ntop(AF_INET6, &in6Addr, &text, socklen_t(text.count))
            var host = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if host.hasPrefix("::ffff:"), host.contains(".") { host.removeFirst(7) }
            self.init(host: host, port: Int(UInt16(bigEndian: address.pointee.sin6_port)), isIPv6: !host.contains(".") )
        default:
            self.init(host: "unknown", port: 0, isIPv6: false)
        }
    }

    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
