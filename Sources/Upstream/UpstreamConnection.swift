import HTTP1
import RelayIO
import TLS

/// One connection to an upstream origin, plain or TLS, carrying one exchange at a time and
/// kept for the next one when the response allows (keep-alive). Lives on its loop.
final class UpstreamConnection: ConnectionDelegate, @unchecked Sendable {
    let connection: Connection
    let poolKey: String
    private let tls: TLSClient?
    private var parser = ResponseParser()
    private var exchange: ClientExchange?
    private var pendingRequest: [UInt8]?
    private var keepAlive = true
    /// Called when the connection can take a new exchange again, or has closed.
    var onIdle: ((UpstreamConnection) -> Void)?
    var onClosed: ((UpstreamConnection) -> Void)?
    private(set) var isClosed = false
    /// Whether it is between exchanges (in the pool).
    var isIdle: Bool { exchange == nil && !isClosed && (tls?.isEstablished ?? true) }

    init(connection: Connection, poolKey: String, tls: TLSClient?) {
        self.connection = connection
        self.poolKey = poolKey
        self.tls = tls
        connection.start(delegate: self)
        if tls != nil { driveHandshake() }
    }

    /// Sends a request (after the TLS handshake if one is under way).
    func send(_ request: [UInt8], method: HTTPMethod, exchange: ClientExchange) {
        self.exchange = exchange
        parser.expectResponse(to: method)
        exchange.cancelAction = { [weak self] in self?.close() }
        if let tls, !tls.isEstablished {
            pendingRequest = request
            return
        }
        write(request)
    }

    private func write(_ plaintext: [UInt8]) {
        if let tls {
            do {
                try tls.write(plaintext)
            } catch {
                return fail(ProviderError(.upstreamUnavailable, "TLS: \(error.message)", retryable: true))
            }
            connection.write(tls.takeOutput())
        } else {
            connection.write(plaintext)
        }
        connection.flush()
    }

    private func driveHandshake() {
        guard let tls else { return }
        do {
            let done = try tls.handshake()
            connection.write(tls.takeOutput())
            connection.flush()
            if done, let request = pendingRequest {
                pendingRequest = nil
                write(request)
            }
        } catch {
            fail(ProviderError(.upstreamUnavailable, "TLS with the provider failed: \(error.message)", retryable: error.kind != .certificateRejected))
        }
    }

    // MARK: ConnectionDelegate

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        if let tls {
            tls.receive(bytes)
            if !tls.isEstablished {
                driveHandshake()
                return
            }
            var plaintext: [UInt8] = []
            do {
                try tls.read(into: &plaintext)
            } catch {
                return fail(ProviderError(.upstreamUnavailable, "TLS: \(error.message)", retryable: true))
            }
            let output = tls.takeOutput()
            if !output.isEmpty {
                connection.write(output)
                connection.flush()
            }
            parser.append(plaintext)
        } else {
            parser.append(bytes)
        }
        readEvents()
    }

    private func readEvents() {
        while !isClosed {
            let event: ResponseParserEvent?
            do {
                event = try parser.next()
            } catch {
                return fail(ProviderError(.upstreamError, "the provider sent a malformed response (\(error))", retryable: true))
            }
            guard let event else { return }
            handle(event)
        }
    }

    private func handle(_ event: ResponseParserEvent) {
        guard let exchange else {
            // Bytes with no request outstanding: the connection cannot be trusted.
            return close()
        }
        switch event {
        case .head(let head):
            keepAlive = head.keepAlive
            exchange.deliverHead(head)
        case .body(let bytes):
            exchange.deliverBody(bytes)
        case .end:
            self.exchange = nil
            exchange.deliverEnd()
            if keepAlive, !isClosed { onIdle?(self) } else { close() }
        }
    }

    func connectionDidReadEOF(_ connection: Connection) {
        if exchange != nil {
            do {
                // Until nil: what the buffer still holds, then the end of a body delimited by
                // the close.
                while exchange != nil, let event = try parser.finish() { handle(event) }
            } catch {
                fail(ProviderError(.upstreamTruncated, "the provider closed the connection mid-response", retryable: true))
            }
        }
        close()
    }

    func connectionDidDrainOutbound(_ connection: Connection) {}

    func connectionDidClose(_ connection: Connection) {
        isClosed = true
        if let exchange {
            self.exchange = nil
            exchange.deliverError(ProviderError(.upstreamUnavailable, "the connection to the provider closed", retryable: true))
        }
        onClosed?(self)
        onIdle = nil
        onClosed = nil
    }

    private func fail(_ error: ProviderError) {
        if let exchange {
            self.exchange = nil
            exchange.deliverError(error)
        }
        close()
    }

    func close() {
        guard !isClosed else { return }
        connection.close()
    }
}
