import COpenSSL

/// What every TLS client connection shares: TLS 1.2 or later, peer verification on, and the
/// trust store. The system's CA store is loaded the way OpenSSL does it, so `SSL_CERT_FILE`
/// and `SSL_CERT_DIR` are respected (a corporate proxy's CA is added that way). There is no
/// switch to turn verification off.
public final class TLSClientConfiguration: @unchecked Sendable {
    let context: OpaquePointer

    /// `extraTrustFile`: a PEM bundle trusted in addition to (or, without the system store,
    /// instead of) the system's CAs.
    public init(extraTrustFile: String? = nil, systemTrustStore: Bool = true) throws(TLSError) {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw TLSError.fromErrorQueue("SSL_CTX_new") }
        self.context = context
        _ = relayd_SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION)
        _ = relayd_SSL_CTX_set_mode(context, relayd_SSL_mode_partial_write())
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        if systemTrustStore, SSL_CTX_set_default_verify_paths(context) != 1 {
            throw TLSError.fromErrorQueue("loading the system trust store")
        }
        if let extraTrustFile, SSL_CTX_load_verify_locations(context, extraTrustFile, nil) != 1 {
            throw TLSError.fromErrorQueue("loading \(extraTrustFile)")
        }
        // ALPN: we speak HTTP/1.1 only.
        let protocols: [UInt8] = [8] + Array("http/1.1".utf8)
        _ = protocols.withUnsafeBufferPointer { SSL_CTX_set_alpn_protos(context, $0.baseAddress, UInt32($0.count)) }
    }

    deinit { SSL_CTX_free(context) }
}
