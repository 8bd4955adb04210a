import Access
import Foundation
import HTTP1
import Logging
import RelayServer
import Upstream

/// Turns flags and environment variables into a configuration. Flags win over the
/// environment; the environment wins over defaults. Railway and Docker set variables, a
/// developer types flags.
struct Settings {
    var server = ServerConfiguration()
    var webSocket = WebSocketConfiguration()
    var echoPath: String?
    /// The demo page at `/`; the client module is served either way.
    var demoPage = true
    var demoTokensPerSecond: Double = 30
    var upstreamTimeouts = UpstreamClient.Timeouts()
    var retryPolicy = RetryPolicy()
    var providersFile: String?
    var streams = StreamConfiguration()
    var sse = SSEConfiguration()
    var logLevel: Logger.Level = .info
    var logFormat: LogFormat = .text

    enum LogFormat: String { case text, json }

    /// Whether `host` (a listen address) is reachable from this machine only.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// Whether relayd can spend a provider's key for whoever reaches it: it listens beyond
    /// loopback, without client authentication, with a provider other than `demo`.
    func exposesProviderKeys(providers: [String]) -> Bool {
        !Self.isLoopback(server.host) && !server.access.authenticator.isEnabled && providers.contains { $0 != "demo" }
    }

    /// The longest duration any setting takes: a year.
    static let maximumSeconds = 31_536_000.0
    /// The largest byte size a setting takes, but for the total stream cap.
    static let maximumBytes = 1 << 30

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    init(options: Relayd, environment: [String: String]) throws {
        func value(_ flag: String?, _ variable: String) -> (String, String)? {
            if let flag { return (flag, "--" + Relayd.flagName(for: variable)) }
            if let env = environment[variable], !env.isEmpty { return (env, variable) }
            return nil
        }
        /// A number within `minimum...maximum`. Every setting has a maximum: `inf`, `1e300` or
        /// `Int.max` would pass a lower bound and trap later, in a conversion to nanoseconds
        /// or a sum, with every client's stream in flight.
        func number<T: LosslessStringConvertible & Comparable>(_ flag: String?, _ variable: String, minimum: T, maximum: T) throws -> T? {
            guard let (text, source) = value(flag, variable) else { return nil }
            guard let number = T(String(text.trimmingOWS())), number >= minimum, number <= maximum else {
                throw Invalid(description: "\(source) must be a number from \(minimum) to \(maximum), got '\(text)'")
            }
            return number
        }
        /// Durations: up to a year (and so, in nanoseconds, far inside Int64).
        func seconds(_ flag: String?, _ variable: String, minimum: Double) throws -> Double? {
            try number(flag, variable, minimum: minimum, maximum: Self.maximumSeconds)
        }
        /// Byte sizes: up to 1 GiB each (the total stream cap: 1 TiB).
        func bytes(_ flag: String?, _ variable: String, minimum: Int, maximum: Int = Self.maximumBytes) throws -> Int? {
            try number(flag, variable, minimum: minimum, maximum: maximum)
        }
        if let (host, _) = value(options.host, "RELAYD_HOST") { server.host = host }
        if let port: Int = try number(options.port, "PORT", minimum: 0, maximum: 65535) { server.port = port }
        if let (text, source) = value(options.logLevel, "RELAYD_LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: text.lowercased()) else {
                throw Invalid(description: "\(source) must be one of trace, debug, info, notice, warning, error, critical; got '\(text)'")
            }
            logLevel = level
        }
        if let (text, source) = value(options.logFormat, "RELAYD_LOG_FORMAT") {
            guard let format = LogFormat(rawValue: text.lowercased()) else {
                throw Invalid(description: "\(source) must be text or json, got '\(text)'")
            }
            logFormat = format
        }
        if let (origins, _) = value(options.corsOrigins, "RELAYD_CORS_ORIGINS") { server.cors = CORSPolicy(parsing: origins) }
        if let (names, _) = value(options.allowedHosts, "RELAYD_ALLOWED_HOSTS") {
            server.allowedHosts = names.trimmingOWS() == "*" ? nil : HostAllowlist(parsing: names)
        } else if Self.isLoopback(server.host) {
            server.allowedHosts = .loopback
        }
        if let max: Int = try number(options.maxConnections, "RELAYD_MAX_CONNECTIONS", minimum: 1, maximum: 10_000_000) { server.maxConnections = max }
        if let seconds = try seconds(options.drainSeconds, "RELAYD_DRAIN_SECONDS", minimum: 0) { server.drainSeconds = seconds }
        if let seconds = try seconds(options.headerTimeout, "RELAYD_HEADER_TIMEOUT", minimum: 0.1) { server.headerTimeout = seconds }
        if let seconds = try seconds(options.bodyTimeout, "RELAYD_BODY_TIMEOUT", minimum: 0.1) { server.bodyTimeout = seconds }
        if let bytes = try bytes(options.maxBodyBytesInFlight, "RELAYD_MAX_BODY_BYTES_IN_FLIGHT", minimum: 1024, maximum: 1 << 36) {
            server.maxBodyBytesInFlight = bytes
        }
        if let seconds = try seconds(options.idleTimeout, "RELAYD_IDLE_TIMEOUT", minimum: 0.1) { server.idleTimeout = seconds }
        if let seconds = try seconds(options.sendTimeout, "RELAYD_SEND_TIMEOUT", minimum: 0.1) { server.sendTimeout = seconds }
        if let bytes = try bytes(options.maxBodyBytes, "RELAYD_MAX_BODY_BYTES", minimum: 0) { server.limits.maxBodyBytes = bytes }
        if let loops: Int = try number(options.loops, "RELAYD_LOOPS", minimum: 1, maximum: 256) { server.loopCount = loops }
        if let bytes = try bytes(options.wsMaxMessageBytes, "RELAYD_WS_MAX_MESSAGE_BYTES", minimum: 125) { webSocket.maxMessageBytes = bytes }
        if let seconds = try seconds(options.wsPingInterval, "RELAYD_WS_PING_INTERVAL", minimum: 0.1) { webSocket.pingInterval = seconds }
        if let bytes = try bytes(options.wsMaxOutboundBytes, "RELAYD_WS_MAX_OUTBOUND_BYTES", minimum: 1024) { webSocket.maxOutboundBytes = bytes }
        if let rate: Double = try number(options.demoTokensPerSecond, "RELAYD_DEMO_TOKENS_PER_SECOND", minimum: 0.1, maximum: 1_000_000) { demoTokensPerSecond = rate }
        if let seconds = try seconds(options.upstreamConnectTimeout, "RELAYD_UPSTREAM_CONNECT_TIMEOUT", minimum: 0.1) {
            upstreamTimeouts.connect = seconds
        }
        if let seconds = try seconds(options.upstreamFirstByteTimeout, "RELAYD_UPSTREAM_FIRST_BYTE_TIMEOUT", minimum: 0.1) {
            upstreamTimeouts.firstByte = seconds
        }
        if let seconds = try seconds(options.upstreamIdleTimeout, "RELAYD_UPSTREAM_IDLE_TIMEOUT", minimum: 0.1) {
            upstreamTimeouts.idle = seconds
        }
        if let seconds = try seconds(options.upstreamTotalTimeout, "RELAYD_UPSTREAM_TOTAL_TIMEOUT", minimum: 1) {
            upstreamTimeouts.total = seconds
        }
        if let retries: Int = try number(options.upstreamRetries, "RELAYD_UPSTREAM_RETRIES", minimum: 0, maximum: 10) {
            retryPolicy.maxRetries = retries
        }
        if let (path, _) = value(options.providersFile, "RELAYD_PROVIDERS_FILE") { providersFile = path }
        if let seconds = try seconds(options.detachTimeout, "RELAYD_DETACH_TIMEOUT", minimum: 0) { streams.detachTimeout = seconds }
        if let seconds = try seconds(options.streamTTL, "RELAYD_STREAM_TTL", minimum: 0) { streams.ttl = seconds }
        if let bytes = try bytes(options.maxStreamBytes, "RELAYD_MAX_STREAM_BYTES", minimum: 4096) { streams.maxStreamBytes = bytes }
        if let bytes = try bytes(options.maxStreamsBytes, "RELAYD_MAX_STREAMS_BYTES", minimum: 65536, maximum: 1 << 40) { streams.maxTotalBytes = bytes }
        if let count: Int = try number(options.maxLiveStreams, "RELAYD_MAX_LIVE_STREAMS", minimum: 1, maximum: 10_000_000) {
            streams.maxLiveStreams = count
        }
        if let bytes = try bytes(options.maxRequestBytesInFlight, "RELAYD_MAX_REQUEST_BYTES_IN_FLIGHT", minimum: 4096, maximum: 1 << 40) {
            streams.maxRequestBytesInFlight = bytes
        }
        if let count: Int = try number(options.maxStreamsPerConnection, "RELAYD_MAX_STREAMS_PER_CONNECTION", minimum: 1, maximum: 100_000) {
            streams.maxStreamsPerConnection = count
        }
        if let seconds = try seconds(options.ssePingInterval, "RELAYD_SSE_PING_INTERVAL", minimum: 0.1) { sse.pingInterval = seconds }
        if let seconds = try seconds(options.sseMaxSeconds, "RELAYD_SSE_MAX_SECONDS", minimum: 1) { sse.maxSeconds = seconds }
        let noDeflateVariable = environment["RELAYD_NO_DEFLATE"].map { ["1", "true", "yes"].contains($0.lowercased()) } ?? false
        webSocket.deflate = !(options.noDeflate || noDeflateVariable)
        let noDemoPageVariable = environment["RELAYD_NO_DEMO_PAGE"].map { ["1", "true", "yes"].contains($0.lowercased()) } ?? false
        demoPage = !(options.noDemoPage || noDemoPageVariable)
        if let (path, source) = value(options.echoPath, "RELAYD_ECHO_PATH") {
            guard path.hasPrefix("/"), path != "/ws", path != "/health" else {
                throw Invalid(description: "\(source) must be a path starting with / other than /ws and /health, got '\(path)'")
            }
            echoPath = path
        }
        try readAccess(options: options, environment: environment, value: value, number: { try number($0, $1, minimum: $2, maximum: 1_000_000) })
    }

    /// Authentication and limits. Secrets come from the environment or a file, never a flag's
    /// value (command lines are visible to every user of the machine), and never reach a log.
    private mutating func readAccess(options: Relayd, environment: [String: String],
                                     value: (String?, String) -> (String, String)?,
                                     number: (String?, String, Double) throws -> Double?) throws {
        func secret(file flag: String?, fileVariable: String, variable: String) throws -> String? {
            if let (path, source) = value(flag, fileVariable) {
                guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                    throw Invalid(description: "\(source): cannot read \(path)")
                }
                return text
            }
            if let text = environment[variable], !text.isEmpty { return text }
            return nil
        }
        var tokens = Set<String>()
        if let text = try secret(file: options.authTokensFile, fileVariable: "RELAYD_AUTH_TOKENS_FILE", variable: "RELAYD_AUTH_TOKENS") {
            for token in text.split(whereSeparator: { $0 == "\n" || $0 == "," || $0 == "\r" }) {
                let trimmed = token.trimmingCharacters(in: .whitespaces)
                guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { continue }
                guard trimmed.count >= 16 else { throw Invalid(description: "auth tokens must be at least 16 characters (one is shorter)") }
                tokens.insert(trimmed)
            }
        }
        var jwtSecret: [UInt8]?
        if let text = try secret(file: options.jwtSecretFile, fileVariable: "RELAYD_JWT_SECRET_FILE", variable: "RELAYD_JWT_SECRET") {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.utf8.count >= 32 else { throw Invalid(description: "the JWT secret must be at least 32 bytes") }
            jwtSecret = Array(trimmed.utf8)
        }
        // exp is required unless turned off: a token without one would be valid forever.
        var requireExpiration = true
        if let flag = options.jwtRequireExp {
            requireExpiration = flag
        } else if let text = environment["RELAYD_JWT_REQUIRE_EXP"], !text.isEmpty {
            switch text.lowercased() {
            case "1", "true", "yes", "on": requireExpiration = true
            case "0", "false", "no", "off": requireExpiration = false
            default: throw Invalid(description: "RELAYD_JWT_REQUIRE_EXP must be 1 or 0, got '\(text)'")
            }
        }
        let audience = value(options.jwtAudience, "RELAYD_JWT_AUDIENCE")?.0
        let issuer = value(options.jwtIssuer, "RELAYD_JWT_ISSUER")?.0
        if jwtSecret == nil, let (_, source) = value(options.jwtAudience, "RELAYD_JWT_AUDIENCE") ?? value(options.jwtIssuer, "RELAYD_JWT_ISSUER") {
            throw Invalid(description: "\(source) needs a JWT secret (RELAYD_JWT_SECRET or --jwt-secret-file)")
        }
        server.access.authenticator = ClientAuthenticator(staticTokens: tokens, jwtSecret: jwtSecret, requiresExpiration: requireExpiration,
                                                          audience: audience, issuer: issuer)
        if let text = try secret(file: options.adminTokenFile, fileVariable: "RELAYD_ADMIN_TOKEN_FILE", variable: "RELAYD_ADMIN_TOKEN") {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.count >= 16 else { throw Invalid(description: "the admin token must be at least 16 characters") }
            server.access.adminToken = trimmed
        }
        func flag(_ set: Bool, _ variable: String) -> Bool {
            set || (environment[variable].map { ["1", "true", "yes"].contains($0.lowercased()) } ?? false)
        }
        server.access.metricsPublic = flag(options.metricsPublic, "RELAYD_METRICS_PUBLIC")
        server.access.trustProxy = flag(options.trustProxy, "RELAYD_TRUST_PROXY")
        if let hops = try number(options.trustedProxyHops, "RELAYD_TRUSTED_PROXY_HOPS", 1) {
            guard hops <= Double(ClientAddress.maximumTrustedHops), hops == hops.rounded() else {
                throw Invalid(description: "trusted proxy hops must be a whole number from 1 to \(ClientAddress.maximumTrustedHops), got \(hops)")
            }
            server.access.trustedProxyHops = Int(hops)
        }
        if let count = try number(options.maxConnectionsPerIp, "RELAYD_MAX_CONNECTIONS_PER_IP", 1) { server.access.maxConnectionsPerIP = Int(count) }
        if let rate = try number(options.newConnectionsPerIpPerSecond, "RELAYD_NEW_CONNECTIONS_PER_IP_PER_SECOND", 0.01) {
            server.access.newConnectionsPerIPPerSecond = rate
        }
        if let count = try number(options.maxStreamsPerClient, "RELAYD_MAX_STREAMS_PER_CLIENT", 1) { server.access.maxStreamsPerPrincipal = Int(count) }
        if let rate = try number(options.chatsPerMinute, "RELAYD_CHATS_PER_MINUTE", 0.01) { server.access.chatsPerPrincipalPerMinute = rate }
        if let (text, source) = value(options.allowedModels, "RELAYD_ALLOWED_MODELS") {
            for entry in text.split(separator: ",") {
                let parts = entry.split(separator: "=", maxSplits: 1)
                let models = parts.count == 2 ? Set(parts[1].split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }) : []
                guard parts.count == 2, !models.isEmpty else {
                    throw Invalid(description: "\(source) must look like 'provider=model|model,provider=model', got '\(entry)'")
                }
                server.access.allowedModels[parts[0].trimmingCharacters(in: .whitespaces)] = models
            }
        }
    }

    /// The start-up summary: every setting that shapes behaviour, no secrets.
    var summary: Logger.Metadata {
        [
            "version": "\(RelaydVersion.string)",
            "max_connections": "\(server.maxConnections)",
            "drain_s": "\(server.drainSeconds)",
            "header_timeout_s": "\(server.headerTimeout)",
            "body_timeout_s": "\(server.bodyTimeout)",
            "idle_timeout_s": "\(server.idleTimeout)",
            "send_timeout_s": "\(server.sendTimeout)",
            "max_body_bytes": "\(server.limits.maxBodyBytes)",
            "loops": "\(server.loopCount)",
            "cors": "\(server.cors.isEmpty ? "none" : server.cors.allowsAnyOrigin ? "*" : server.cors.isLocalDevelopment ? "localhost" : "list")",
            "allowed_hosts": "\(server.allowedHosts == nil ? "*" : server.allowedHosts == .loopback ? "loopback" : "list")",
            "log_format": "\(logFormat.rawValue)",
            "ws_ping_s": "\(webSocket.pingInterval)",
            "ws_max_message_bytes": "\(webSocket.maxMessageBytes)",
            "deflate": "\(webSocket.deflate)",
            "echo_path": "\(echoPath ?? "off")",
            "demo_page": "\(demoPage)",
            "upstream_timeouts_s": "connect \(upstreamTimeouts.connect), first byte \(upstreamTimeouts.firstByte), idle \(upstreamTimeouts.idle), total \(upstreamTimeouts.total)",
            "upstream_retries": "\(retryPolicy.maxRetries)",
            "detach_timeout_s": "\(streams.detachTimeout)",
            "stream_ttl_s": "\(streams.ttl)",
            "max_live_streams": "\(streams.maxLiveStreams)",
            "max_streams_per_connection": "\(streams.maxStreamsPerConnection)",
            "max_streams_per_client": "\(server.access.maxStreamsPerPrincipal.map(String.init) ?? "off")",
            "sse_max_s": "\(sse.maxSeconds)",
            // What is configured, never the secrets themselves.
            "auth": "\(server.access.authenticator.isEnabled ? "on" : "off")",
            "admin_token": "\(server.access.adminToken == nil ? "off" : "set")",
            "metrics_public": "\(server.access.metricsPublic)",
            "trust_proxy": "\(server.access.trustProxy ? "on, \(server.access.trustedProxyHops) hop(s)" : "off")",
        ]
    }
}

