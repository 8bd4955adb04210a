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
        // RFC 7519 §4.1.4, §4.1.5: NumericDate, seconds since the epoch; fractions allowed.
        if let expiration = payload["exp"] {
            guard let value = expiration.double, value.isFinite else {
                return .failure(.invalid("the JWT exp claim is not a number"))
            }
            guard now < value + leeway else { return .failure(.expired) }
            claims.expiresAt = value
        } else if requiresExpiration {
            return .failure(.invalid("the JWT has no exp claim"))
        }
        if let notBefore = payload["nbf"] {
            guard let value = notBefore.double, value.isFinite else {
                return .failure(.invalid("the JWT nbf claim is not a number"))
            }
            guard now >= value - leeway else { return .failure(.notYetValid) }
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
