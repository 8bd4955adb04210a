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

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    init(options: Relayd, environment: [String: String]) throws {
        func value(_ flag: String?, _ variable: String) -> (String, String)? {
            if let flag { return (flag, "--" + Relayd.flagName(for: variable)) }
            if let env = environment[variable], !env.isEmpty { return (env, variable) }
            return nil
        }
        func number<T: LosslessStringConvertible & Comparable>(_ flag: String?, _ variable: String, minimum: T) throws -> T? {
            guard let (text, source) = value(flag, variable) else { return nil }
            guard let number = T(String(text.trimmingOWS())), number >= minimum else {
                throw Invalid(description: "\(source) must be a number >= \(minimum), got '\(text)'")
            }
            return number
        }
        if let (host, _) = value(options.host, "RELAYD_HOST") { server.host = host }
        if let port: Int = try number(options.port, "PORT", minimum: 0) {
            guard port <= 65535 else { throw Invalid(description: "port must be at most 65535, got \(port)") }
            server.port = port
        }
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
        if let max: Int = try number(options.maxConnections, "RELAYD_MAX_CONNECTIONS", minimum: 1) { server.maxConnections = max }
        if let seconds: Double = try number(options.drainSeconds, "RELAYD_DRAIN_SECONDS", minimum: 0) { server.drainSeconds = seconds }
        if let seconds: Double = try number(options.headerTimeout, "RELAYD_HEADER_TIMEOUT", minimum: 0.1) { server.headerTimeout = seconds }
        if let seconds: Double = try number(options.idleTimeout, "RELAYD_IDLE_TIMEOUT", minimum: 0.1) { server.idleTimeout = seconds }
        if let seconds: Double = try number(options.sendTimeout, "RELAYD_SEND_TIMEOUT", minimum: 0.1) { server.sendTimeout = seconds }
        if let bytes: Int = try number(options.maxBodyBytes, "RELAYD_MAX_BODY_BYTES", minimum: 0) { server.limits.maxBodyBytes = bytes }
        if let loops: Int = try number(options.loops, "RELAYD_LOOPS", minimum: 1) { server.loopCount = loops }
        if let bytes: Int = try number(options.wsMaxMessageBytes, "RELAYD_WS_MAX_MESSAGE_BYTES", minimum: 125) { webSocket.maxMessageBytes = bytes }
        if let seconds: Double = try number(options.wsPingInterval, "RELAYD_WS_PING_INTERVAL", minimum: 0.1) { webSocket.pingInterval = seconds }
        if let bytes: Int = try number(options.wsMaxOutboundBytes, "RELAYD_WS_MAX_OUTBOUND_BYTES", minimum: 1024) { webSocket.maxOutboundBytes = bytes }
        if let rate: Double = try number(options.demoTokensPerSecond, "RELAYD_DEMO_TOKENS_PER_SECOND", minimum: 0.1) { demoTokensPerSecond = rate }
        if let seconds: Double = try number(options.upstreamConnectTimeout, "RELAYD_UPSTREAM_CONNECT_TIMEOUT", minimum: 0.1) {
            upstreamTimeouts.connect = seconds
        }
        if let seconds: Double = try number(options.upstreamFirstByteTimeout, "RELAYD_UPSTREAM_FIRST_BYTE_TIMEOUT", minimum: 0.1) {
            upstreamTimeouts.firstByte = seconds
        }
        if let seconds: Double = try number(options.upstreamIdleTimeout, "RELAYD_UPSTREAM_IDLE_TIMEOUT", minimum: 0.1) {
            upstreamTimeouts.idle = seconds
        }
        if let seconds: Double = try number(options.upstreamTotalTimeout, "RELAYD_UPSTREAM_TOTAL_TIMEOUT", minimum: 1) {
            upstreamTimeouts.total = seconds
        }
        if let retries: Int = try number(options.upstreamRetries, "RELAYD_UPSTREAM_RETRIES", minimum: 0) {
            guard retries <= 10 else { throw Invalid(description: "upstream retries must be at most 10, got \(retries)") }
            retryPolicy.maxRetries = retries
        }
        if let (path, _) = value(options.providersFile, "RELAYD_PROVIDERS_FILE") { providersFile = path }
        if let seconds: Double = try number(options.detachTimeout, "RELAYD_DETACH_TIMEOUT", minimum: 0) { streams.detachTimeout = seconds }
        if let seconds: Double = try number(options.streamTTL, "RELAYD_STREAM_TTL", minimum: 0) { streams.ttl = seconds }
        if let bytes: Int = try number(options.maxStreamBytes, "RELAYD_MAX_STREAM_BYTES", minimum: 4096) { streams.maxStreamBytes = bytes }
        if let bytes: Int = try number(options.maxStreamsBytes, "RELAYD_MAX_STREAMS_BYTES", minimum: 65536) { streams.maxTotalBytes = bytes }
        if let seconds: Double = try number(options.ssePingInterval, "RELAYD_SSE_PING_INTERVAL", minimum: 0.1) { sse.pingInterval = seconds }
        if let seconds: Double = try number(options.sseMaxSeconds, "RELAYD_SSE_MAX_SECONDS", minimum: 1) { sse.maxSeconds = seconds }
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
    }

    /// The start-up summary: every setting that shapes behaviour, no secrets.
    var summary: Logger.Metadata {
        [
            "version": "\(RelaydVersion.string)",
            "max_connections": "\(server.maxConnections)",
            "drain_s": "\(server.drainSeconds)",
            "header_timeout_s": "\(server.headerTimeout)",
            "idle_timeout_s": "\(server.idleTimeout)",
            "send_timeout_s": "\(server.sendTimeout)",
            "max_body_bytes": "\(server.limits.maxBodyBytes)",
            "loops": "\(server.loopCount)",
            "cors": "\(server.cors.isEmpty ? "none" : (server.cors.allowsAnyOrigin ? "*" : "list"))",
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
            "sse_max_s": "\(sse.maxSeconds)",
        ]
    }
}

