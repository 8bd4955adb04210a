/// Who a request acts for: the key that per-client limits, logs and metrics use. The id is
/// stable across requests of the same client and never contains a credential, so it can be
/// logged and used as a map key safely.
public struct Principal: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// Authentication is off; the caller names the client (usually by address).
        case anonymous
        /// One of the configured static bearer tokens.
        case staticToken
        /// A JWT signed with the configured HS256 secret.
        case jwt
    }

    public let id: String
    public let kind: Kind

    public init(id: String, kind: Kind) {
        self.id = id
        self.kind = kind
    }

    /// A client of a server without authentication, named by the caller (e.g. "ip:1.2.3.4").
    public static func anonymous(id: String) -> Principal {
        Principal(id: id, kind: .anonymous)
    }

    /// "token:" and the token's whole SHA-256 in hex. A prefix would do to tell a handful of
    /// tokens apart in logs, but the id is also the key of limits and of stream ownership:
    /// with 32 bits, two tokens could share a principal (a birthday collision among ~65,000
    /// tokens), and one client could resume or cancel another's streams.
    public static func staticToken(_ token: String) -> Principal {
        Principal(id: "token:" + Digest.hex(Digest.sha256(token.utf8)), kind: .staticToken)
    }

    /// "jwt:<sub>" when the token names its subject, so every token issued to one subject
    /// shares its limits. Without `sub`, "jwt-token:" and the token's whole SHA-256 in hex
    /// (a different prefix, so no `sub` can collide with it): each such token is its own client.
    public static func jwt(subject: String?, token: String) -> Principal {
        if let subject { return Principal(id: "jwt:" + subject, kind: .jwt) }
        return Principal(id: "jwt-token:" + Digest.hex(Digest.sha256(token.utf8)), kind: .jwt)
    }

    public var description: String { id }
}
