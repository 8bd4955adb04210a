import JSON

/// Verifies a JWT in JWS compact form (RFC 7519 §7.2, RFC 7515 §7.1) signed with HS256
/// (RFC 7518 §3.2), and only HS256: the algorithm is fixed by configuration, never chosen by
/// the token, so "alg":"none" and algorithm confusion (a public key used as an HMAC secret)
/// cannot get in.
///
/// Order matters: shape, header, then the signature, and only then the payload, so nothing
/// an unauthenticated client wrote is interpreted beyond the header.
struct JSONWebTokenVerifier: Sendable {
    let secret: [UInt8]
    /// Clock skew tolerated on `exp` and `nbf` (RFC 7519 §4.1.4: "a small leeway").
    let leeway: Double
    let requiresExpiration: Bool
    /// When set, `aud` must name it (RFC 7519 §4.1.3): a token minted for another service
    /// with the same secret is not accepted here.
    var audience: String?
    /// When set, `iss` must equal it (RFC 7519 §4.1.1).
    var issuer: String?

    /// The largest NumericDate accepted: 9999-12-31T23:59:59Z. A claim beyond it (1e300, a
    /// date in milliseconds by mistake) is refused rather than carried into timers and integer
    /// conversions, where it would trap.
    static let latestNumericDate = 253_402_300_799.0

    /// The claims relayd uses from a verified token.
    struct Claims: Equatable {
        var subject: String?
        var expiresAt: Double?
    }

    func verify(_ token: String, now: Double) -> Result<Claims, AuthFailure> {
        let parts = token.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty else {
            return .failure(.invalid("a JWT has three non-empty parts"))
        }
        guard let headerBytes = Base64URL.decode(bytes: parts[0]),
              let payloadBytes = Base64URL.decode(bytes: parts[1]),
              let signature = Base64URL.decode(bytes: parts[2]) else {
            return .failure(.invalid("the JWT is not base64url"))
        }

        // RFC 7515 §4.1: the header is a JSON object naming the algorithm.
        guard let header = try? JSONDocument(parsing: headerBytes).root, header.isObject else {
            return .failure(.invalid("the JWT header is not a JSON object"))
        }
        guard header["alg"]?.string == "HS256" else {
            return .failure(.invalid("the JWT algorithm must be HS256"))
        }
        if let type = header["typ"], type.string?.uppercased() != "JWT" {
            return .failure(.invalid("the JWT type must be JWT"))
        }
        // RFC 7515 §4.1.11: extensions listed in "crit" must be understood; relayd knows none.
        if header["crit"] != nil {
            return .failure(.invalid("the JWT has critical header extensions"))
        }

        // RFC 7515 §5.2: the MAC covers the two encoded parts exactly as sent.
        let signingInput = token.utf8[parts[0].startIndex..<parts[1].endIndex]
        guard let expected = Digest.hmacSHA256(key: secret, message: signingInput),
              ConstantTime.equals(expected, signature) else {
            return .failure(.invalid("the JWT signature does not match"))
        }

        guard let payload = try? JSONDocument(parsing: payloadBytes).root, payload.isObject else {
            return .failure(.invalid("the JWT payload is not a JSON object"))
        }
        var claims = Claims()
        // RFC 7519 §4.1.4-6: NumericDate, seconds since the epoch; fractions allowed. Each is
        // range-checked where it enters (0 to year 9999), so no later arithmetic can trap.
        func numericDate(_ name: String) -> Result<Double?, AuthFailure> {
            guard let claim = payload[name] else { return .success(nil) }
            guard let value = claim.double, value.isFinite, value >= 0, value <= Self.latestNumericDate else {
                return .failure(.invalid("the JWT \(name) claim is not a date between 1970 and 9999"))
            }
            return .success(value)
        }
        let expiration: Double?, notBefore: Double?
        switch (numericDate("exp"), numericDate("nbf"), numericDate("iat")) {
        case (.failure(let failure), _, _), (_, .failure(let failure), _), (_, _, .failure(let failure)):
            return .failure(failure)
        case (.success(let exp), .success(let nbf), .success):
            (expiration, notBefore) = (exp, nbf)
        }
        if let expiration {
            guard now < expiration + leeway else { return .failure(.expired) }
            claims.expiresAt = expiration
        } else if requiresExpiration {
            return .failure(.invalid("the JWT has no exp claim"))
        }
        if let notBefore {
            guard now >= notBefore - leeway else { return .failure(.notYetValid) }
        }
        if let issuer {
            guard payload["iss"]?.string == issuer else { return .failure(.invalid("the JWT issuer is not accepted here")) }
        }
        if let audience {
            // A string, or an array of strings (RFC 7519 §4.1.3).
            let claim = payload["aud"]
            let audiences = claim?.string.map { [$0] } ?? (claim?.kind == .array ? claim!.elements.compactMap(\.string) : [])
            guard audiences.contains(audience) else { return .failure(.invalid("the JWT audience is not this service")) }
        }
        if let subject = payload["sub"] {
            guard let value = subject.string, !value.isEmpty else {
                return .failure(.invalid("the JWT sub claim is not a non-empty string"))
            }
            claims.subject = value
        }
        return .success(claims)
    }
}
