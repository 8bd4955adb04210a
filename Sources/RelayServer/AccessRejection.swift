import Access
import HTTP1
import JSON

/// A request or connection turned away by a policy.
struct AccessRejection: Error {
    var status: HTTPStatus
    var code: String
    var message: String
    var retryAfter: Int?
    /// The WWW-Authenticate challenge of a 401.
    var challenge: String?
    /// The `reason` label of `relayd_rejected_total`.
    var reason: String

    var response: HTTPResponse {
        var headers = HeaderFields()
        if let retryAfter { headers.add("Retry-After", String(retryAfter)) }
        if let challenge { headers.add("WWW-Authenticate", challenge) }
        return .error(status, code: code, message: message, headers: headers)
    }

    /// The same refusal as a WebSocket `error` event.
    func event(id: String?) -> String {
        var text = "{\"type\":\"error\""
        if let id { text += ",\"id\":\(JSONText.quote(id))" }
        text += ",\"code\":\(JSONText.quote(code)),\"message\":\(JSONText.quote(message)),\"retryable\":\(retryAfter != nil)"
        if let retryAfter { text += ",\"retry_after\":\(retryAfter)" }
        return text + "}"
    }

    static func unauthorized(_ failure: AuthFailure) -> AccessRejection {
        AccessRejection(status: .unauthorized, code: failure.reason == .missingToken ? "unauthorized" : failure.code,
                        message: failure.message, challenge: failure.challenge, reason: "unauthorized")
    }
}
