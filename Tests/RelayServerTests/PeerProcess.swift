import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A Python peer from `Tests/peers` (the fake model provider, the forward proxy) run as its
/// own process: a separate HTTP implementation over real sockets. It prints `PORT n` when it
/// listens, and exits when its standard input closes, so a test process that dies takes its
/// peers with it.
final class PeerProcess {
    let process = Process()
    let port: Int
    private let input = Pipe()

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("peers")

    struct Failure: Error, CustomStringConvertible { let description: String }

    init(_ script: String, _ arguments: [String] = []) throws {
        process.executableURL = URL(fileURLWithPath: which("python3") ?? "/usr/bin/python3")
        process.arguments = ["-u", Self.directory.appendingPathComponent(script).path] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = input
        process.standardError = FileHandle.standardError
        try process.run()
        // The first line says where it listens; give up after 10 s.
        let reader = output.fileHandleForReading
        var line = ""
        let deadline = Date().addingTimeInterval(10)
        while !line.hasSuffix("\n"), Date() < deadline {
            var pollFD = pollfd(fd: reader.fileDescriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&pollFD, 1, 200) > 0 else { continue }
            let data = reader.availableData
            if data.isEmpty { break }
            line += String(decoding: data, as: UTF8.self)
        }
        guard line.hasPrefix("PORT "), let port = Int(line.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw Failure(description: "\(script) did not start: '\(line)'")
        }
        self.port = port
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    deinit { stop() }

    /// `GET path` answered with JSON (the peers' `/_stats`), with curl; over https when
    /// `caFile` is set, trusting it (`"insecure"`: trusting anything, for a peer whose
    /// certificate is meant to be refused).
    func json(_ path: String, https caFile: String? = nil) throws -> [String: Any] {
        var arguments = ["-sS", "--max-time", "5", "--noproxy", "*"]
        if let caFile {
            arguments += caFile == "insecure" ? ["--insecure"] : ["--cacert", caFile]
            arguments.append("https://localhost:\(port)\(path)")
        } else {
            arguments.append("http://127.0.0.1:\(port)\(path)")
        }
        let (status, text) = try run(which("curl") ?? "/usr/bin/curl", arguments)
        guard status == 0, let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw Failure(description: "GET \(path) failed: \(status) \(text)")
        }
        return object
    }
}
