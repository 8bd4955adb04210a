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

    /// The hardening findings against the binary (Tests/peers/access_hardening_session.py), one
    /// section per finding; its docstring says what each checks.
    @Test(arguments: ["models", "proxy", "auth", "logs"])
    func hardening(_ section: String) throws {
        let script = PeerProcess.directory.appendingPathComponent("access_hardening_session.py").path
        let (status, output) = try run(which("python3") ?? "/usr/bin/python3", [script, ExecutableTests.binary, section])
        #expect(status == 0, "\(output)")
        #expect(output.contains("ALL OK"), "\(output)")
    }
}
