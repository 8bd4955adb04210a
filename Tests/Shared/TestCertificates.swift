import Foundation

/// Certificates made with the openssl CLI when the tests run (nothing secret is committed):
/// a CA; a server certificate it signed for `localhost` and 127.0.0.1; one it signed for
/// another name (`wrong.example`, for host name checks); and a self-signed one for
/// `localhost` that no trust store knows. Shared by the TLS and server test targets (this
/// file is linked into both).
struct TestCertificates {
    let directory: URL
    var caFile: String { path("ca.pem") }
    var certificateFile: String { path("server.pem") }
    var keyFile: String { path("server.key") }
    var wrongNameCertificateFile: String { path("wrong.pem") }
    var wrongNameKeyFile: String { path("wrong.key") }
    var selfSignedCertificateFile: String { path("self.pem") }
    var selfSignedKeyFile: String { path("self.key") }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static let shared: TestCertificates = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("relayd-tls-\(getpid())-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
        let script = """
            set -e
            cd '\(directory.path)'
            openssl req -x509 \(ec) -keyout ca.key -out ca.pem -days 2 -subj '/CN=relayd test CA' 2>/dev/null
            openssl req \(ec) -keyout server.key -out server.csr -subj '/CN=localhost' 2>/dev/null
            printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > ext.cnf
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile ext.cnf 2>/dev/null
            openssl req \(ec) -keyout wrong.key -out wrong.csr -subj '/CN=wrong.example' 2>/dev/null
            printf 'subjectAltName=DNS:wrong.example\\n' > wrong.cnf
            openssl x509 -req -in wrong.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out wrong.pem -days 2 -extfile wrong.cnf 2>/dev/null
            openssl req -x509 \(ec) -keyout self.key -out self.pem -days 2 -subj '/CN=localhost' -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' 2>/dev/null
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        try! process.run()
        process.waitUntilExit()
        precondition(process.terminationStatus == 0, "openssl could not make test certificates")
        return TestCertificates(directory: directory)
    }()
}
