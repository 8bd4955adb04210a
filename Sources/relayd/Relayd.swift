import ArgumentParser
import Dispatch
import Logging
import RelayServer
import TLS
import Upstream
#if canImport(Glibc)
import Glibc
#endif

@main
struct Relayd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relayd",
        abstract: "Keeps LLM chat streams alive between browsers and model providers.",
        discussion: """
            Every option can also be set by the environment variable named in its help; a flag \
            wins over the variable. On Railway, PORT is set for you.

            Model providers are configured by environment variables only (keys never go on a \
            command line): OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY, DEEPSEEK_API_KEY, \
            DASHSCOPE_API_KEY, MOONSHOT_API_KEY, ZHIPU_API_KEY, SILICONFLOW_API_KEY, \
            OPENROUTER_API_KEY, GROQ_API_KEY, OLLAMA_BASE_URL, VLLM_BASE_URL, with <NAME>_BASE_URL, \
            <NAME>_MODELS, <NAME>_DEFAULT_MODEL and <NAME>_FALLBACK; see the README. Without any, \
            the built-in demo provider answers. HTTPS_PROXY, HTTP_PROXY, ALL_PROXY and NO_PROXY \
            are honoured for provider connections.
            """,
        version: RelaydVersion.string
    )

    @Option(help: "Address to listen on. The default answers this machine only; '::' listens on IPv6 and IPv4 (falling back to 0.0.0.0), for a deployment (the Docker image sets it). (env: RELAYD_HOST; default: 127.0.0.1)")
    var host: String?

    @Option(help: "Port to listen on. (env: PORT; default: 8000)")
    var port: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical. (env: RELAYD_LOG_LEVEL; default: info)")
    var logLevel: String?

    @Option(help: "text, or json for one JSON object per line. (env: RELAYD_LOG_FORMAT; default: text)")
    var logFormat: String?

    @Option(help: "Origins whose pages may call relayd (CORS, WebSocket upgrades, POST and DELETE), comma-separated: exact origins, patterns such as https://*.vercel.app or http://localhost:*, * for any, or none. Same-origin pages always may. (env: RELAYD_CORS_ORIGINS; default: http://localhost:*, http://127.0.0.1:*, http://[::1]:*)")
    var corsOrigins: String?

    @Option(help: "Host names relayd answers to (DNS-rebinding defence), comma-separated; .example.com allows subdomains; * for any. /health answers any. (env: RELAYD_ALLOWED_HOSTS; default: localhost, 127.0.0.1 and [::1] when listening on loopback, else any)")
    var allowedHosts: String?

    @Option(help: "Open connections beyond this get 503. (env: RELAYD_MAX_CONNECTIONS; default: 10000)")
    var maxConnections: String?

    @Option(help: "Seconds a shutdown (SIGTERM) waits for in-flight responses before closing them. (env: RELAYD_DRAIN_SECONDS; default: 25)")
    var drainSeconds: String?

    @Option(help: "Seconds a client has to send a request head before 408. (env: RELAYD_HEADER_TIMEOUT; default: 10)")
    var headerTimeout: String?

    @Option(help: "Seconds a client has to send a whole request body before 408. (env: RELAYD_BODY_TIMEOUT; default: 60)")
    var bodyTimeout: String?

    @Option(help: "Request body bytes all connections together may hold while they arrive; more get 503 server_busy. (env: RELAYD_MAX_BODY_BYTES_IN_FLIGHT; default: 67108864)")
    var maxBodyBytesInFlight: String?

    @Option(help: "Seconds an idle keep-alive connection stays open. (env: RELAYD_IDLE_TIMEOUT; default: 75)")
    var idleTimeout: String?

    @Option(help: "Seconds a client may take no output while some is waiting for it before it is closed. (env: RELAYD_SEND_TIMEOUT; default: 60)")
    var sendTimeout: String?

    @Option(help: "Largest request body in bytes; larger gets 413. (env: RELAYD_MAX_BODY_BYTES; default: 1048576)")
    var maxBodyBytes: String?

    @Option(help: "Event loops (threads, each waiting in epoll for its connections). (env: RELAYD_LOOPS; default: the CPUs this process may use)")
    var loops: String?

    @Option(help: "Largest WebSocket message in bytes (after decompression); larger closes with 1009. (env: RELAYD_WS_MAX_MESSAGE_BYTES; default: 1048576)")
    var wsMaxMessageBytes: String?

    @Option(help: "Seconds between the server's WebSocket pings; no frame from a client for two intervals plus 10 s closes it. (env: RELAYD_WS_PING_INTERVAL; default: 25)")
    var wsPingInterval: String?

    @Option(help: "Unsent bytes a WebSocket client may fall behind by before it is closed with 4000 (reconnect and resume). (env: RELAYD_WS_MAX_OUTBOUND_BYTES; default: 1048576)")
    var wsMaxOutboundBytes: String?

    @Option(help: "Pace of the built-in demo provider, in tokens per second. (env: RELAYD_DEMO_TOKENS_PER_SECOND; default: 30)")
    var demoTokensPerSecond: String?

    @Option(help: "A JSON file of custom providers (OpenAI-compatible gateways and the like); see the README. (env: RELAYD_PROVIDERS_FILE)")
    var providersFile: String?

    @Option(help: "Seconds to resolve and connect to a provider (or the proxy). (env: RELAYD_UPSTREAM_CONNECT_TIMEOUT; default: 10)")
    var upstreamConnectTimeout: String?

    @Option(help: "Seconds from a request to the provider's answer; reasoning models think first. (env: RELAYD_UPSTREAM_FIRST_BYTE_TIMEOUT; default: 60)")
    var upstreamFirstByteTimeout: String?

    @Option(help: "Seconds without data from a provider mid-answer before upstream_timeout. (env: RELAYD_UPSTREAM_IDLE_TIMEOUT; default: 60)")
    var upstreamIdleTimeout: String?

    @Option(help: "Seconds one answer may take in all. (env: RELAYD_UPSTREAM_TOTAL_TIMEOUT; default: 900)")
    var upstreamTotalTimeout: String?

    @Option(help: "Retries of a failed provider request before anything reached the client. (env: RELAYD_UPSTREAM_RETRIES; default: 2)")
    var upstreamRetries: String?

    @Option(help: "Seconds a chat keeps generating with no client attached before its provider is stopped. (env: RELAYD_DETACH_TIMEOUT; default: 120)")
    var detachTimeout: String?

    @Option(help: "Seconds a finished stream can still be resumed. (env: RELAYD_STREAM_TTL; default: 300)")
    var streamTTL: String?

    @Option(help: "Bytes of events one stream keeps for resuming. (env: RELAYD_MAX_STREAM_BYTES; default: 2097152)")
    var maxStreamBytes: String?

    @Option(help: "Bytes of events all streams keep; past it the oldest finished streams go. (env: RELAYD_MAX_STREAMS_BYTES; default: 268435456)")
    var maxStreamsBytes: String?

    @Option(help: "Seconds between SSE ping comments while a stream is silent. (env: RELAYD_SSE_PING_INTERVAL; default: 15)")
    var ssePingInterval: String?

    @Option(help: "Seconds an SSE response may last before it ends with a resume event (proxies cap request time). (env: RELAYD_SSE_MAX_SECONDS; default: 600)")
    var sseMaxSeconds: String?

    @Flag(help: "Turn off permessage-deflate. (env: RELAYD_NO_DEFLATE=1)")
    var noDeflate = false

    @Flag(help: "Do not serve the demo page at / (the client module /relay-client.js and its typings stay served). (env: RELAYD_NO_DEMO_PAGE=1)")
    var noDemoPage = false

    @Option(help: "A file of client bearer tokens, one per line; clients must then authenticate. Tokens never go on the command line. (env: RELAYD_AUTH_TOKENS_FILE; the tokens themselves, comma-separated: RELAYD_AUTH_TOKENS)")
    var authTokensFile: String?

    @Option(help: "A file holding the HS256 secret for client JWTs (exp and nbf checked); clients must then authenticate. (env: RELAYD_JWT_SECRET_FILE; the secret itself: RELAYD_JWT_SECRET)")
    var jwtSecretFile: String?

    @Flag(inversion: .prefixedNo, help: "Refuse client JWTs without an exp claim; on unless --no-jwt-require-exp. (env: RELAYD_JWT_REQUIRE_EXP=0 to turn off)")
    var jwtRequireExp: Bool?

    @Option(help: "When set, a client JWT's aud claim must name this audience. (env: RELAYD_JWT_AUDIENCE)")
    var jwtAudience: String?

    @Option(help: "When set, a client JWT's iss claim must equal this issuer. (env: RELAYD_JWT_ISSUER)")
    var jwtIssuer: String?

    @Option(help: "A file holding the admin token for /api/status and /metrics. (env: RELAYD_ADMIN_TOKEN_FILE; the token itself: RELAYD_ADMIN_TOKEN)")
    var adminTokenFile: String?

    @Flag(help: "Serve /metrics without the admin token (a private network). Without an admin token and this flag, /metrics answers only requests from this machine. (env: RELAYD_METRICS_PUBLIC=1)")
    var metricsPublic = false

    @Flag(help: "Take the client IP from X-Forwarded-For / X-Real-IP: only behind a proxy that sets them (Railway does). (env: RELAYD_TRUST_PROXY=1)")
    var trustProxy = false

    @Option(help: "With --trust-proxy: how many proxies in front of relayd append to X-Forwarded-For, 1 to 10; the client is that many entries from the right. (env: RELAYD_TRUSTED_PROXY_HOPS; default: 1, Railway's edge)")
    var trustedProxyHops: String?

    @Option(help: "Open connections per client IP; more get 429. (env: RELAYD_MAX_CONNECTIONS_PER_IP; default: off)")
    var maxConnectionsPerIp: String?

    @Option(help: "New connections per client IP per second, with bursts of twice that; more get 429. (env: RELAYD_NEW_CONNECTIONS_PER_IP_PER_SECOND; default: off)")
    var newConnectionsPerIpPerSecond: String?

    @Option(help: "Chats streaming at once per client (token, or IP without authentication). (env: RELAYD_MAX_STREAMS_PER_CLIENT; default: 100)")
    var maxStreamsPerClient: String?

    @Option(help: "Chats streaming at once on one WebSocket; more get too_many_streams. (env: RELAYD_MAX_STREAMS_PER_CONNECTION; default: 64)")
    var maxStreamsPerConnection: String?

    @Option(help: "Chats streaming at once, all clients together; more get 503 server_busy. (env: RELAYD_MAX_LIVE_STREAMS; default: 10000)")
    var maxLiveStreams: String?

    @Option(help: "Bytes of chat requests (their messages) the chats streaming now may hold together; more get 503 server_busy. (env: RELAYD_MAX_REQUEST_BYTES_IN_FLIGHT; default: 268435456)")
    var maxRequestBytesInFlight: String?

    @Option(help: "Chats a client may start per minute (a token bucket with bursts of that many). (env: RELAYD_CHATS_PER_MINUTE; default: off)")
    var chatsPerMinute: String?

    @Option(help: "Models clients may ask for, per provider: 'openai=gpt-4o-mini|gpt-4o,deepseek=deepseek-chat'; providers not named allow all their models. (env: RELAYD_ALLOWED_MODELS)")
    var allowedModels: String?

    @Option(help: "Serve a WebSocket echo endpoint at this path, for conformance testing (the Autobahn testsuite); off unless set. (env: RELAYD_ECHO_PATH)")
    var echoPath: String?

    /// `--max-connections` for `RELAYD_MAX_CONNECTIONS` (and `--port` for `PORT`), for messages.
    static func flagName(for variable: String) -> String {
        variable.replacingPrefix("RELAYD_").lowercased().split(separator: "_").joined(separator: "-")
    }

    func run() throws {
        let settings: Settings
        do {
            settings = try Settings(options: self, environment: Self.environment())
        } catch {
            throw ValidationError("\(error)")
        }
        let level = settings.logLevel
        let format = settings.logFormat
        LoggingSystem.bootstrap { label in
            var handler: LogHandler = format == .json
                ? JSONLogHandler(label: label)
                : TextLogHandler(label: label) // escapes control characters: clients control some values
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "relayd")
        let server = HTTPServer(configuration: settings.server, logger: logger)
        var upstream: UpstreamClient?
        let providers = try Self.providers(settings: settings, logger: logger, upstream: &upstream)
        server.upstream = upstream
        server.relayWebSocket("/ws", configuration: settings.webSocket, providers: providers, streams: settings.streams, sse: settings.sse)
        let webPaths = server.webClient(demoPage: settings.demoPage)
        if let echoPath = settings.echoPath {
            var conformance = WebSocketConfiguration.conformance
            conformance.deflate = settings.webSocket.deflate
            conformance.pingInterval = settings.webSocket.pingInterval
            server.echoWebSocket(echoPath, configuration: conformance)
        }
        do {
            try server.start()
        } catch {
            logger.critical("cannot listen", metadata: ["host": "\(settings.server.host)", "port": "\(settings.server.port)", "error": "\(error)"])
            throw ExitCode(1)
        }
        var summary = settings.summary
        summary["address"] = "\(server.localAddress.map(String.init(describing:)) ?? "?")"
        summary["web"] = "\(webPaths.joined(separator: ","))"
        logger.info("relayd started", metadata: summary)
        if settings.exposesProviderKeys(providers: providers.order) {
            logger.warning("relayd listens beyond this machine without client authentication while paid providers are configured: anyone who can reach it can spend your provider keys. Set RELAYD_AUTH_TOKENS or RELAYD_JWT_SECRET (see the README's production checklist)", metadata: [
                "address": "\(server.localAddress.map(String.init(describing:)) ?? "?")",
                "providers": "\(providers.order.filter { $0 != "demo" }.joined(separator: ","))",
            ])
        }
        if settings.server.cors.allowsAnyOrigin, providers.order.contains(where: { $0 != "demo" }) {
            logger.warning("--cors-origins * lets any web page a user visits call relayd with your provider keys; name your front end's origins instead")
        }
        let watcher = SignalWatcher { signal in
            logger.info("shutting down: draining", metadata: [
                "signal": "\(signal == SIGTERM ? "SIGTERM" : "SIGINT")",
                "drain_s": "\(settings.server.drainSeconds)",
                "connections": "\(server.connectionCount)",
            ])
            server.shutdown {
                logger.info("stopped")
                Glibc.exit(0)
            }
        }
        withExtendedLifetime(watcher) { dispatchMain() }
    }

    /// The configured upstream providers (names only are logged), then `demo`, which is the
    /// default when nothing else is configured.
    static func providers(settings: Settings, logger: Logger, upstream: inout UpstreamClient?) throws -> ProviderRegistry {
        var tls: TLSClientConfiguration?
        do {
            tls = try TLSClientConfiguration()
        } catch {
            logger.error("TLS is unavailable; https providers will fail", metadata: ["error": "\(error)"])
        }
        let environment = environment()
        let configured: [any Provider]
        let proxy: ProxyConfiguration
        var skipped: [String] = []
        do {
            proxy = try ProxyConfiguration(environment: environment)
            let client = UpstreamClient(tls: tls, timeouts: settings.upstreamTimeouts, proxy: proxy)
            upstream = client
            var providers: [any Provider] = try ProviderPreset.configured(environment: environment, client: client,
                                                                         retryPolicy: settings.retryPolicy)
            var chains: [String: [String]] = [:]
            if let path = settings.providersFile {
                let file = try ProviderFile(contentsOf: path).providers(environment: environment, client: client,
                                                                         retryPolicy: settings.retryPolicy)
                providers += file.providers
                chains = file.fallbacks
                skipped = file.skipped
            }
            configured = try ProviderPreset.applyingFallbacks(to: providers, environment: environment, chains: chains)
        } catch {
            throw ValidationError("\(error)")
        }
        if !skipped.isEmpty {
            logger.warning("providers in the providers file without their key variable are off", metadata: ["providers": "\(skipped.joined(separator: ","))"])
        }
        logger.info("providers", metadata: [
            "configured": "\(configured.map(\.name).joined(separator: ","))",
            "default": "\(configured.first?.name ?? "demo")",
            "https_proxy": "\(proxy.httpsProxy.map(String.init(describing:)) ?? "none")",
            "http_proxy": "\(proxy.httpProxy.map(String.init(describing:)) ?? "none")",
        ])
        return ProviderRegistry(configured + [DemoProvider(tokensPerSecond: settings.demoTokensPerSecond)])
    }

    static func environment() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}

extension String {
    func replacingPrefix(_ prefix: String) -> String {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : self
    }
}
