import COpenSSL
import HTTP1

/// The server side of the opening handshake (RFC 6455 §4.2): checks the upgrade request and
/// computes the 101 response. The origin check is the server's policy, not this type's.
public enum Handshake {
    /// RFC 6455 §1.3.
    public static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    public struct Accepted: Sendable {
        public var acceptValue: String
        public var deflate: PermessageDeflate?

        /// `101 Switching Protocols` headers.
        public var responseHeaders: HeaderFields {
            var headers: HeaderFields = ["Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Accept": acceptValue]
            if let deflate { headers.add("Sec-WebSocket-Extensions", deflate.responseHeader) }
            return headers
        }
    }

    public struct Rejection: Error, Sendable, Equatable {
        public var status: HTTPStatus
        public var message: String
        /// 426 carries `Sec-WebSocket-Version: 13` (RFC 6455 §4.4).
        public var headers: [String: String] = [:]

        public static func == (a: Rejection, b: Rejection) -> Bool { a.status == b.status && a.message == b.message }
    }

    public static func accept(_ head: RequestHead, allowDeflate: Bool) -> Result<Accepted, Rejection> {
        guard head.method == .get else {
            return .failure(Rejection(status: .methodNotAllowed, message: "a WebSocket handshake is a GET", headers: ["Allow": "GET"]))
        }
        guard head.version == .http1_1 else {
            return .failure(Rejection(status: .badRequest, message: "a WebSocket handshake needs HTTP/1.1"))
        }
        guard head.headers.tokens("Upgrade").contains("websocket") else {
            return .failure(Rejection(status: .badRequest, message: "expected Upgrade: websocket"))
        }
        guard head.headers.tokens("Connection").contains("upgrade") else {
            return .failure(Rejection(status: .badRequest, message: "expected Connection: upgrade"))
        }
        let versions = head.headers.values("Sec-WebSocket-Version")
        guard versions.count == 1, versions[0].trimmingOWS() == "13" else {
            return .failure(Rejection(status: .upgradeRequired, message: "only WebSocket version 13 is supported",
                                      headers: ["Sec-WebSocket-Version": "13"]))
        }
        let keys = head.headers.values("Sec-WebSocket-Key")
        guard keys.count == 1, let decoded = Base64.decode(String(keys[0].trimmingOWS())), decoded.count == 16 else {
            return .failure(Rejection(status: .badRequest, message: "Sec-WebSocket-Key must be 16 bytes in base64"))
        }
        let deflate = allowDeflate ? PermessageDeflate.negotiate(offers: head.headers.values("Sec-WebSocket-Extensions")) : nil
        return .success(Accepted(acceptValue: acceptValue(for: String(keys[0].trimmingOWS())), deflate: deflate))
    }

    /// base64(SHA-1(key + GUID)) (RFC 6455 §4.2.2 step 5.4).
    public static func acceptValue(for key: String) -> String {
        let input = Array((key + guid).utf8)
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = input.withUnsafeBytes { bytes in
            EVP_Digest(bytes.baseAddress, bytes.count, &digest, &length, EVP_sha1(), nil)
        }
        precondition(ok == 1 && length == 20, "SHA-1 failed")
        return Base64.encode(digest[0..<20])
    }
}

