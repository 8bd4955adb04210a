import Access
import Testing

@Suite("Static tokens and bearer headers")
struct StaticTokenTests {
    let authenticator = ClientAuthenticator(staticTokens: ["alpha-token-1", "beta-token-2", ""])

    @Test func configuredTokensAreAcceptedWithADigestId() throws {
        let principal = try authenticator.authenticate(token: "alpha-token-1", now: 0).get()
        #expect(principal.kind == .staticToken)
        #expect(principal.id.hasPrefix("token:") && principal.id.count == "token:".count + 64, "the whole digest")
        #expect(!principal.id.contains("alpha"))
        #expect(principal == Principal.staticToken("alpha-token-1"))
        #expect(try authenticator.authenticate(token: "beta-token-2", now: 0).get() != principal)
        // SHA-256("abc") = ba7816bf…
        #expect(Principal.staticToken("abc").id == "token:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func otherTokensAreRejected() {
        for token in ["alpha-token-", "alpha-token-1 ", "alpha-token-11", "ALPHA-TOKEN-1", "x", "a.b.c"] {
            guard case .failure(let failure) = authenticator.authenticate(token: token, now: 0) else {
                Issue.record("accepted \(token)")
                continue
            }
            #expect(failure.code == "invalid_token")
            #expect(!failure.message.contains(token))
            #expect(failure.challenge.contains(#"error="invalid_token""#))
        }
        #expect(authenticator.authenticate(token: nil, now: 0) == .failure(AuthFailure(.missingToken, "an Authorization: Bearer token is required")))
        #expect((try? authenticator.authenticate(token: "", now: 0).get()) == nil, "the empty configured token is ignored")
        if case .failure(let failure) = authenticator.authenticate(token: nil, now: 0) {
            #expect(failure.code == "missing_token")
            #expect(failure.challenge == #"Bearer realm="relayd""#)
        }
    }

    @Test func staticTokensAndJWTsTogether() throws {
        let both = ClientAuthenticator(staticTokens: ["a.b.c"], jwtSecret: Array("k".utf8))
        #expect(both.isEnabled)
        #expect(try both.authenticate(token: "a.b.c", now: 0).get().kind == .staticToken, "a static token that looks like a JWT")
        #expect((try? both.authenticate(token: "a.b.d", now: 0).get()) == nil)
    }

    @Test func disabledAuthenticationIsAnonymousOrFailsClosed() throws {
        let off = ClientAuthenticator(staticTokens: [""], jwtSecret: [])
        #expect(!off.isEnabled)
        #expect(ClientAuthenticator(jwtSecret: [1]).isEnabled)
        #expect(try off.authenticate(token: "anything", now: 0, anonymousID: "ip:1.2.3.4").get() == .anonymous(id: "ip:1.2.3.4"))
        #expect(try off.authenticate(token: nil, now: 0, anonymousID: "ip:::1").get() == Principal(id: "ip:::1", kind: .anonymous))
        #expect((try? off.authenticate(token: "anything", now: 0).get()) == nil)
        #expect((try? authenticator.authenticate(token: nil, now: 0, anonymousID: "ip:1.2.3.4").get()) == nil, "enabled: a token is needed")
        #expect(try authenticator.authenticate(token: "beta-token-2", now: 0, anonymousID: "ip:1.2.3.4").get().kind == .staticToken)
    }

    @Test func bearerHeaders() {
        let parse = ClientAuthenticator.bearerToken(fromAuthorization:)
        #expect(parse("Bearer abc") == "abc")
        #expect(parse("bearer abc") == "abc")
        #expect(parse("BEARER   abc") == "abc")
        #expect(parse("  Bearer abc\t") == "abc")
        #expect(parse("Bearer a-b.c_d~e+f/g==") == "a-b.c_d~e+f/g==")
        #expect(parse("Bearer eyJ.eyJ.sig") == "eyJ.eyJ.sig")
        #expect(parse(nil) == nil)
        #expect(parse("") == nil)
        #expect(parse("Bearer") == nil)
        #expect(parse("Bearer ") == nil)
        #expect(parse("Bearer  ") == nil)
        #expect(parse("Bearer =") == nil, "padding alone is no token")
        #expect(parse("Bearer a=b") == nil, "= only at the end")
        #expect(parse("Bearer\tabc") == nil, "the separator is a space")
        #expect(parse("Bearerabc") == nil)
        #expect(parse("Basic dXNlcjpwYXNz") == nil)
        #expect(parse("Bearer a b") == nil)
        #expect(parse("Bearer a,b") == nil)
        #expect(parse("Bearer a\"b") == nil)
        #expect(parse("Bearer abc\r\nX: y") == nil)
        #expect(parse("Bearer tökén") == nil)
        #expect(parse("Beare abc") == nil)
        #expect(parse("Bearex abc") == nil)
    }
}
