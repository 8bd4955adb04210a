import Foundation
import Testing

/// The browser client (`web/relay-client.js`) and the demo page: its pure logic under
/// `node --test` (scripted transports), and the whole of it in headless Chromium against the
/// built relayd (`Tests/browser/browser_test.py`, Selenium). Both need tools from outside
/// Swift (node; chromium, chromium-driver and Python's selenium), which `.ci/run` installs; a
/// missing one fails the test with what to install, rather than skipping it.
@Suite("browser client", .serialized)
struct WebClientTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    @Test func clientLogicUnderNode() throws {
        let node = try #require(which("node"), "node is missing: apt-get install nodejs")
        let (status, output) = try runTool(node, ["--test", "--test-reporter=spec", "test/"],
                                           directory: Self.root.appendingPathComponent("web"))
        #expect(status == 0, "node --test failed:\n\(output)")
        #expect(output.contains("fail 0"), "\(output)")
    }

    @Test func clientAndDemoPageInChromium() throws {
        let python = which("python3") ?? "/usr/bin/python3"
        let script = Self.root.appendingPathComponent("Tests/browser/browser_test.py").path
        let artifacts = Self.root.appendingPathComponent(".build/browser-artifacts").path
        let (status, output) = try runTool(python, ["-u", script, "--relayd", ExecutableTests.binary],
                                           directory: Self.root, environment: ["RELAYD_BROWSER_ARTIFACTS": artifacts])
        #expect(status == 0, "browser tests failed:\n\(output)")
        #expect(output.contains("\nOK"), "\(output)")
        #expect(FileManager.default.fileExists(atPath: artifacts + "/demo-page-mid-stream.png"))
    }

    /// Runs a tool to its end, returning its status and its output and errors together.
    private func runTool(_ path: String, _ arguments: [String], directory: URL,
                         environment: [String: String] = [:]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
