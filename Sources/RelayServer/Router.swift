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
    /// Paths with an id at the end (`/api/streams/{id}`), by their fixed prefix.
    private var prefixRoutes: [String: [HTTPMethod: RouteHandler]] = [:]

    public init() {}

    public mutating func add(_ method: HTTPMethod, _ path: String, _ handler: @escaping RouteHandler) {
        routes[path, default: [:]][method] = handler
    }

    /// A route for every path `prefix` + one non-empty segment (no further `/`).
    public mutating func add(_ method: HTTPMethod, prefix: String, _ handler: @escaping RouteHandler) {
        prefixRoutes[prefix, default: [:]][method] = handler
    }

    /// The route a path belongs to: its handlers, and its pattern (the path itself, or the
    /// prefix plus `{id}`).
    private func match(_ path: Substring) -> (pattern: String, methods: [HTTPMethod: RouteHandler])? {
        let exact = String(path)
        if let methods = routes[exact] { return (exact, methods) }
        for (prefix, methods) in prefixRoutes where path.hasPrefix(prefix) {
            let rest = path.dropFirst(prefix.count)
            if !rest.isEmpty, !rest.contains("/") { return (prefix + "{id}", methods) }
        }
        return nil
    }

    private func methods(for path: Substring) -> [HTTPMethod: RouteHandler]? { match(path)?.methods }

    public func resolve(_ method: HTTPMethod, _ path: Substring) -> Resolution {
        guard let methods = methods(for: path) else { return .notFound }
        if let handler = methods[method] ?? (method == .head ? methods[.get] : nil) {
            return .handler(handler)
        }
        return .methodNotAllowed(allow: allowedMethods(methods))
    }

    /// The route a path belongs to, as a metric label: the path itself for exact routes, the
    /// prefix plus `{id}` for prefix routes, `unmatched` otherwise (so clients cannot mint labels).
    public func label(for path: Substring) -> String { match(path)?.pattern ?? "unmatched" }

    /// The `Allow` value for a path (RFC 9110 §10.2.1), or nil when there is no such path.
    public func allow(for path: Substring) -> String? {
        methods(for: path).map(allowedMethods)
    }

    private func allowedMethods(_ methods: [HTTPMethod: RouteHandler]) -> String {
        var names = Set(methods.keys.map(\.rawValue))
        if names.contains("GET") { names.insert("HEAD") }
        names.insert("OPTIONS")
        return names.sorted().joined(separator: ", ")
    }
}
