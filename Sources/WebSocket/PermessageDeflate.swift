import HTTP1

/// permessage-deflate negotiation (RFC 7692 §7.1).
///
/// relayd always answers with `server_no_context_takeover` and `client_no_context_takeover`
/// (both allowed in a response whatever the offer, §7.1.1): every message then stands
/// alone, so no connection keeps a zlib stream (40–300 KB each) between messages, and an
/// idle connection costs no compression memory at all. Codecs are borrowed per message from
/// a pool per event loop. For relayd's traffic, small JSON events, cross-message context
/// would gain little.
public struct PermessageDeflate: Sendable, Equatable {
    /// The window our deflater may use (the client's `server_max_window_bits`, else 15).
    /// 8 is allowed by the RFC but not by zlib's raw deflate, so at 8 relayd sends its
    /// messages uncompressed (RSV1 clear), which the extension permits.
    public var serverMaxWindowBits: Int
    /// Set when the client offered `client_max_window_bits` with a value.
    public var clientMaxWindowBits: Int?
    /// Whether the offer named `server_max_window_bits`: accepting it means echoing it
    /// (RFC 7692 §7.1.2.1), even at 15.
    public var serverMaxWindowBitsOffered = false

    /// Outgoing messages shorter than this are sent uncompressed: deflate's framing costs
    /// more than it saves on a heartbeat ack.
    public static let minimumCompressedSize = 128

    public var compressesOutbound: Bool { serverMaxWindowBits >= 9 }

    /// The `Sec-WebSocket-Extensions` response value.
    public var responseHeader: String {
        var value = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
        if serverMaxWindowBitsOffered { value += "; server_max_window_bits=\(serverMaxWindowBits)" }
        if let clientMaxWindowBits { value += "; client_max_window_bits=\(clientMaxWindowBits)" }
        return value
    }

    /// Picks the first acceptable `permessage-deflate` offer from `Sec-WebSocket-Extensions`
    /// values (in order), or nil to run without compression. An offer with an unknown,
    /// repeated or out-of-range parameter is declined (§7.1: the server must not accept it).
    public static func negotiate(offers headerValues: [String]) -> PermessageDeflate? {
        for value in headerValues {
            for offer in value.split(separator: ",") {
                let parts = offer.split(separator: ";").map { $0.trimmingOWS() }
                guard parts.first?.lowercased() == "permessage-deflate" else { continue }
                if let accepted = accept(parameters: parts.dropFirst()) { return accepted }
            }
        }
        return nil
    }

    static func accept(parameters: ArraySlice<Substring>) -> PermessageDeflate? {
        var result = PermessageDeflate(serverMaxWindowBits: 15, clientMaxWindowBits: nil)
        var seen = Set<String>()
        for parameter in parameters where !parameter.isEmpty {
            // Keep empty pieces: "=" must not leave `pieces` empty, and "name=" has an empty value.
            let pieces = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { $0.trimmingOWS() }
            let name = pieces[0].lowercased()
            guard seen.insert(name).inserted else { return nil }
            var value: Substring? = pieces.count > 1 ? pieces[1] : nil
            if let quoted = value, quoted.count >= 2, quoted.first == "\"", quoted.last == "\"" {
                value = quoted.dropFirst().dropLast()
            }
            switch name {
            case "server_no_context_takeover", "client_no_context_takeover":
                guard value == nil else { return nil }
            case "server_max_window_bits":
                guard let text = value, let bits = windowBits(text) else { return nil }
                result.serverMaxWindowBits = bits
                result.serverMaxWindowBitsOffered = true
            case "client_max_window_bits":
                if let text = value {
                    guard let bits = windowBits(text) else { return nil }
                    result.clientMaxWindowBits = bits
                }
            default:
                return nil
            }
        }
        return result
    }

    /// 8–15, decimal digits only, no leading zero (RFC 7692 §7.1.2.1).
    static func windowBits(_ text: Substring) -> Int? {
        guard let first = text.first, first != "0", text.allSatisfy(\.isASCIIDigit), let bits = Int(text),
              (8...15).contains(bits) else { return nil }
        return bits
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

