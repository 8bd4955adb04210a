import HTTP1
import Testing
@testable import WebSocket

/// RFC 6455 §1.3's key and accept value.
private let sampleKey = "dGhlIHNhbXBsZSBub25jZQ=="
private let sampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

/// A valid upgrade request, with `changes` applied to its headers.
private func upgradeRequest(
    method: HTTPMethod = .get, version: HTTPVersion = .http1_1,
    _ changes: (inout HeaderFields) -> Void = { _ in }
) -> RequestHead {
    var headers: HeaderFields = [
        "Host": "relay.example", "Upgrade": "websocket", "Connection": "Upgrade",
        "Sec-WebSocket-Key": sampleKey, "Sec-WebSocket-Version": "13",
    ]
    changes(&headers)
    return RequestHead(method: method, target: "/v1/stream", version: version, headers: headers)
}

private func rejection(_ head: RequestHead, allowDeflate: Bool = true) -> Handshake.Rejection? {
    if case .failure(let rejection) = Handshake.accept(head, allowDeflate: allowDeflate) { return rejection }
    return nil
}

private func accepted(_ head: RequestHead, allowDeflate: Bool = true) -> Handshake.Accepted? {
    if case .success(let accepted) = Handshake.accept(head, allowDeflate: allowDeflate) { return accepted }
    return nil
}

@Suite("Opening handshake (RFC 6455 §4.2)")
struct HandshakeTests {
    @Test func acceptValueOfTheRFCExample() {
        #expect(Handshake.acceptValue(for: sampleKey) == sampleAccept)
        // Another key gives another value (SHA-1 of key + GUID, 20 bytes, base64).
        let other = Handshake.acceptValue(for: "AQIDBAUGBwgJCgsMDQ4PEA==")
        #expect(other != sampleAccept)
        #expect(Base64.decode(other)?.count == 20)
    }

    @Test func validRequestAccepted() throws {
        let result = try #require(accepted(upgradeRequest()))
        #expect(result.acceptValue == sampleAccept)
        #expect(result.deflate == nil)
        let headers = result.responseHeaders
        #expect(headers["Upgrade"] == "websocket")
        #expect(headers["Connection"] == "Upgrade")
        #expect(headers["Sec-WebSocket-Accept"] == sampleAccept)
        #expect(headers["Sec-WebSocket-Extensions"] == nil)
    }

    @Test func deflateNegotiatedOnlyWhenAllowed() throws {
        let head = upgradeRequest { $0.add("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits") }
        let withDeflate = try #require(accepted(head, allowDeflate: true))
        #expect(withDeflate.deflate == PermessageDeflate(serverMaxWindowBits: 15, clientMaxWindowBits: nil))
        #expect(withDeflate.responseHeaders["Sec-WebSocket-Extensions"]
            == "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
        let without = try #require(accepted(head, allowDeflate: false))
        #expect(without.deflate == nil)
        #expect(without.responseHeaders["Sec-WebSocket-Extensions"] == nil)
        // A declined offer: the handshake still succeeds, without the extension.
        let declined = try #require(accepted(upgradeRequest { $0.add("Sec-WebSocket-Extensions", "permessage-deflate; bogus") }))
        #expect(declined.deflate == nil)
    }

    @Test func tokenListsAndCase() throws {
        for connection in ["keep-alive, Upgrade", "upgrade", "UPGRADE", "Upgrade, keep-alive", "close,upgrade"] {
            #expect(accepted(upgradeRequest { $0.replace("Connection", with: connection) }) != nil, "Connection: \(connection)")
        }
        // The token in a second Connection field counts too.
        #expect(accepted(upgradeRequest { $0.replace("Connection", with: "keep-alive"); $0.add("connection", "Upgrade") }) != nil)
        for upgrade in ["WebSocket", "websocket", "h2c, websocket"] {
            #expect(accepted(upgradeRequest { $0.replace("Upgrade", with: upgrade) }) != nil, "Upgrade: \(upgrade)")
        }
        // Header names are case-insensitive and values may carry optional whitespace.
        let spaced = upgradeRequest {
            $0.remove("Sec-WebSocket-Key")
            $0.remove("Sec-WebSocket-Version")
            $0.add("sec-websocket-key", " \(sampleKey)\t")
            $0.add("SEC-WEBSOCKET-VERSION", " 13 ")
        }
        #expect(try #require(accepted(spaced)).acceptValue == sampleAccept)
    }

    @Test func notGet() throws {
        for method in [HTTPMethod.post, .head, .put, .options, .connect] {
            let result = try #require(rejection(upgradeRequest(method: method)), "\(method)")
            #expect(result.status == .methodNotAllowed)
            #expect(result.headers["Allow"] == "GET")
        }
    }

    @Test func notHTTP11() throws {
        for version in [HTTPVersion.http1_0, HTTPVersion(major: 2, minor: 0)] {
            #expect(try #require(rejection(upgradeRequest(version: version))).status == .badRequest)
        }
    }

    @Test(arguments: [nil, "h2c", "websocket2", "web socket", ""] as [String?])
    func missingOrWrongUpgrade(upgrade: String?) throws {
        let head = upgradeRequest { headers in
            headers.remove("Upgrade")
            if let upgrade { headers.add("Upgrade", upgrade) }
        }
        let result = try #require(rejection(head))
        #expect(result.status == .badRequest)
    }

    @Test(arguments: [nil, "keep-alive", "close", "upgrades", "Upgrade-Insecure", ""] as [String?])
    func connectionWithoutUpgradeToken(connection: String?) throws {
        let head = upgradeRequest { headers in
            headers.remove("Connection")
            if let connection { headers.add("Connection", connection) }
        }
        #expect(try #require(rejection(head)).status == .badRequest)
    }

    @Test(arguments: [["8"], ["12"], ["14"], ["13, 8"], [], ["13", "13"], ["13", "8"], ["013"], [""]])
    func unsupportedVersion(versions: [String]) throws {
        let head = upgradeRequest { headers in
            headers.remove("Sec-WebSocket-Version")
            for version in versions { headers.add("Sec-WebSocket-Version", version) }
        }
        let result = try #require(rejection(head))
        #expect(result.status == .upgradeRequired)
        #expect(result.status.code == 426)
        #expect(result.headers["Sec-WebSocket-Version"] == "13")
    }

    @Test(arguments: [
        "AAAAAAAAAAAAAAAAAAAA",          // 15 bytes
        "AAAAAAAAAAAAAAAAAAAAAAA=",      // 17 bytes
        "AAAAAAAAAAAAAAAAAAAAAA",        // 16 bytes, unpadded
        "not base64 at all!!!!!!!",
        "dGhlIHNhbXBsZSBub25jZQ=",       // bad padding
        "dGhlIHNhbXBsZSBub25jZQ==dGhlIHNhbXBsZSBub25jZQ==",
        "",
    ])
    func badKey(key: String) throws {
        let result = try #require(rejection(upgradeRequest { $0.replace("Sec-WebSocket-Key", with: key) }), "key \(key)")
        #expect(result.status == .badRequest)
    }

    @Test func anySixteenByteKeyAccepted() throws {
        for key in ["AAAAAAAAAAAAAAAAAAAAAA==", "/////////////////////w==", "AQIDBAUGBwgJCgsMDQ4PEA=="] {
            #expect(Base64.decode(key)?.count == 16)
            let result = try #require(accepted(upgradeRequest { $0.replace("Sec-WebSocket-Key", with: key) }), "key \(key)")
            #expect(result.acceptValue == Handshake.acceptValue(for: key))
            #expect(result.acceptValue != sampleAccept)
        }
    }

    @Test func missingOrRepeatedKey() throws {
        #expect(try #require(rejection(upgradeRequest { $0.remove("Sec-WebSocket-Key") })).status == .badRequest)
        let twice = upgradeRequest { $0.add("Sec-WebSocket-Key", sampleKey) }
        #expect(try #require(rejection(twice)).status == .badRequest)
        let different = upgradeRequest { $0.add("Sec-WebSocket-Key", "AQIDBAUGBwgJCgsMDQ4PEA==") }
        #expect(try #require(rejection(different)).status == .badRequest)
    }

    @Test func checksComeInOrder() throws {
        // A request wrong in every way gets the first answer: method, then version, …
        let allWrong = upgradeRequest(method: .post, version: .http1_0) { $0 = [:] }
        #expect(try #require(rejection(allWrong)).status == .methodNotAllowed)
        let noVersionNoKey = upgradeRequest { $0.remove("Sec-WebSocket-Version"); $0.remove("Sec-WebSocket-Key") }
        #expect(try #require(rejection(noVersionNoKey)).status == .upgradeRequired)
    }
}

@Suite("Base64 (RFC 4648)")
struct Base64Tests {
    static let vectors: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ]

    @Test func rfc4648Vectors() {
        for (plain, encoded) in Self.vectors {
            #expect(Base64.encode(bytes(plain)) == encoded)
            #expect(Base64.decode(encoded) == bytes(plain))
        }
    }

    @Test func everyByteValueRoundTrips() {
        let all = (0...255).map { UInt8($0) }
        for length in [1, 2, 3, 16, 20, 255, 256] {
            for start in [0, 1, 100] {
                let data = Array((all + all)[start..<(start + length)])
                let encoded = Base64.encode(data)
                #expect(encoded.utf8.count == (length + 2) / 3 * 4)
                #expect(Base64.decode(encoded) == data)
            }
        }
        #expect(Base64.encode([0xFB, 0xFF, 0xBF]) == "+/+/")
        #expect(Base64.encode([0x00, 0x10, 0x83, 0x10, 0x51, 0x87]) == "ABCDEFGH")
        #expect(Base64.decode("+/+/") == [0xFB, 0xFF, 0xBF])
    }

    @Test(arguments: [
        "Zg", "Zg=", "Zm9", "Zm9vY", "Zm9vYmFy=",             // wrong length
        "Zm9v!A==", "Zm 9", "Zm9\n", "Zm-_", "Zm9vYé=",   // bad characters (incl. base64url)
        "Zg==Zg==", "Z=9v", "Zm=v", "=m9v", "Zg=a",           // padding in the middle
        "Z===", "====", "A===",                               // too much padding
    ])
    func badInput(text: String) {
        #expect(Base64.decode(text) == nil)
    }
}

@Suite("FrameEncoder.closePayload")
struct ClosePayloadTests {
    @Test func codeAndShortReason() {
        #expect(FrameEncoder.closePayload(.normal) == [0x03, 0xE8])
        #expect(FrameEncoder.closePayload(.reconnectAndResume, reason: "behind") == [0x0F, 0xA0] + bytes("behind"))
        #expect(FrameEncoder.closePayload(CloseCode(65535), reason: "é") == [0xFF, 0xFF, 0xC3, 0xA9])
    }

    @Test(arguments: [
        // (reason, expected reason bytes kept)
        (String(repeating: "a", count: 200), 123),
        (String(repeating: "a", count: 123), 123),
        (String(repeating: "a", count: 122), 122),
        (String(repeating: "é", count: 100), 122),       // 2-byte: 123 would cut one in half
        (String(repeating: "€", count: 60), 123),        // 3-byte: 41 fit exactly
        ("a" + String(repeating: "€", count: 60), 121),  // 3-byte, cut after 2 of 3 bytes
        (String(repeating: "😀", count: 40), 120),       // 4-byte, cut after 3 of 4 bytes
        ("ab" + String(repeating: "😀", count: 40), 122), // 4-byte, cut after 1 of 4 bytes
    ] as [(String, Int)])
    func longReasonCutOnACodePointBoundary(reason: String, kept: Int) throws {
        let payload = FrameEncoder.closePayload(.goingAway, reason: reason)
        #expect(payload.count == 2 + kept)
        #expect(payload.count <= 125)
        #expect(Array(payload[2...]) == Array(bytes(reason).prefix(kept)))
        // What we send, the peer (and our own reader) accepts.
        #expect(try MessageReader.parseClose(payload) == .close(code: .goingAway, reason: String(decoding: bytes(reason).prefix(kept), as: UTF8.self)))
        let frame = FrameEncoder.frame(opcode: .close, payload: payload, maskingKey: rfcKey)
        #expect(readAllWays(frame).error == nil)
    }
}
