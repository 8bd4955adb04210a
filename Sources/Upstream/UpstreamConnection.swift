import HTTP1
import RelayIO
import TLS

/// One connection to an upstream origin, plain or TLS, possibly through a proxy's `CONNECT`
/// tunnel, carrying one exchange at a time and kept for the next one when the response
/// allows (keep-alive). Lives on its loop.
final class UpstreamConnection: ConnectionDelegate, @unchecked Sendable {
    let connection: Connection
    let poolKey: String
    private let tls: TLSClient?
    private var parser = ResponseParser()
    /// While a proxy is asked for a tunnel: the parser for its answer. Nothing else is sent
    /// until it says 2xx.
    private var tunnelParser: ResponseParser?
    private var exchange: ClientExchange?
    /// Request bytes not yet handed to the connection. They go out a slice at a time, and
    /// the next slice only once the kernel has taken the last one, so a large request
    /// (a long conversation) never sits twice in memory as plaintext and ciphertext, and a
    /// slow provider holds back the writer instead of growing a buffer.
    private var unsent: ArraySlice<UInt8> = []
    private var keepAlive = true
    /// Whether the current exchange's response head has arrived.
    private var responseStarted = false
    /// Called when the connection can take a new exchange again, or has closed.
    var onIdle: ((UpstreamConnection) -> Void)?
    var onClosed: ((UpstreamConnection) -> Void)?
    private(set) var isClosed = false
    /// Whether requests can be written: the tunnel (if any) and TLS (if any) are up.
    private var isReady: Bool { tunnelParser == nil && (tls?.isEstablished ?? true) }
    /// Whether it is between exchanges (in the pool).
    var isIdle: Bool { exchange == nil && !isClosed && isReady }
    /// Bumped each time it enters the pool: the idle timer armed then finds it unchanged only
    /// if the connection sat there since.
    var poolGeneration = 0

    /// The slice written at a time; the next waits until the socket has taken it.
    static let writeSlice = 64 * 1024

    /// `tunnelRequest`: a `CONNECT` request to send first, when the connection is to a proxy.
    init(connection: Connection, poolKey: String, tls: TLSClient?, tunnelRequest: [UInt8]? = nil) {
        self.connection = connection
        self.poolKey = poolKey
        self.tls = tls
        connection.start(delegate: self)
        if let tunnelRequest {
            var parser = ResponseParser()
            parser.expectResponse(to: .connect)
            tunnelParser = parser
            connection.write(tunnelRequest)
            connection.flush()
        } else if tls != nil {
            driveHandshake()
        }
    }

    /// Sends a request (after the tunnel and the TLS handshake if they are under way).
    func send(_ request: [UInt8], method: HTTPMethod, exchange: ClientExchange) {
        self.exchange = exchange
        responseStarted = false
        parser.expectResponse(to: method)
        exchange.cancelAction = { [weak self] in self?.close() }
        unsent = request[...]
        if isReady { writeUnsent() }
    }

    /// Writes slices of the request until the socket pushes back; `connectionDidDrainOutbound`
    /// resumes.
    private func writeUnsent() {
        while !unsent.isEmpty, !isClosed {
            let slice = unsent.prefix(Self.writeSlice)
            unsent = unsent.dropFirst(slice.count)
            if let tls {
                do {
                    try slice.withUnsafeBytes { try tls.write($0) }
                } catch let error as TLSError {
                    return fail(ProviderError(.upstreamUnavailable, "TLS: \(error.message)", retryable: true))
                } catch {
                    return fail(ProviderError(.upstreamUnavailable, "TLS: \(error)", retryable: true))
                }
                connection.write(tls.takeOutput())
            } else {
                connection.write(slice)
            }
            connection.flush()
            if connection.outboundByteCount > 0 { return }
        }
    }

    private func driveHandshake() {
        guard let tls else { return }
        do {
            let done = try tls.handshake()
            connection.write(tls.takeOutput())
            connection.flush()
            if done { writeUnsent() }
        } catch {
            fail(ProviderError(.upstreamUnavailable, "TLS with the provider failed: \(error.message)", retryable: error.kind != .certificateRejected))
        }
    }

    /// The proxy's answer to `CONNECT`: 2xx opens the tunnel; anything else is the proxy's
    /// refusal, reported without its body (which may echo our request).
    private func readTunnelAnswer(_ bytes: UnsafeRawBufferPointer) {
        guard var tunnelParser else { return }
        tunnelParser.append(bytes)
        let event: ResponseParserEvent?
        do {
            event = try tunnelParser.next()
        } catch {
            return fail(ProviderError(.upstreamUnavailable, "the proxy sent a malformed answer to CONNECT (\(error))", retryable: true))
        }
        self.tunnelParser = tunnelParser
        guard case .head(let head) = event else { return }
        guard (200..<300).contains(head.status) else {
            let status = head.status
            let retryable = ![403, 407].contains(status)
            let reason = status == 407 ? "the proxy wants credentials or refused them (407)" : "the proxy refused the tunnel (\(status))"
            return fail(ProviderError(.upstreamUnavailable, reason, retryable: retryable))
        }
        let early = tunnelParser.takeBufferedBytes()
        self.tunnelParser = nil
        if let tls {
            // A server speaks first in no TLS version, but bytes after the head are the
            // tunnel's, whatever they are.
            if !early.isEmpty { tls.receive(early) }
            driveHandshake()
        } else {
            if !early.isEmpty { parser.append(early) }
            writeUnsent()
        }
    }

    // MARK: ConnectionDelegate

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        if tunnelParser != nil { return readTunnelAnswer(bytes) }
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
            responseStarted = true
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
        if tunnelParser != nil {
            return fail(ProviderError(.upstreamUnavailable, "the proxy closed the connection before opening the tunnel", retryable: true))
        }
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

    func connectionDidDrainOutbound(_ connection: Connection) {
        if isReady { writeUnsent() }
    }

    func connectionDidClose(_ connection: Connection) {
        isClosed = true
        if let exchange {
            self.exchange = nil
            // A reset mid-answer (no EOF, so the parser never saw the end) is a cut answer;
            // before the answer began, the provider was not reachable.
            exchange.deliverError(responseStarted
                ? ProviderError(.upstreamTruncated, "the provider's connection broke mid-response", retryable: true)
                : ProviderError(.upstreamUnavailable, "the connection to the provider closed", retryable: true))
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
