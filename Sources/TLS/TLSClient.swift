import COpenSSL

/// One TLS client session over memory buffers: network bytes go in with `receive`,
/// ciphertext to send comes out of `takeOutput`, plaintext is read and written in between.
/// No sockets, so the I/O layer owns the socket and tests can run a handshake in memory.
/// Confined to one thread at a time (OpenSSL's error queue is per thread).
public final class TLSClient {
    private let ssl: OpaquePointer
    private let networkIn: OpaquePointer
    private let networkOut: OpaquePointer
    public private(set) var isEstablished = false
    /// The peer sent close_notify.
    public private(set) var peerClosed = false

    /// `serverName` is both sent as SNI (for DNS names) and checked against the certificate
    /// (DNS names and IP addresses).
    public init(configuration: TLSClientConfiguration, serverName: String) throws(TLSError) {
        guard let ssl = SSL_new(configuration.context) else { throw TLSError.fromErrorQueue("SSL_new") }
        guard let input = BIO_new(BIO_s_mem()), let output = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw TLSError.fromErrorQueue("BIO_new")
        }
        self.ssl = ssl
        networkIn = input
        networkOut = output
        SSL_set_bio(ssl, input, output) // the SSL owns both BIOs now
        SSL_set_connect_state(ssl)
        if Self.isIPAddress(serverName) {
            guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName) == 1 else {
                throw TLSError.fromErrorQueue("setting the expected IP address")
            }
        } else {
            guard relayd_SSL_set_tlsext_host_name(ssl, serverName) == 1, SSL_set1_host(ssl, serverName) == 1 else {
                throw TLSError.fromErrorQueue("setting the server name")
            }
        }
    }

    deinit { SSL_free(ssl) }

    static func isIPAddress(_ name: String) -> Bool {
        name.contains(":") || (name.split(separator: ".").count == 4 && name.allSatisfy { $0.isNumber || $0 == "." })
    }

    /// Bytes that arrived from the network.
    public func receive(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        _ = BIO_write(networkIn, bytes.baseAddress, Int32(bytes.count))
    }

    public func receive(_ bytes: [UInt8]) { bytes.withUnsafeBytes { receive($0) } }

    /// Advances the handshake with what has been received; true once it is complete.
    /// Call `takeOutput` afterwards: the handshake produces bytes to send.
    public func handshake() throws(TLSError) -> Bool {
        guard !isEstablished else { return true }
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            isEstablished = true
            return true
        }
        let error = SSL_get_error(ssl, result)
        if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { return false }
        let verification = SSL_get_verify_result(ssl)
        if verification != X509_V_OK {
            ERR_clear_error()
            let reason = String(cString: X509_verify_cert_error_string(verification))
            throw TLSError(.certificateRejected, "certificate rejected: \(reason)")
        }
        throw TLSError.fromErrorQueue("TLS handshake failed")
    }

    /// Decrypts what has been received and appends the plaintext to `output`.
    public func read(into output: inout [UInt8]) throws(TLSError) {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if count > 0 {
                output.append(contentsOf: buffer[0..<Int(count)])
                continue
            }
            let error = SSL_get_error(ssl, count)
            if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { return }
            if error == SSL_ERROR_ZERO_RETURN {
                peerClosed = true
                return
            }
            throw TLSError.fromErrorQueue("TLS read failed")
        }
    }

    /// Encrypts plaintext; the ciphertext waits in `takeOutput`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(TLSError) {
        var offset = 0
        while offset < bytes.count {
            let written = SSL_write(ssl, bytes.baseAddress! + offset, Int32(bytes.count - offset))
            guard written > 0 else { throw TLSError.fromErrorQueue("TLS write failed") }
            offset += Int(written)
        }
    }

    public func write(_ bytes: [UInt8]) throws(TLSError) {
        var failure: TLSError?
        bytes.withUnsafeBytes { raw in
            do throws(TLSError) { try write(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Ciphertext to send to the network.
    public func takeOutput() -> [UInt8] {
        let pending = Int(BIO_ctrl_pending(networkOut))
        guard pending > 0 else { return [] }
        var output = [UInt8](repeating: 0, count: pending)
        let count = output.withUnsafeMutableBytes { BIO_read(networkOut, $0.baseAddress, Int32(pending)) }
        return Array(output.prefix(max(0, Int(count))))
    }

    /// Sends close_notify (then `takeOutput`).
    public func close() { _ = SSL_shutdown(ssl) }

    /// The protocol the server chose with ALPN, if any.
    public var negotiatedProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }
}
