import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The built `relayd` binary, as a user runs it.
@Suite("relayd executable")
struct ExecutableTests {
    static var binary: String {
        // The test bundle sits next to the products in .build/<config>/.
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidate = directory.appendingPathComponent("relayd").path
        if !FileManager.default.isExecutableFile(atPath: candidate) {
            candidate = directory.deletingLastPathComponent().appendingPathComponent("relayd").path
        }
        return candidate
    }

    @Test func helpDocumentsEveryOptionAndItsVariable() throws {
        let (status, raw) = try run(Self.binary, ["--help"])
        #expect(status == 0)
        let output = raw.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
        for (flag, variable) in [
            ("--host", "RELAYD_HOST"), ("--port", "PORT"), ("--log-level", "RELAYD_LOG_LEVEL"),
            ("--log-format", "RELAYD_LOG_FORMAT"), ("--cors-origins", "RELAYD_CORS_ORIGINS"),
            ("--max-connections", "RELAYD_MAX_CONNECTIONS"), ("--drain-seconds", "RELAYD_DRAIN_SECONDS"),
            ("--header-timeout", "RELAYD_HEADER_TIMEOUT"), ("--idle-timeout", "RELAYD_IDLE_TIMEOUT"),
            ("--max-body-bytes", "RELAYD_MAX_BODY_BYTES"), ("--send-timeout", "RELAYD_SEND_TIMEOUT"),
            ("--ws-max-message-bytes", "RELAYD_WS_MAX_MESSAGE_BYTES"), ("--ws-ping-interval", "RELAYD_WS_PING_INTERVAL"),
            ("--ws-max-outbound-bytes", "RELAYD_WS_MAX_OUTBOUND_BYTES"), ("--no-deflate", "RELAYD_NO_DEFLATE"), ("--no-demo-page", "RELAYD_NO_DEMO_PAGE"),
            ("--echo-path", "RELAYD_ECHO_PATH"), ("--demo-tokens-per-second", "RELAYD_DEMO_TOKENS_PER_SECOND"),
            ("--providers-file", "RELAYD_PROVIDERS_FILE"), ("--upstream-connect-timeout", "RELAYD_UPSTREAM_CONNECT_TIMEOUT"),
            ("--upstream-first-byte-timeout", "RELAYD_UPSTREAM_FIRST_BYTE_TIMEOUT"),
            ("--upstream-idle-timeout", "RELAYD_UPSTREAM_IDLE_TIMEOUT"), ("--upstream-total-timeout", "RELAYD_UPSTREAM_TOTAL_TIMEOUT"),
            ("--upstream-retries", "RELAYD_UPSTREAM_RETRIES"), ("--detach-timeout", "RELAYD_DETACH_TIMEOUT"),
            ("--stream-ttl", "RELAYD_STREAM_TTL"), ("--max-stream-bytes", "RELAYD_MAX_STREAM_BYTES"),
            ("--max-streams-bytes", "RELAYD_MAX_STREAMS_BYTES"), ("--sse-ping-interval", "RELAYD_SSE_PING_INTERVAL"),
            ("--sse-max-seconds", "RELAYD_SSE_MAX_SECONDS"),
            ("--auth-tokens-file", "RELAYD_AUTH_TOKENS_FILE"), ("--jwt-secret-file", "RELAYD_JWT_SECRET_FILE"),
            ("--admin-token-file", "RELAYD_ADMIN_TOKEN_FILE"), ("--metrics-public", "RELAYD_METRICS_PUBLIC"),
            ("--trust-proxy", "RELAYD_TRUST_PROXY"), ("--max-connections-per-ip", "RELAYD_MAX_CONNECTIONS_PER_IP"),
            ("--new-connections-per-ip-per-second", "RELAYD_NEW_CONNECTIONS_PER_IP_PER_SECOND"),
            ("--max-streams-per-client", "RELAYD_MAX_STREAMS_PER_CLIENT"), ("--chats-per-minute", "RELAYD_CHATS_PER_MINUTE"),
            ("--allowed-models", "RELAYD_ALLOWED_MODELS"), ("--max-live-streams", "RELAYD_MAX_LIVE_STREAMS"),
            ("--max-streams-per-connection", "RELAYD_MAX_STREAMS_PER_CONNECTION"),
            ("--max-request-bytes-in-flight", "RELAYD_MAX_REQUEST_BYTES_IN_FLIGHT"),
            ("--body-timeout", "RELAYD_BODY_TIMEOUT"), ("--max-body-bytes-in-flight", "RELAYD_MAX_BODY_BYTES_IN_FLIGHT"),
            ("--allowed-hosts", "RELAYD_ALLOWED_HOSTS"), ("--trusted-proxy-hops", "RELAYD_TRUSTED_PROXY_HOPS"),
            ("--jwt-require-exp", "RELAYD_JWT_REQUIRE_EXP"), ("--jwt-audience", "RELAYD_JWT_AUDIENCE"), ("--jwt-issuer", "RELAYD_JWT_ISSUER"),
        ] {
            #expect(output.contains(flag), "\(flag)")
            #expect(output.contains("env: \(variable)"), "\(variable)")
        }
    }

    @Test func badValuesAreRejectedWithAMessage() throws {
        let (status, _) = try run(Self.binary, ["--max-connections", "lots"])
        #expect(status != 0)
        var environment = ProcessInfo.processInfo.environment
        environment["RELAYD_LOG_FORMAT"] = "xml"
        let (status2, _) = try run(Self.binary, [], environment: environment)
        #expect(status2 != 0)
    }

    /// Reads PORT from the environment, logs JSON, serves /health, and on SIGTERM drains and exits 0.
    @Test func readsPortFromEnvironmentAndExitsZeroOnSIGTERM() throws {
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["--host", "127.0.0.1", "--drain-seconds", "5"]
        var environment = ProcessInfo.processInfo.environment
        environment["PORT"] = String(port)
        environment["RELAYD_LOG_FORMAT"] = "json"
        process.environment = environment
        let errorPipe = Pipe()
        process.standardError = errorPipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        var client: RawClient?
        for _ in 0..<100 where client == nil {
            client = try? RawClient(port: port)
            if client == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        let connection = try #require(client)
        try connection.send("GET /health HTTP/1.1\r\nHost: healthcheck.railway.app\r\n\r\n")
        #expect(try connection.readResponse().status == 200)

        // A request in flight when SIGTERM arrives still completes... /health is instant, so
        // check drain by holding an idle keep-alive connection: it is closed, and the process exits 0.
        kill(process.processIdentifier, SIGTERM)
        #expect(connection.closesWithin(5))
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let log = String(decoding: errorPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let lines = log.split(separator: "\n")
        #expect(lines.count >= 2)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] != nil && object?["msg"] != nil && object?["ts"] != nil, "\(line)")
        }
        #expect(log.contains("relayd started"))
        #expect(log.contains("\(port)"))
    }

    /// Out of file descriptors: extra clients get a 503 and are closed, the accept loop does
    /// not spin on EMFILE, and service resumes when descriptors free up.
    @Test func runningOutOfDescriptorsShedsWithoutSpinning() throws {
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "ulimit -n 64 && exec \"$0\" --host 127.0.0.1 --port \(port) --log-level error", Self.binary]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { process.terminate(); process.waitUntilExit() }

        var admitted: [RawClient] = []
        var shed = 0
        for _ in 0..<200 where shed < 3 {
            guard let client = try? RawClient(port: port, timeout: 10) else {
                Thread.sleep(forTimeInterval: 0.05)
                continue
            }
            try client.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try client.readResponse()
            if response.status == 200 {
                admitted.append(client)
            } else {
                #expect(response.status == 503)
                #expect(response.text.contains("overloaded"))
                shed += 1
            }
        }
        #expect(shed == 3)
        #expect(admitted.count > 20 && admitted.count < 64)

        // Connections waiting in the backlog while the process has no descriptor left: the
        // listener must back off, not spin.
        let waiting = try (0..<5).map { _ in try RawClient(port: port, timeout: 3) }
        let pid = process.processIdentifier
        let before = try cpuSeconds(pid)
        Thread.sleep(forTimeInterval: 1)
        let used = try cpuSeconds(pid) - before
        #expect(used < 0.5, "server used \(used) s of CPU in 1 s while out of descriptors")
        _ = waiting

        admitted.forEach { $0.close() }
        var recovered = false
        for _ in 0..<100 where !recovered {
            if let client = try? RawClient(port: port, timeout: 10) {
                try client.send("GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
                recovered = (try? client.readResponse().status) == 200
            }
            if !recovered { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(recovered)
    }

    private func cpuSeconds(_ pid: Int32) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.range(of: ") ")!.upperBound...].split(separator: " ")
        return (Double(fields[11])! + Double(fields[12])!) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
