import Foundation
import Testing

/// SIGTERM to the relayd binary with live WebSocket and SSE clients
/// (Tests/peers/drain_session.py: Python `websockets` and `httpx`).
@Suite("drain on SIGTERM")
struct DrainTests {
    @Test func answersInFlightFinishAndTheDeadlineSaysWhereToResume() throws {
        let script = PeerProcess.directory.appendingPathComponent("drain_session.py").path
        let (status, output) = try run(which("python3") ?? "/usr/bin/python3", [script, ExecutableTests.binary])
        #expect(status == 0, "\(output)")
        #expect(output.contains("ALL OK"), "\(output)")
    }
}
