import COpenSSL
import Foundation
import Testing
import TLS

/// The server side of a handshake, in memory, with OpenSSL directly.
final class TestTLSServer {
    let context: OpaquePointer
    let ssl: OpaquePointer
    let input: OpaquePointer
    let output: OpaquePointer

    init(certificates: TestCertificates) {
        context = SSL_CTX_new(TLS_server_method())!
        precondition(SSL_CTX_use_certificate_chain_file(context, certificates.certificateFile) == 1)
        precondition(SSL_CTX_use_PrivateKey_file(context, certificates.keyFile, SSL_FILETYPE_PEM) == 1)
        ssl = SSL_new(context)!
        input = BIO_new(BIO_s_mem())!
        output = BIO_new(BIO_s_mem())!
        SSL_set_bio(ssl, input, output)
        SSL_set_accept_state(ssl)
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    func receive(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        _ = bytes.withUnsafeBytes { BIO_write(input, $0.baseAddress, Int32($0.count)) }
    }

    func takeOutput() -> [UInt8] {
        let pending = Int(BIO_ctrl_pending(output))
        guard pending > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: pending)
        _ = bytes.withUnsafeMutableBytes { BIO_read(output, $0.baseAddress, Int32(pending)) }
        return bytes
    }

    @discardableResult
    func handshake() -> Bool { SSL_do_handshake(ssl) == 1 }

    func readAll() -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
            if count <= 0 { return result }
            result += buffer[0..<Int(count)]
        }
    }

    func write(_ text: String) { _ = Array(text.utf8).withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) } }
}

/// Shuttles bytes between the two until the client's handshake ends (or fails).
func handshake(_ client: TLSClient, _ server: TestTLSServer) throws {
    for _ in 0..<20 {
        let done = try client.handshake()
        server.receive(client.takeOutput())
        server.handshake()
        client.receive(server.takeOutput())
        if done { return }
    }
    Issue.record("handshake did not finish")
}

@Suite("TLS client over memory buffers")
struct TLSClientTests {
    let certificates = TestCertificates.shared

    @Test func handshakeAndDataBothWaysWithATrustedCertificate() throws {
        let configuration = try TLSClientConfiguration(extraTrustFile: certificates.caFile, systemTrustStore: false)
        let client = try TLSClient(configuration: configuration, serverName: "localhost")
        let server = TestTLSServer(certificates: certificates)
        try handshake(client, server)
        #expect(client.isEstablished)
        try client.write(Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8))
        server.receive(client.takeOutput())
        #expect(String(decoding: server.readAll(), as: UTF8.self) == "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        server.write("HTTP/1.1 200 OK\r\n\r\n")
        client.receive(server.takeOutput())
        var plaintext: [UInt8] = []
        try client.read(into: &plaintext)
        #expect(String(decoding: plaintext, as: UTF8.self) == "HTTP/1.1 200 OK\r\n\r\n")
    }

    @Test func anIPAddressInTheCertificateVerifies() throws {
        let configuration = try TLSClientConfiguration(extraTrustFile: certificates.caFile, systemTrustStore: false)
        let client = try TLSClient(configuration: configuration, serverName: "127.0.0.1")
        try handshake(client, TestTLSServer(certificates: certificates))
        #expect(client.isEstablished)
    }

    @Test func anUntrustedCertificateIsRejected() throws {
        // The system store does not know our test CA.
        let configuration = try TLSClientConfiguration()
        let client = try TLSClient(configuration: configuration, serverName: "localhost")
        let error = #expect(throws: TLSError.self) { try handshake(client, TestTLSServer(certificates: certificates)) }
        #expect(error?.kind == .certificateRejected)
        #expect(error?.message.contains("certificate") == true)
        #expect(!client.isEstablished)
    }

    @Test(arguments: ["example.com", "localhost.evil.example", "127.0.0.2"])
    func aWrongNameIsRejected(name: String) throws {
        let configuration = try TLSClientConfiguration(extraTrustFile: certificates.caFile, systemTrustStore: false)
        let client = try TLSClient(configuration: configuration, serverName: name)
        let error = #expect(throws: TLSError.self) { try handshake(client, TestTLSServer(certificates: certificates)) }
        #expect(error?.kind == .certificateRejected, "\(name)")
    }

    @Test func theSystemTrustStoreLoads() throws {
        _ = try TLSClientConfiguration()
        #expect(throws: TLSError.self) { _ = try TLSClientConfiguration(extraTrustFile: "/nonexistent/ca.pem") }
    }
}
