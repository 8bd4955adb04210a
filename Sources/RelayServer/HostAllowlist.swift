import HTTP1

/// Which `Host` names relayd answers to (`--allowed-hosts`). Against DNS rebinding: a page on
/// `http://evil.example:8000` whose name is re-pointed at 127.0.0.1 is same-origin with a
/// relayd on this machine as far as the browser knows, so neither CORS nor an Origin check
/// stops it; the `Host` it sends (`evil.example:8000`) does. On by default when relayd
/// listens on loopback only (the names of this machine); a relayd reachable from outside
/// can be called directly anyway, and answers any name unless told otherwise.
public struct HostAllowlist: Sendable, Equatable {
    /// Lowercased host names without a port; an entry starting with `.` allows that domain's
    /// subdomains.
    let names: [String]

    public init(names: [String]) {
        self.names = names.map { $0.lowercased() }.filter { !$0.isEmpty }
    }

    /// `localhost` (and `*.localhost`), `127.0.0.1` and `[::1]`.
    public static let loopback = HostAllowlist(names: ["localhost", ".localhost", "127.0.0.1", "[::1]"])

    /// Parses a comma-separated list (`relay.example.com,.internal`).
    public init(parsing list: String) {
        self.init(names: list.split(separator: ",").map { String($0.trimmingOWS()) })
    }

    public func allows(host header: String?) -> Bool {
        guard let header else { return false }
        let name = Self.name(of: header.lowercased())
        for entry in names {
            if entry.hasPrefix(".") ? name.hasSuffix(entry) : name == entry { return true }
        }
        return false
    }

    /// The name of a `Host` value, without its port: `[::1]:8000` is `[::1]`, `a.b:80` is `a.b`.
    static func name(of host: String) -> Substring {
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return host[...] }
            return host[...close]
        }
        return host.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? host[...]
    }
}
