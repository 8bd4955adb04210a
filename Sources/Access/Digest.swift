import COpenSSL

/// SHA-256 and HMAC-SHA256 from libcrypto, the two primitives authentication needs: a digest
/// to name and compare static tokens without keeping or logging them, and the MAC of JWS
/// HS256 (RFC 7518 §3.2).
public enum Digest {
    /// SHA-256 of `bytes` (32 bytes).
    public static func sha256(_ bytes: some Collection<UInt8>) -> [UInt8] {
        let input = Array(bytes)
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = input.withUnsafeBytes { buffer in
            EVP_Digest(buffer.baseAddress, buffer.count, &digest, &length, EVP_sha256(), nil)
        }
        // Fails only when libcrypto cannot allocate: nothing sensible is left to do.
        precondition(ok == 1 && length == 32, "SHA-256 failed")
        return Array(digest[0..<32])
    }

    /// HMAC-SHA256 of `message` under `key` (RFC 2104), 32 bytes; nil when libcrypto refuses
    /// (out of memory, or a FIPS provider rejecting a short key), so a verifier fails closed
    /// instead of crashing the server.
    public static func hmacSHA256(key: some Collection<UInt8>, message: some Collection<UInt8>) -> [UInt8]? {
        // A non-null pointer even for an empty key or message: some libcrypto versions treat
        // a null key as "reuse the previous one".
        var keyBytes = Array(key)
        let keyLength = keyBytes.count
        if keyBytes.isEmpty { keyBytes = [0] }
        var messageBytes = Array(message)
        let messageLength = messageBytes.count
        if messageBytes.isEmpty { messageBytes = [0] }
        var mac = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var macLength: UInt32 = 0
        let result = keyBytes.withUnsafeBytes { keyBuffer in
            messageBytes.withUnsafeBufferPointer { messageBuffer in
                HMAC(EVP_sha256(), keyBuffer.baseAddress, Int32(keyLength),
                     messageBuffer.baseAddress, messageLength, &mac, &macLength)
            }
        }
        guard result != nil, macLength == 32 else { return nil }
        return Array(mac[0..<32])
    }

    /// Lowercase hexadecimal, for ids derived from digests.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
