import HTTP1

/// A route's code: it answers through the responder, now or later, from any thread.
public typealias RouteHandler = @Sendable (HTTPRequest, HTTPResponder) -> Void

/// Exact-path routing: relayd has a handful of fixed endpoints, so a dictionary look-up
/// beats any pattern matcher. `HEAD` falls back to the `GET` handler (the server strips
/// the body).
public struct Router: Sendable {
    public enum Resolution {
        case handler(RouteHandler)
        case methodNotAllowed(allow: String)
        case notFound
    }

    private var routes: [String: [HTTPMethod: RouteHandler]] = [:]

    public init() {}

    public mutating func add(_ method: HTTPMethod, _ path: String, _ handler: @escaping RouteHandler) {
        routes[path, default: [:]][method] = handler
    }

    public func resolve(_ method: HTTPMethod, _ path: Substring) -> Resolution {
        guard let methods = routes[String(path)] else { return .notFound }
        if let handler = methods[method] ?? (method == .head ? methods[.get] : nil) {
            return .handler(handler)
        }
        return .methodNotAllowed(allow: allowedMethods(methods))
    }

    /// The `Allow` value for a path (RFC 9110 §10.2.1), or nil when there is no such path.
    public func allow(for path: Substring) -> String? {
        routes[String(path)].map(allowedMethods)
    }

    private func allowedMethods(_ methods: [HTTPMethod: RouteHandler]) -> String {
        var names = Set(methods.keys.map(\.rawValue))
        if names.contains("GET") { names.insert("HEAD") }
        names.insert("OPTIONS")
        return names.sorted().joined(separator: ", ")
    }
}
