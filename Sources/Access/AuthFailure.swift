/// Why a request was not authenticated. `code` is stable (for clients, logs and metrics);
/// `message` is for humans. Neither ever contains the presented token, nor any part of it.
///
/// Every failure is HTTP 401 (RFC 6750 §3.1); `challenge` is the `WWW-Authenticate` value.
public struct AuthFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: String, Hashable, Sendable {
        case missingToken = "missing_token"
        case invalidToken = "invalid_token"
        case tokenExpired = "token_expired"
        case tokenNotYetValid = "token_not_yet_valid"
    }

    public let reason: Reason
    public let message: String

    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    /// "missing_token", "invalid_token", "token_expired" or "token_not_yet_valid".
    public var code: String { reason.rawValue }

    /// The `WWW-Authenticate` header value. RFC 6750 §3.1: a request without credentials gets
    /// no error code; every bad token, expired ones included, is `invalid_token` on the wire.
    public var challenge: String {
        switch reason {
        case .missingToken: return #"Bearer realm="relayd""#
        case .invalidToken, .tokenExpired, .tokenNotYetValid:
            return #"Bearer realm="relayd", error="invalid_token", error_description="\#(message)""#
        }
    }

    public var description: String { "\(code): \(message)" }

    static let missing = AuthFailure(.missingToken, "an Authorization: Bearer token is required")
    static func invalid(_ message: String) -> AuthFailure { AuthFailure(.invalidToken, message) }
    static let expired = AuthFailure(.tokenExpired, "the token has expired")
    static let notYetValid = AuthFailure(.tokenNotYetValid, "the token is not valid yet")
}
