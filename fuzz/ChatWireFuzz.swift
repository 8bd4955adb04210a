// libFuzzer entry point for the client message layer: Sources/RelayServer/ChatWire.swift
// (parsing `chat`, `client_id`, `resume`, the heartbeat's timestamp; writing `start`, `chunk`,
// `done`, `error`, `heartbeat_ack`). Built by
// fuzz/run.sh as one module with ChatWire.swift and fuzz/FuzzSupport.swift, against the JSON
// module and the few Upstream files ChatWire needs (ChatRequest.swift, ProviderEvent.swift and
// ModelName.swift, built as module Upstream): the rest of RelayServer (sockets, logging,
// metrics) stays out.
//
// The input is a client message as it arrives in a text frame (huge numbers, deep nesting
// and invalid UTF-8 included). Checked:
//   - `parseChat` either fails with bad_request and a message, or returns a request within
//     every documented range (id 1–200 bytes, roles known, temperature 0–2, top_p 0–1,
//     max_tokens 1–1e6, ≤ 4 stop strings, penalties −2–2, a known reasoning effort);
//   - `clientID` is nil or 1–200 bytes;
//   - everything ChatWire writes is valid JSON that reads back to what was written (ids,
//     text, seq, usage, error code and message), whatever strings and numbers went in.
//
//   - `parseResume` either fails with bad_request or returns a stream id and a `last_seq`
//     within `resumableSeqs` (Int.max used to get through, and trapped in ReplayBuffer);
//   - `heartbeat_ack` is valid JSON echoing the timestamp (1e400 used to come back as `inf`).
// `auth` and `cancel` read strings only: they must decode and quote back.

import JSON
import Upstream

let target = "ChatWire"

func parse(_ text: String, _ input: UnsafeBufferPointer<UInt8>) -> JSONValue {
    do {
        let root = try JSONDocument(parsing: text).root
        if !root.isObject { fuzzFail(target, "not an object: \(escaped(text))", input) }
        return root
    } catch {
        fuzzFail(target, "ChatWire wrote invalid JSON (\(error)): \(escaped(text))", input)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    func check(_ condition: Bool, _ what: @autoclosure () -> String) {
        if !condition { fuzzFail(target, what(), input) }
    }
    guard let object = try? JSONDocument(parsing: input).root, object.isObject else { return 0 }
    let seq = object["seq"]?.int ?? Int(truncatingIfNeeded: fnv1a(input))

    switch ChatWire.parseChat(object) {
    case .failure(let error):
        check(error.code == .badRequest && !error.message.isEmpty && !error.retryable, "parseChat failed with \(error)")
        let id = object["id"]?.string
        let written = parse(ChatWire.error(id: id, error), input)
        check(written["type"]?.string == "error" && written["id"]?.string == id && written["seq"] == nil, "error event fields")
        check(written["code"]?.string == "bad_request" && written["message"]?.string == error.message
              && written["retryable"]?.bool == false, "error event code, message or retryable")
    case .success(let request):
        check(!request.id.isEmpty && request.id.utf8.count <= 200, "id of \(request.id.utf8.count) bytes")
        check(!request.messages.isEmpty && request.messages.allSatisfy { ChatMessage.roles.contains($0.role) }, "messages")
        check(request.temperature.map { (0...2).contains($0) } ?? true, "temperature \(String(describing: request.temperature))")
        check(request.topP.map { (0...1).contains($0) } ?? true, "top_p \(String(describing: request.topP))")
        check(request.maxTokens.map { (1...1_000_000).contains($0) } ?? true, "max_tokens \(String(describing: request.maxTokens))")
        check(request.stop.map { $0.count <= 4 } ?? true, "stop \(String(describing: request.stop))")
        for penalty in [request.presencePenalty, request.frequencyPenalty] {
            check(penalty.map { (-2...2).contains($0) } ?? true, "penalty \(String(describing: penalty))")
        }
        check(request.reasoningEffort.map { ChatRequest.reasoningEfforts.contains($0) } ?? true, "reasoning_effort")
        check(request.model.map { !$0.isEmpty } ?? true, "empty model")

        // What the server writes about this chat reads back.
        let streamID = ChatWire.newStreamID()
        check(streamID.utf8.count == 32 && streamID.utf8.allSatisfy { ASCIIHex.contains($0) }, "stream id \(streamID)")
        let start = parse(ChatWire.start(id: request.id, streamID: streamID, provider: request.provider ?? "",
                                         model: request.model ?? ""), input)
        check(start["type"]?.string == "start" && start["id"]?.string == request.id && start["seq"]?.int == 0
              && start["stream_id"]?.string == streamID && start["provider"]?.string == request.provider ?? ""
              && start["model"]?.string == request.model ?? "", "start event fields")
        let content = request.messages[0].content
        let reasoning = request.messages.last?.content
        let chunk = parse(ChatWire.chunk(id: request.id, seq: seq, content: content, reasoning: reasoning), input)
        check(chunk["type"]?.string == "chunk" && chunk["id"]?.string == request.id && chunk["seq"]?.int == seq
              && chunk["content"]?.string == content && chunk["reasoning"]?.string == reasoning, "chunk event fields")
        let usage = Usage(promptTokens: request.maxTokens ?? seq, completionTokens: request.seed ?? seq / 2)
        for reason in [FinishReason.stop, .length, .toolCalls, .contentFilter, .cancelled] {
            let done = parse(ChatWire.done(id: request.id, seq: seq, finishReason: reason, usage: usage), input)
            check(done["type"]?.string == "done" && done["seq"]?.int == seq && done["finish_reason"]?.string == reason.rawValue
                  && done["usage"]?["prompt_tokens"]?.int == usage.promptTokens
                  && done["usage"]?["completion_tokens"]?.int == usage.completionTokens, "done event fields")
        }
        let message = request.stop?.first ?? content
        let failed = parse(ChatWire.error(id: request.id, seq: seq, ProviderError(.upstreamError, message, retryable: true)), input)
        check(failed["seq"]?.int == seq && failed["message"]?.string == message && failed["retryable"]?.bool == true,
              "error event with seq")
    }

    switch ChatWire.clientID(in: object, fallback: object["fallback"]?.string) {
    case .success(let value):
        check(value.map { !$0.isEmpty && $0.utf8.count <= 200 } ?? true, "client_id of \(value?.utf8.count ?? 0) bytes")
    case .failure(let error):
        check(error.code == .badRequest, "clientID failed with \(error)")
    }

    switch ChatWire.parseResume(object) {
    case .success(let resume):
        check(ChatWire.resumableSeqs.contains(resume.lastSeq) && !resume.streamID.isEmpty, "resume \(resume)")
    case .failure(let error):
        check(error.code == .badRequest, "parseResume failed with \(error)")
    }

    let echoed = ChatWire.heartbeatEcho(object["timestamp"])
    let ack = ChatWire.heartbeatAck(echoed: echoed, serverTime: 0)
    _ = parse(ack, input)
    if let timestamp = object["timestamp"], timestamp.kind == .number, echoed != "null" {
        let back = try? JSONDocument(parsing: ack).root["timestamp"]?.double
        check(back == timestamp.int.map(Double.init) ?? timestamp.double, "heartbeat timestamp \(timestamp.rawText) echoed as \(echoed)")
    }

    // auth and cancel only read strings: they must decode, and quote back.
    for field in ["token", "id", "stream_id", "type"] {
        if let text = object[field]?.string {
            check((try? JSONDocument(parsing: JSONText.quote(text)).root.string) == text, "\(field) does not quote back")
        }
    }
    return 0
}

let ASCIIHex: Set<UInt8> = Set(Array("0123456789abcdef".utf8))
