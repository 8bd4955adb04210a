/// The browser files compiled into relayd (see `EmbeddedWebFile`) and their routes.
///
/// The client module and its typings are served always: other sites import
/// `/relay-client.js` from their relay. The demo page (`/`, and every other file by its
/// name) can be left out, for a relay that should offer an API and nothing to look at.
public struct WebAssets: Sendable {
    /// Served whether or not the demo page is.
    public static let clientModuleNames: Set<String> = ["relay-client.js", "relay-client.d.ts"]
    /// The file `/` serves.
    public static let pageName = "index.html"

    let assets: [String: WebAsset]

    /// Prepares every file (headers, tags, gzip bodies); a few milliseconds, once.
    init(files: [EmbeddedWebFile]) {
        assets = Dictionary(files.map { ($0.name, WebAsset($0)) }, uniquingKeysWith: { first, _ in first })
    }

    /// The files this build embedded.
    public static func embedded() -> WebAssets { WebAssets(files: EmbeddedWebFile.all) }

    public var names: [String] { assets.keys.sorted() }

    /// The paths served, sorted: the client module's, and with `demoPage` the page's too.
    public func paths(demoPage: Bool) -> [String] {
        routes(demoPage: demoPage).map(\.path).sorted()
    }

    func install(on router: inout Router, demoPage: Bool) {
        for (path, asset) in routes(demoPage: demoPage) {
            router.add(.get, path) { request, responder in responder.respond(asset.response(to: request.headers)) }
        }
    }

    private func routes(demoPage: Bool) -> [(path: String, asset: WebAsset)] {
        var routes: [(path: String, asset: WebAsset)] = []
        for (name, asset) in assets where demoPage || Self.clientModuleNames.contains(name) {
            routes.append(("/" + name, asset))
            if demoPage, name == Self.pageName { routes.append(("/", asset)) }
        }
        return routes
    }
}
