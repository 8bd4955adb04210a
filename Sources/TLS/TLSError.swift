import COpenSSL

/// A TLS failure, with OpenSSL's reason (never key material).
public struct TLSError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The peer's certificate chain or name did not verify.
        case certificateRejected
        /// Anything else: protocol errors, bad configuration.
        case failed
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// The oldest queued OpenSSL error, and the queue emptied (errors are per thread).
    static func fromErrorQueue(_ context: String) -> TLSError {
        var text = context
        let code = ERR_get_error()
        if code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            text += ": " + String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        ERR_clear_error()
        return TLSError(.failed, text)
    }
}
