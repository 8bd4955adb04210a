import HTTP1

/// One embedded web file as ready-made responses, so serving it is a dictionary look-up and
/// two header checks: the headers, the ETag and the gzip body are all computed once, at
/// start.
///
/// Caching: `no-cache` with a strong ETag makes a browser revalidate every load and get a
/// bodiless 304 while the file is unchanged, so a deploy is picked up on the next load and
/// nothing is sent twice meanwhile. A name-hashed URL with `immutable` would save the
/// round trip, but the client module's URL is one other sites import: it must stay fixed.
struct WebAsset: Sendable {
    /// The file in one content coding: its tag, its 200 and its 304.
    struct Representation: Sendable {
        let etag: String
        let response: HTTPResponse
        let notModified: HTTPResponse
    }

    let name: String
    let identity: Representation
    /// Nil when gzip would not make the file smaller (tiny or already compressed files).
    let gzip: Representation?

    /// The demo page runs no inline script or style, so `'self'` suffices; `connect-src`
    /// allows any relay, since the page can be pointed at another server.
    static let contentSecurityPolicy = "default-src 'self'; connect-src 'self' ws: wss: http: https:; img-src 'self' data:; "
        + "style-src 'self'; script-src 'self'; base-uri 'none'; frame-ancestors 'none'"

    init(_ file: EmbeddedWebFile) {
        name = file.name
        let contentType = Self.contentType(for: file.name)
        let tag = Self.hash(file.bytes)
        var headers: HeaderFields = [
            "Content-Type": contentType,
            "Cache-Control": "no-cache",
            // Every response depends on Accept-Encoding, also identity ones: a shared cache
            // must not hand the plain bytes' tag to a client that gets gzip, nor the reverse.
            "Vary": "Accept-Encoding",
            "X-Content-Type-Options": "nosniff",
        ]
        if contentType.hasPrefix("text/html") {
            headers.add("Content-Security-Policy", Self.contentSecurityPolicy)
            headers.add("Referrer-Policy", "no-referrer")
        }
        identity = Self.representation(etag: "\"\(tag)\"", headers: headers, body: file.bytes)
        let compressed = Gzip.compress(file.bytes)
        if compressed.count < file.bytes.count {
            headers.add("Content-Encoding", "gzip")
            // A strong tag names one exact byte sequence (RFC 9110 §8.8.3), so gzip gets its own.
            gzip = Self.representation(etag: "\"\(tag)-gzip\"", headers: headers, body: compressed)
        } else {
            gzip = nil
        }
    }

    /// The 200 or the 304 for a request with these headers.
    func response(to requestHeaders: HeaderFields) -> HTTPResponse {
        var chosen = identity
        if let gzip, AcceptEncoding(requestHeaders).prefersGzip { chosen = gzip }
        return IfNoneMatch.matches(requestHeaders, etag: chosen.etag) ? chosen.notModified : chosen.response
    }

    private static func representation(etag: String, headers: HeaderFields, body: [UInt8]) -> Representation {
        var headers = headers
        headers.add("ETag", etag)
        // A 304 repeats what a cache must update: ETag, Cache-Control and Vary (RFC 9110 §15.4.5).
        var notModified = HeaderFields()
        for name in ["ETag", "Cache-Control", "Vary"] { notModified.add(name, headers[name]!) }
        return Representation(etag: etag,
                              response: HTTPResponse(status: .ok, headers: headers, body: body),
                              notModified: HTTPResponse(status: .notModified, headers: notModified))
    }

    /// By extension: the set the EmbedWebAssets plugin embeds. Text says UTF-8, which is
    /// what the files are written in, so a browser never guesses.
    static func contentType(for name: String) -> String {
        let lowered = name.lowercased()
        if lowered.hasSuffix(".html") { return "text/html; charset=utf-8" }
        if lowered.hasSuffix(".css") { return "text/css; charset=utf-8" }
        if lowered.hasSuffix(".js") { return "text/javascript; charset=utf-8" }
        if lowered.hasSuffix(".ts") { return "application/typescript; charset=utf-8" }
        if lowered.hasSuffix(".svg") { return "image/svg+xml" }
        if lowered.hasSuffix(".ico") { return "image/x-icon" }
        return "application/octet-stream"
    }

    /// 64-bit FNV-1a as 16 hex digits: the tag only has to change when the content does
    /// (a validator, not a defence against forgery), and this needs no library.
    static func hash(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
