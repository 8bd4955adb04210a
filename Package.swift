// swift-tools-version:6.0
//
// Layering (each arrow is a dependency; nothing points back up):
//
//   relayd (executable: CLI, signals, logging setup)
//     └─ RelayServer (routes, CORS, health, HTTP and WebSocket connection policy, drain)
//          ├─ RelayIO   (the only target that calls socket/accept/read/write)
//          ├─ WebSocket (pure RFC 6455 frames, messages, handshake, RFC 7692 deflate; no sockets)
//          ├─ Upstream  (providers, stream decoders, the HTTP/1.1 client with TLS and proxies)
//          ├─ SSE       (pure text/event-stream parser and encoder, WHATWG rules)
//          ├─ JSON      (pure RFC 8259 parser: flat tokens, values decoded on demand)
//          ├─ Streams   (pure: stream events with their seq, bounded replay buffers)
//          ├─ Access    (pure: bearer tokens and HS256 JWTs, rate and concurrency limits, client IP)
//          ├─ TLS       (OpenSSL client sessions over memory buffers; no sockets)
//          └─ HTTP1     (pure HTTP/1.1 parser and encoder: bytes in, values out; no sockets)
//   COpenSSL, CZlib: system-library shims for libcrypto (SHA-1) and zlib (permessage-deflate,
//   gzip of the web files); CSystemShims: the two GNU-only calls RelayIO needs (accept4,
//   sched_getaffinity).
//   EmbedWebAssets (build-tool plugin) runs embed-web-assets (a host tool) to compile the
//   top-level files of web/ into RelayServer, so the binary alone serves the browser client.
import PackageDescription

let package = Package(
    name: "relayd",
    products: [
        .executable(name: "relayd", targets: ["relayd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.1.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"]), .brew(["openssl"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        .target(name: "CSystemShims"),
        .target(name: "HTTP1"),
        .target(name: "WebSocket", dependencies: ["HTTP1", "COpenSSL", "CZlib"]),
        .target(name: "SSE"),
        .target(name: "JSON"),
        .target(name: "Streams"),
        .target(name: "Access", dependencies: ["COpenSSL", "JSON", "HTTP1"]),
        .target(name: "TLS", dependencies: ["COpenSSL"]),
        .target(name: "Upstream", dependencies: ["SSE", "HTTP1", "TLS", "RelayIO", "JSON"]),
        .target(name: "RelayIO", dependencies: ["CSystemShims"]),
        .target(
            name: "RelayServer",
            dependencies: [
                "HTTP1",
                "WebSocket",
                "Upstream",
                "RelayIO",
                "JSON",
                "Streams",
                "Access",
                "CZlib",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            plugins: ["EmbedWebAssets"]
        ),
        .executableTarget(name: "embed-web-assets"),
        .plugin(name: "EmbedWebAssets", capability: .buildTool(), dependencies: ["embed-web-assets"]),
        .executableTarget(
            name: "relayd",
            dependencies: [
                "RelayServer",
                "Upstream",
                "HTTP1",
                "TLS",
                "Access",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1"]),
        .testTarget(name: "RelayIOTests", dependencies: ["RelayIO"]),
        .testTarget(name: "WebSocketTests", dependencies: ["WebSocket", "HTTP1"]),
        .testTarget(name: "SSETests", dependencies: ["SSE"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "StreamsTests", dependencies: ["Streams"]),
        .testTarget(name: "AccessTests", dependencies: ["Access"]),
        .testTarget(name: "TLSTests", dependencies: ["TLS", "COpenSSL"]),
        .testTarget(name: "UpstreamTests", dependencies: ["Upstream", "SSE"]),
        .testTarget(
            name: "RelayServerTests",
            dependencies: ["RelayServer", "HTTP1", "RelayIO", "WebSocket", "Upstream", "SSE"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
