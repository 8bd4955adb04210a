import Foundation
import Testing

/// Authentication, the admin token and every abuse limit, against the relayd binary
/// (Tests/peers/access_session.py), including a search of its debug logs for every secret.
@Suite("authentication and limits")
struct AccessPolicyTests {
    @Test func everyRouteAndLimitAnswersAsDocumentedAndNoSecretIsLogged() throws {
        let script = PeerProcess.directory.appendingPathComponent("access_session.py").path
        let (status, output) = try run(which("python3") ?? "/usr/bin/python3", [script, ExecutableTests.binary])
        #expect(status == 0, "\(output)")
        #expect(output.contains("ALL OK"), "\(output)")
    }
}
