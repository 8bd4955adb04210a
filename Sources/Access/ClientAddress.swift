import HTTP1
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which IP address a request comes from, as a key for per-client limits and for logs.
///
/// Without a proxy in front, only the socket peer can be believed: any client can send
/// `X-Forwarded-For`. Behind trusted reverse proxies (`trustProxy`), each proxy appends the
/// address it received the request from, so of the list (every `X-Forwarded-For` line, joined
/// in order) only the right-most `trustedHops` entries were written by proxies relayd trusts;
/// the client is the entry the outermost trusted proxy wrote, `trustedHops` from the right.
/// Entries further left were written by the client and are never used: if the chosen entry is
/// not an address, the socket peer is the key (not an entry further left, which the client
/// could have chosen). Only a request with no `X-Forwarded-For` at all falls back to
/// `X-Real-IP`. With fewer entries than hops, the left-most entry is taken: every entry then
/// came from a trusted proxy.
///
/// Header values become keys only if `inet_pton` accepts them, and every address is returned
/// in canonical `inet_ntop` form (IPv4-mapped IPv6 as plain IPv4, as `SocketAddress` shows
/// peers), so `::0:1` and `::1` are one client and garbage headers never become keys.
public enum ClientAddress {
    /// The most proxies `trustedHops` may name.
    public static let maximumTrustedHops = 10

    /// The client's IP address.
    /// - Parameters:
    ///   - peer: the socket's peer, with or without a port: "1.2.3.4", "1.2.3.4:5000",
    ///     "::1", "[::1]:5000".
    ///   - forwardedFor: the `X-Forwarded-For` value (every header line, joined by commas in
    ///     the order received: a client's own line must not hide the proxy's).
    ///   - realIP: the `X-Real-IP` value.
    ///   - trustedHops: how many proxies in front of relayd append to `X-Forwarded-For`
    ///     (1 behind Railway's edge), 1 to `maximumTrustedHops`.
    public static func resolve(peer: String, forwardedFor: String?, realIP: String?, trustProxy: Bool,
                               trustedHops: Int = 1) -> String {
        let socketAddress = host(ofPeer: peer)
        let socketKey = canonical(socketAddress) ?? socketAddress
        guard trustProxy else { return socketKey }
        if let forwardedFor {
            // Empty elements ("a, , b", a trailing comma) are no entries (RFC 7239 §7.1 lists).
            let entries = forwardedFor.split(separator: ",").map { $0.trimmingOWS() }.filter { !$0.isEmpty }
            if !entries.isEmpty {
                let hops = min(max(trustedHops, 1), maximumTrustedHops)
                let chosen = entries[max(entries.count - hops, 0)]
                return canonical(host(ofPeer: chosen)) ?? socketKey
            }
        }
        if let realIP, let address = canonical(host(ofPeer: realIP.trimmingOWS())) { return address }
        return socketKey
    }

    /// `text` in canonical form if it is an IPv4 or IPv6 address, else nil.
    public static func canonical(_ text: some StringProtocol) -> String? {
        let text = String(text)
        // Checked before inet_pton, which would stop at an embedded NUL ("1.2.3.4\0junk").
        guard !text.isEmpty, text.utf8.count <= 64, text.utf8.allSatisfy(isAddressCharacter) else { return nil }
        var storage = in6_addr()
        if inet_pton(AF_INET, text, &storage) == 1 {
            return presentation(family: AF_INET, &storage)
        }
        guard inet_pton(AF_INET6, text, &storage) == 1 else { return nil }
        let address = presentation(family: AF_INET6, &storage)
        // ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket: one client, one key.
        if address.hasPrefix("::ffff:"), address.contains(".") { return String(address.dropFirst(7)) }
        return address
    }

    /// Whether `text` is an IPv4 or IPv6 address (no port, no brackets).
    public static func isIPAddress(_ text: some StringProtocol) -> Bool { canonical(text) != nil }

    /// The address part of "host:port", "[v6]:port", "[v6]", or a bare address.
    static func host(ofPeer peer: some StringProtocol) -> String {
        if peer.hasPrefix("["), let close = peer.firstIndex(of: "]") {
            return String(peer[peer.index(after: peer.startIndex)..<close])
        }
        // One colon: IPv4 (or a name) with a port. More: a bare IPv6 address.
        if let colon = peer.firstIndex(of: ":"), peer[peer.index(after: colon)...].firstIndex(of: ":") == nil {
            return String(peer[..<colon])
        }
        return String(peer)
    }

    /// Hex digits, `.` and `:`: everything an IPv4 or IPv6 address (without a zone) is made of.
    private static func isAddressCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"),
             UInt8(ascii: "."), UInt8(ascii: ":"):
            return true
        default:
            return false
        }
    }

    private static func presentation(family: Int32, _ address: inout in6_addr) -> String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        guard inet_ntop(family, &address, &text, socklen_t(text.count)) != nil else { return "" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
