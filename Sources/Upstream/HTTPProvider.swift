import Foundation
import HTTP1
import JSON
import RelayIO
import SSE

/// A provider reached over HTTP(S): OpenAI and every OpenAI-compatible service, Anthropic,
/// Gemini. Streams the response through the SSE parser and the format's decoder, so each
/// chunk is forwarded the moment it arrives. The key goes only into the request headers:
/// never into an event, a log line or an error message.
public struct HTTPProvider: Provider {
    public let name: String
    public let format: WireFormat
    public let baseURL: UpstreamURL
    public let defaultModel: String
    /// Allowed models; empty means any model name the client asks for.
    public let allowedModels: [String]
    let apiKey: String?
    let client: UpstreamClient
    public var retryPolicy = RetryPolicy()
    /// Static headers sent with every request (from the providers file).
    public var extraHeaders = HeaderFields()

    public init(name: String, format: WireFormat, baseURL: UpstreamURL, apiKey: String?, defaultModel: String,
                allowedModels: [String] = [], client: UpstreamClient) {
        self.name = name
        self.format = format
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.defaultModel = defaultModel
        self.allowedModels = allowedModels
        self.client = client
    }

    public var models: [String] { allowedModels.isEmpty ? [defaultModel] : allowedModels }

    /// Without a list, any name that `ModelName` accepts (it reaches a body or a URL path).
    public func allows(model: String) -> Bool {
        allowedModels.isEmpty ? ModelName.isValid(model) : allowedModels.contains(model)
    }

    public func stream(_ request: ChatRequest, model: String, context: ProviderContext,
                       emit forward: @escaping @Sendable (ProviderEvent) -> Void) -> ChatCancellation {
        // Some providers quote the request's key back in an error message, and gateways the
        // address of a backend that failed them; both stop here (the address stays in the log).
        let apiKey = self.apiKey
        let emit: @Sendable (ProviderEvent) -> Void = { event in
            guard case .failed(var error) = event else { return forward(event) }
            if let apiKey, !apiKey.isEmpty, error.message.contains(apiKey) {
                error.message = error.message.replacingOccurrences(of: apiKey, with: "***")
            }
            let redacted = AddressRedaction.redact(error.message)
            if redacted != error.message {
                error.detail = error.detail ?? error.message
                error.message = redacted
            }
            forward(.failed(error))
        }
        guard let loop = context.loop else {
            emit(.failed(ProviderError(.internalError, "no event loop for the upstream request")))
            return ChatCancellation()
        }
        let (path, formatHeaders, body) = format.request(request, model: model, apiKey: apiKey)
        var allHeaders = formatHeaders
        for field in extraHeaders { allHeaders.replace(field.name, with: field.value) }
        let headers = allHeaders
        let run = Run()
        let retryPolicy = self.retryPolicy
        @Sendable func attempt(_ number: Int) {
            guard !run.cancelled else { return }
            let exchange = ClientExchange()
            run.current = exchange
            let state = StreamState(decoder: format.decoder())
            /// Before anything reached the client, a retryable failure is tried again.
            @Sendable func failOrRetry(_ error: ProviderError, retryAfter: Double?) {
                guard !run.cancelled else { return }
                if !state.forwarded, error.retryable, number < retryPolicy.maxRetries,
                   let delay = retryPolicy.delay(attempt: number, retryAfter: retryAfter) {
                    context.observe?(.retry(provider: name, attempt: number + 2))
                    loop.schedule(after: delay) { attempt(number + 1) }
                } else {
                    emit(.failed(error))
                }
            }
            exchange.onHead = { head in
                state.status = head.status
                state.retryAfter = RetryPolicy.retryAfter(head.headers)
            }
            // Weak: the exchange holds this closure (it lets it go when it ends).
            exchange.onBody = { [weak exchange] bytes in
                guard (200..<300).contains(state.status) else {
                    if state.errorBody.count < 64 * 1024 { state.errorBody += bytes }
                    return
                }
                let items: [EventStreamItem]
                do {
                    items = try state.parser.parse(bytes)
                } catch {
                    emit(.failed(ProviderError(.upstreamError, "the provider sent an event over 4 MiB", retryable: false)))
                    exchange?.cancel()
                    return
                }
                for item in items {
                    for event in state.decoder.decode(item) {
                        if case .failed(let error) = event {
                            exchange?.cancel()
                            return failOrRetry(error, retryAfter: nil)
                        }
                        state.forwarded = true
                        emit(event)
                    }
                }
            }
            exchange.onEnd = {
                guard (200..<300).contains(state.status) else {
                    return failOrRetry(Self.httpError(status: state.status, body: state.errorBody), retryAfter: state.retryAfter)
                }
                for event in state.decoder.finish() {
                    if case .failed(let error) = event { return failOrRetry(error, retryAfter: nil) }
                    emit(event)
                }
            }
            exchange.onError = { error in
                if !state.decoder.isFinished { failOrRetry(error, retryAfter: nil) }
            }
            client.execute(.post, baseURL, path: path, headers: headers, body: body, on: loop, exchange: exchange)
        }
        attempt(0)
        return ChatCancellation {
            loop.execute {
                run.cancelled = true
                run.current?.cancel()
            }
        }
    }

    /// The attempts of one chat; touched only on its loop.
    final class Run: @unchecked Sendable {
        var cancelled = false
        var current: ClientExchange?
    }

    /// A non-2xx answer, mapped to relayd's codes; the provider's own message is kept (it is
    /// about the request, e.g. "model not found"), its headers never are.
    static func httpError(status: Int, body: [UInt8]) -> ProviderError {
        var message: String?
        var type: String?
        if let object = try? JSONDocument(parsing: body).root, object.isObject {
            let error = object["error"].flatMap { $0.isObject ? $0 : nil } ?? object
            message = error["message"]?.string
            type = [error["type"], error["code"], error["status"]].compactMap { value -> String? in
                guard let value else { return nil }
                return value.string ?? (value.kind == .number ? value.rawText : nil)
            }.joined(separator: " ")
        }
        return UpstreamErrorMapping.error(status: status, type: type, message: message ?? "the provider answered HTTP \(status)")
    }

    /// What one streamed response has seen so far; touched only on its loop.
    final class StreamState: @unchecked Sendable {
        var status = 0
        var retryAfter: Double?
        /// Whether an event of this attempt reached the client (then no retry is possible).
        var forwarded = false
        var errorBody: [UInt8] = []
        var parser = EventStreamParser()
        var decoder: any StreamDecoder
        init(decoder: any StreamDecoder) { self.decoder = decoder }
    }
}
