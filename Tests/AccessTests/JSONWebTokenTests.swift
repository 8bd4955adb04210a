import Access
import Testing

/// Signs test tokens with the module's own HMAC and base64url, so each case states its
/// header and payload as JSON text.
private func sign(header: String = #"{"alg":"HS256","typ":"JWT"}"#, payload: String, secret: String = "s3cret-for-tests") -> String {
    let signingInput = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
    let mac = Digest.hmacSHA256(key: Array(secret.utf8), message: Array(signingInput.utf8))!
    return signingInput + "." + Base64URL.encode(mac)
}

@Suite("JWT (HS256) authentication")
struct JSONWebTokenTests {
    let now = 1_700_000_000.0
    let authenticator = ClientAuthenticator(jwtSecret: Array("s3cret-for-tests".utf8))

    func failure(_ token: String, at time: Double? = nil, _ authenticator: ClientAuthenticator? = nil) -> String? {
        guard case .failure(let failure) = (authenticator ?? self.authenticator).authenticate(token: token, now: time ?? now) else { return nil }
        #expect(!failure.message.contains(token), "a message never echoes the token")
        return failure.code
    }

    @Test func theJWTIOExampleIsAccepted() throws {
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
        let authenticator = ClientAuthenticator(jwtSecret: Array("your-256-bit-secret".utf8))
        #expect(try authenticator.authenticate(token: token, now: now).get() == Principal(id: "jwt:1234567890", kind: .jwt))
        // Our signer produces the same bytes for the same header and payload.
        let ours = sign(payload: #"{"sub":"1234567890","name":"John Doe","iat":1516239022}"#, secret: "your-256-bit-secret")
        #expect(ours == token)
        #expect(ClientAuthenticator(jwtSecret: Array("another-secret".utf8)).authenticate(token: token, now: now) == .failure(AuthFailure(.invalidToken, "the JWT signature does not match")))
    }

    @Test func hmacMatchesRFC4231TestCase2() {
        // RFC 4231 §4.3: key "Jefe", data "what do ya want for nothing?" (also what
        // `openssl dgst -sha256 -hmac Jefe` prints).
        let mac = Digest.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(mac == [
            0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95, 0x75, 0xc7,
            0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43,
        ])
        #expect(Digest.hmacSHA256(key: [UInt8](), message: [UInt8]())?.count == 32, "empty key and message still work")
    }

    @Test func aValidTokenNamesItsSubject() throws {
        let token = sign(payload: #"{"sub":"user-42","exp":\#(Int(now) + 60),"nbf":\#(Int(now) - 60)}"#)
        #expect(try authenticator.authenticate(token: token, now: now).get() == Principal(id: "jwt:user-42", kind: .jwt))
    }

    @Test func withoutSubjectTheIdIsAHashOfTheToken() throws {
        let token = sign(payload: #"{"exp":\#(Int(now) + 60)}"#)
        let principal = try authenticator.authenticate(token: token, now: now).get()
        #expect(principal.kind == .jwt)
        #expect(principal.id.hasPrefix("jwt-token:") && principal.id.count == "jwt-token:".count + 64)
        #expect(!principal.id.contains(token))
        #expect(try authenticator.authenticate(token: token, now: now + 1).get() == principal, "stable")
    }

    @Test func expiryAndNotBeforeHonourTheLeeway() {
        let expiring = sign(payload: #"{"sub":"a","exp":\#(Int(now))}"#)
        #expect(failure(expiring, at: now - 1) == nil)
        #expect(failure(expiring, at: now + 29.5) == nil, "inside the 30 s leeway")
        #expect(failure(expiring, at: now + 30) == "token_expired", "exp + leeway is already expired")
        #expect(failure(expiring, at: now + 3600) == "token_expired")

        let future = sign(payload: #"{"sub":"a","nbf":\#(Int(now) + 100)}"#)
        #expect(failure(future, at: now) == "token_not_yet_valid")
        #expect(failure(future, at: now + 69.9) == "token_not_yet_valid")
        #expect(failure(future, at: now + 70) == nil, "nbf - leeway is valid")

        let strict = ClientAuthenticator(jwtSecret: Array("s3cret-for-tests".utf8), leeway: 0)
        #expect(failure(expiring, at: now, strict) == "token_expired")
        #expect(failure(expiring, at: now - 0.001, strict) == nil)
        #expect(failure(future, at: now + 99.5, strict) == "token_not_yet_valid")
        #expect(failure(future, at: now + 100, strict) == nil)

        let fractional = sign(payload: #"{"exp":\#(now + 0.5)}"#)
        #expect(failure(fractional, at: now + 30.4) == nil)
        #expect(failure(fractional, at: now + 30.5) == "token_expired")
    }

    @Test func expirationCanBeRequired() {
        let requiring = ClientAuthenticator(jwtSecret: Array("s3cret-for-tests".utf8), requiresExpiration: true)
        #expect(failure(sign(payload: #"{"sub":"a"}"#), requiring) == "invalid_token")
        #expect(failure(sign(payload: #"{"sub":"a","exp":\#(Int(now) + 5)}"#), requiring) == nil)
        #expect(failure(sign(payload: #"{"sub":"a"}"#)) == nil, "optional by default")
    }

    @Test func aWrongSignatureIsRejected() {
        let token = sign(payload: #"{"sub":"a"}"#)
        #expect(failure(sign(payload: #"{"sub":"a"}"#, secret: "other")) == "invalid_token")
        // Flip one signature character (keeping it canonical base64url).
        var characters = Array(token)
        characters[characters.count - 2] = characters[characters.count - 2] == "A" ? "B" : "A"
        #expect(failure(String(characters)) == "invalid_token")
        // Same signature, different payload.
        let parts = token.split(separator: ".")
        let forged = parts[0] + "." + Base64URL.encode(Array(#"{"sub":"admin"}"#.utf8)) + "." + parts[2]
        #expect(failure(String(forged)) == "invalid_token")
        // A truncated signature.
        #expect(failure(String(token.dropLast(4))) == "invalid_token")
    }

    @Test func onlyHS256IsAccepted() {
        let payload = #"{"sub":"admin"}"#
        let unsigned = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8)) + "." + Base64URL.encode(Array(payload.utf8)) + "."
        #expect(failure(unsigned) == "invalid_token", "alg none with an empty signature")
        #expect(failure(sign(header: #"{"alg":"none"}"#, payload: payload)) == "invalid_token", "alg none even if MACed")
        #expect(failure(sign(header: #"{"alg":"HS512","typ":"JWT"}"#, payload: payload)) == "invalid_token")
        #expect(failure(sign(header: #"{"alg":"RS256","typ":"JWT"}"#, payload: payload)) == "invalid_token")
        #expect(failure(sign(header: #"{"alg":"hs256"}"#, payload: payload)) == "invalid_token", "alg is case-sensitive")
        #expect(failure(sign(header: #"{"typ":"JWT"}"#, payload: payload)) == "invalid_token", "no alg")
        #expect(failure(sign(header: #"{"alg":["HS256"]}"#, payload: payload)) == "invalid_token")
        #expect(failure(sign(header: #"{"alg":"HS256","typ":"jwt"}"#, payload: payload)) == nil, "typ is case-insensitive")
        #expect(failure(sign(header: #"{"alg":"HS256"}"#, payload: payload)) == nil, "typ is optional")
        #expect(failure(sign(header: #"{"alg":"HS256","typ":"JWE"}"#, payload: payload)) == "invalid_token")
        #expect(failure(sign(header: #"{"alg":"HS256","typ":1}"#, payload: payload)) == "invalid_token")
        #expect(failure(sign(header: #"{"alg":"HS256","crit":["exp"]}"#, payload: payload)) == "invalid_token")
        #expect(failure(sign(header: #"["HS256"]"#, payload: payload)) == "invalid_token")
        #expect(failure(sign(header: #"{"alg":"HS256""#, payload: payload)) == "invalid_token")
    }

    @Test func malformedShapesAreRejected() {
        let token = sign(payload: #"{"sub":"a"}"#)
        let parts = token.split(separator: ".").map(String.init)
        #expect(failure(parts[0] + "." + parts[1]) == "invalid_token", "two parts")
        #expect(failure(token + "." + parts[2]) == "invalid_token", "four parts")
        #expect(failure(token + ".") == "invalid_token")
        #expect(failure("." + parts[1] + "." + parts[2]) == "invalid_token", "empty header")
        #expect(failure("..") == "invalid_token")
        #expect(failure(parts[0] + "=." + parts[1] + "." + parts[2]) == "invalid_token", "padding")
        #expect(failure(parts[0] + "." + parts[1] + "." + parts[2] + "=") == "invalid_token")
        #expect(failure(parts[0] + ".e30+." + parts[2]) == "invalid_token", "base64, not base64url")
        #expect(failure(parts[0] + ".e3 0." + parts[2]) == "invalid_token", "whitespace")
        #expect(failure(parts[0] + ".e30x." + parts[2]) == "invalid_token", "length 1 mod 4")
        #expect(failure(parts[0] + "." + parts[1] + "." + String(parts[2].dropLast()) + "d") == "invalid_token",
                "non-zero unused bits in the last character")
    }

    @Test func payloadsMustBeObjectsWithWellTypedClaims() {
        #expect(failure(sign(payload: #"["sub"]"#)) == "invalid_token")
        #expect(failure(sign(payload: #""sub""#)) == "invalid_token")
        #expect(failure(sign(payload: "42")) == "invalid_token")
        #expect(failure(sign(payload: "not json")) == "invalid_token")
        #expect(failure(sign(payload: #"{"exp":"\#(Int(now) + 60)"}"#)) == "invalid_token", "exp as a string")
        #expect(failure(sign(payload: #"{"exp":null}"#)) == "invalid_token")
        #expect(failure(sign(payload: #"{"exp":1e999}"#)) == "invalid_token", "not finite")
        #expect(failure(sign(payload: #"{"nbf":"0"}"#)) == "invalid_token")
        #expect(failure(sign(payload: #"{"sub":42}"#)) == "invalid_token")
        #expect(failure(sign(payload: #"{"sub":""}"#)) == "invalid_token")
        #expect(failure(sign(payload: "{}")) == nil)
    }

    @Test func overlongTokensAreRejectedBeforeParsing() {
        let token = sign(payload: #"{"pad":"\#(String(repeating: "x", count: 9000))"}"#)
        #expect(failure(token) == "invalid_token")
    }

    @Test func base64URLRoundTrips() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 250) }
            let text = Base64URL.encode(bytes)
            #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
            #expect(Base64URL.decode(text) == bytes)
        }
        #expect(Base64URL.decode("_-8") == [0xFF, 0xEF])
        #expect(Base64URL.decode("") == [])
        #expect(Base64URL.decode("A") == nil)
        #expect(Base64URL.decode("AB") == nil, "unused bits must be zero")
        #expect(Base64URL.decode("AA==") == nil)
    }
}

/// Claims that bound a token beyond its signature: dates in range, `aud`, `iss`.
@Suite("JWT claims: ranges, audience, issuer")
struct JSONWebTokenClaimTests {
    let now = 1_700_000_000.0
    let secret = Array("s3cret-for-tests".utf8)

    func code(_ payload: String, _ authenticator: ClientAuthenticator) -> String? {
        guard case .failure(let failure) = authenticator.authenticate(token: sign(payload: payload), now: now) else { return nil }
        return failure.code
    }

    /// A date no Int, UInt64 or Duration conversion survives must be refused where it enters,
    /// not trap later (a session's expiry timer converts `exp` to nanoseconds).
    @Test(arguments: ["1e300", "-1", "1.8e19", "253402300800", "9223372036854775807", "99999999999999999999", "\"1700000100\"", "null", "true"])
    func outOfRangeDatesAreInvalid(_ value: String) {
        let authenticator = ClientAuthenticator(jwtSecret: secret)
        for claim in ["exp", "nbf", "iat"] {
            #expect(code(#"{"sub":"a","\#(claim)":\#(value)}"#, authenticator) == "invalid_token", "\(claim): \(value)")
        }
    }

    @Test func datesInRangeAreAccepted() throws {
        let authenticator = ClientAuthenticator(jwtSecret: secret, requiresExpiration: true)
        #expect(code(#"{"sub":"a","exp":253402300799,"iat":0,"nbf":1.5}"#, authenticator) == nil, "year 9999 is the last")
        let verified = try authenticator.verify(token: sign(payload: #"{"sub":"a","exp":\#(Int(now) + 60)}"#), now: now).get()
        #expect(verified.expiresAt == now + 60 && verified.principal == Principal(id: "jwt:a", kind: .jwt))
        #expect(try ClientAuthenticator(staticTokens: ["static-token-0123456789"]).verify(token: "static-token-0123456789", now: now).get().expiresAt == nil)
    }

    @Test func audienceMustNameThisService() {
        let authenticator = ClientAuthenticator(jwtSecret: secret, audience: "relayd")
        let exp = Int(now) + 60
        #expect(code(#"{"sub":"a","exp":\#(exp),"aud":"relayd"}"#, authenticator) == nil)
        #expect(code(#"{"sub":"a","exp":\#(exp),"aud":["billing","relayd"]}"#, authenticator) == nil)
        #expect(code(#"{"sub":"a","exp":\#(exp),"aud":"billing"}"#, authenticator) == "invalid_token")
        #expect(code(#"{"sub":"a","exp":\#(exp),"aud":["billing"]}"#, authenticator) == "invalid_token")
        #expect(code(#"{"sub":"a","exp":\#(exp)}"#, authenticator) == "invalid_token", "no aud at all")
        #expect(code(#"{"sub":"a","exp":\#(exp),"aud":"billing"}"#, ClientAuthenticator(jwtSecret: secret)) == nil, "not checked unless configured")
    }

    @Test func issuerMustMatch() {
        let authenticator = ClientAuthenticator(jwtSecret: secret, issuer: "https://auth.example")
        let exp = Int(now) + 60
        #expect(code(#"{"sub":"a","exp":\#(exp),"iss":"https://auth.example"}"#, authenticator) == nil)
        #expect(code(#"{"sub":"a","exp":\#(exp),"iss":"https://evil.example"}"#, authenticator) == "invalid_token")
        #expect(code(#"{"sub":"a","exp":\#(exp)}"#, authenticator) == "invalid_token")
    }
}
