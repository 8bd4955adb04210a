import Foundation
import Testing
import RelayServer

/// `GET /metrics` after a scripted session, read by the reference Prometheus text parser
/// (`prometheus_client`, in Tests/peers/metrics_session.py).
@Suite("metrics")
struct MetricsTests {
    @Test func aScriptedSessionShowsInTheExposition() throws {
        try withServer(routes: chatRoutes(tokensPerSecond: 100)) { _, port in
            let script = PeerProcess.directory.appendingPathComponent("metrics_session.py").path
            let (status, output) = try run(which("python3") ?? "/usr/bin/python3", [script, String(port)])
            #expect(status == 0, "\(output)")
            #expect(output.contains("ALL OK"), "\(output)")
        }
    }

    @Test func theExpositionIsPrometheusText() throws {
        try withServer(routes: chatRoutes()) { _, port in
            let client = try RawClient(port: port)
            try client.send("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            #expect(response.header("Cache-Control") == "no-store")
            let text = String(decoding: response.body, as: UTF8.self)
            #expect(text.contains("# TYPE relayd_connections_open gauge"))
            #expect(text.contains("relayd_connections_open{transport=\"http\"} 1"))
        }
    }
}
