/// Raw `text/event-stream` bodies as the providers send them.
///
/// Swift multi-line literals drop the newline before the closing delimiter, so every complete
/// body gets `+ "\n"` to restore the blank line that dispatches its last event (a fixture test
/// checks this). Raw strings (`#"""`) keep JSON escapes (`\"`, `\n`) exactly as on the wire.
/// Gemini's `alt=sse` bodies use CRLF line ends; they are written here with LF and converted
/// by `crlf(_:)` (a test checks the converted bytes).
enum Fixtures {}

/// LF line ends → CRLF (what Gemini, and some proxies, put on the wire).
func crlf(_ body: String) -> String {
    body.replacingOccurrences(of: "\n", with: "\r\n")
}

// MARK: - OpenAI and OpenAI-compatible

extension Fixtures {
    /// gpt-4o with `stream_options: {"include_usage": true}`: role-only first delta, content,
    /// `finish_reason: "stop"`, then a usage chunk with empty `choices`, then `[DONE]`.
    static let openAIPlain = #"""
data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{"content":"!"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{"content":" How"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{"content":" can"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{"content":" I"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{"content":" help"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{"content":" you"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{"content":" today?\n\nI'm \"GPT\" — ünïcödé ✓"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}

data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[],"usage":{"prompt_tokens":19,"completion_tokens":18,"total_tokens":37,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}

data: [DONE]

"""# + "\n"
    static let openAIPlainText = "Hello! How can I help you today?\n\nI'm \"GPT\" — ünïcödé ✓"

    /// gpt-4o-mini cut off by `max_tokens: 5`.
    static let openAILength = #"""
data: {"id":"chatcmpl-BAkq0sV7mYpXWfWWv6u3jZJ8sE1Zq","object":"chat.completion.chunk","created":1741851234,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-BAkq0sV7mYpXWfWWv6u3jZJ8sE1Zq","object":"chat.completion.chunk","created":1741851234,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[{"index":0,"delta":{"content":"Once"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-BAkq0sV7mYpXWfWWv6u3jZJ8sE1Zq","object":"chat.completion.chunk","created":1741851234,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[{"index":0,"delta":{"content":" upon"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-BAkq0sV7mYpXWfWWv6u3jZJ8sE1Zq","object":"chat.completion.chunk","created":1741851234,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[{"index":0,"delta":{"content":" a"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-BAkq0sV7mYpXWfWWv6u3jZJ8sE1Zq","object":"chat.completion.chunk","created":1741851234,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[{"index":0,"delta":{"content":" time"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-BAkq0sV7mYpXWfWWv6u3jZJ8sE1Zq","object":"chat.completion.chunk","created":1741851234,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[{"index":0,"delta":{"content":","},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-BAkq0sV7mYpXWfWWv6u3jZJ8sE1Zq","object":"chat.completion.chunk","created":1741851234,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"length"}],"usage":null}

data: {"id":"chatcmpl-BAkq0sV7mYpXWfWWv6u3jZJ8sE1Zq","object":"chat.completion.chunk","created":1741851234,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[],"usage":{"prompt_tokens":14,"completion_tokens":5,"total_tokens":19,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}

data: [DONE]

"""# + "\n"

    /// A function call: `content: null`, the arguments JSON streamed in pieces, then
    /// `finish_reason: "tool_calls"`.
    static let openAIToolCalls = #"""
data: {"id":"chatcmpl-BAx1pKfXq3ZlWmU2V9dYh0eGkTn4R","object":"chat.completion.chunk","created":1741900000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_DdmO9pD3xa9XTPNJ32zg2hcA","type":"function","function":{"name":"get_weather","arguments":""}}],"refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-BAx1pKfXq3ZlWmU2V9dYh0eGkTn4R","object":"chat.completion.chunk","created":1741900000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\""}}]},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-BAx1pKfXq3ZlWmU2V9dYh0eGkTn4R","object":"chat.completion.chunk","created":1741900000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"location"}}]},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-BAx1pKfXq3ZlWmU2V9dYh0eGkTn4R","object":"chat.completion.chunk","created":1741900000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\":\""}}]},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-BAx1pKfXq3ZlWmU2V9dYh0eGkTn4R","object":"chat.completion.chunk","created":1741900000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"Paris"}}]},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-BAx1pKfXq3ZlWmU2V9dYh0eGkTn4R","object":"chat.completion.chunk","created":1741900000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":", France\"}"}}]},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-BAx1pKfXq3ZlWmU2V9dYh0eGkTn4R","object":"chat.completion.chunk","created":1741900000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}],"usage":null}

data: {"id":"chatcmpl-BAx1pKfXq3ZlWmU2V9dYh0eGkTn4R","object":"chat.completion.chunk","created":1741900000,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_06737a9306","choices":[],"usage":{"prompt_tokens":81,"completion_tokens":17,"total_tokens":98,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}

data: [DONE]

"""# + "\n"

    /// deepseek-reasoner: `: keep-alive` comments while queued, `reasoning_content` deltas
    /// (with `content: null`), then `content` deltas (with `reasoning_content: null`); usage on
    /// the finishing chunk.
    static let deepSeekReasoner = #"""
: keep-alive

: keep-alive

data: {"id":"9f2d1c4e-7a3b-4e5f-8c6d-2b1a0e9f8d7c","object":"chat.completion.chunk","created":1738195200,"model":"deepseek-reasoner","system_fingerprint":"fp_7e73fd9a08_prod0225","choices":[{"index":0,"delta":{"role":"assistant","content":null,"reasoning_content":""},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"9f2d1c4e-7a3b-4e5f-8c6d-2b1a0e9f8d7c","object":"chat.completion.chunk","created":1738195200,"model":"deepseek-reasoner","system_fingerprint":"fp_7e73fd9a08_prod0225","choices":[{"index":0,"delta":{"content":null,"reasoning_content":"Okay"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"9f2d1c4e-7a3b-4e5f-8c6d-2b1a0e9f8d7c","object":"chat.completion.chunk","created":1738195200,"model":"deepseek-reasoner","system_fingerprint":"fp_7e73fd9a08_prod0225","choices":[{"index":0,"delta":{"content":null,"reasoning_content":", the user asks"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"9f2d1c4e-7a3b-4e5f-8c6d-2b1a0e9f8d7c","object":"chat.completion.chunk","created":1738195200,"model":"deepseek-reasoner","system_fingerprint":"fp_7e73fd9a08_prod0225","choices":[{"index":0,"delta":{"content":null,"reasoning_content":" whether 9.11 > 9.8."},"logprobs":null,"finish_reason":null}],"usage":null}

: keep-alive

data: {"id":"9f2d1c4e-7a3b-4e5f-8c6d-2b1a0e9f8d7c","object":"chat.completion.chunk","created":1738195200,"model":"deepseek-reasoner","system_fingerprint":"fp_7e73fd9a08_prod0225","choices":[{"index":0,"delta":{"content":null,"reasoning_content":"\n0.8 > 0.11, so 9.8 is larger."},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"9f2d1c4e-7a3b-4e5f-8c6d-2b1a0e9f8d7c","object":"chat.completion.chunk","created":1738195200,"model":"deepseek-reasoner","system_fingerprint":"fp_7e73fd9a08_prod0225","choices":[{"index":0,"delta":{"content":"**9.8**","reasoning_content":null},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"9f2d1c4e-7a3b-4e5f-8c6d-2b1a0e9f8d7c","object":"chat.completion.chunk","created":1738195200,"model":"deepseek-reasoner","system_fingerprint":"fp_7e73fd9a08_prod0225","choices":[{"index":0,"delta":{"content":" is greater","reasoning_content":null},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"9f2d1c4e-7a3b-4e5f-8c6d-2b1a0e9f8d7c","object":"chat.completion.chunk","created":1738195200,"model":"deepseek-reasoner","system_fingerprint":"fp_7e73fd9a08_prod0225","choices":[{"index":0,"delta":{"content":" than 9.11.","reasoning_content":null},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"9f2d1c4e-7a3b-4e5f-8c6d-2b1a0e9f8d7c","object":"chat.completion.chunk","created":1738195200,"model":"deepseek-reasoner","system_fingerprint":"fp_7e73fd9a08_prod0225","choices":[{"index":0,"delta":{"content":"","reasoning_content":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":17,"completion_tokens":212,"total_tokens":229,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":187},"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":17}}

data: [DONE]

"""# + "\n"

    /// OpenRouter: `: OPENROUTER PROCESSING` comments, `delta.reasoning` (plus
    /// `reasoning_details`), content, the finishing chunk, a usage chunk, `[DONE]`.
    static let openRouterReasoning = #"""
: OPENROUTER PROCESSING

: OPENROUTER PROCESSING

data: {"id":"gen-1741570000-Qh3kZ2pY8xWvN5mB7cLd","provider":"DeepInfra","model":"deepseek/deepseek-r1","object":"chat.completion.chunk","created":1741570000,"choices":[{"index":0,"delta":{"role":"assistant","content":"","reasoning":"The user","reasoning_details":[{"type":"reasoning.text","text":"The user","format":"unknown","index":0}]},"finish_reason":null,"native_finish_reason":null,"logprobs":null}]}

: OPENROUTER PROCESSING

data: {"id":"gen-1741570000-Qh3kZ2pY8xWvN5mB7cLd","provider":"DeepInfra","model":"deepseek/deepseek-r1","object":"chat.completion.chunk","created":1741570000,"choices":[{"index":0,"delta":{"role":"assistant","content":"","reasoning":" wants a haiku.","reasoning_details":[{"type":"reasoning.text","text":" wants a haiku.","format":"unknown","index":0}]},"finish_reason":null,"native_finish_reason":null,"logprobs":null}]}

data: {"id":"gen-1741570000-Qh3kZ2pY8xWvN5mB7cLd","provider":"DeepInfra","model":"deepseek/deepseek-r1","object":"chat.completion.chunk","created":1741570000,"choices":[{"index":0,"delta":{"role":"assistant","content":"Autumn moonlight—","reasoning":null},"finish_reason":null,"native_finish_reason":null,"logprobs":null}]}

data: {"id":"gen-1741570000-Qh3kZ2pY8xWvN5mB7cLd","provider":"DeepInfra","model":"deepseek/deepseek-r1","object":"chat.completion.chunk","created":1741570000,"choices":[{"index":0,"delta":{"role":"assistant","content":"\na worm digs silently\ninto the chestnut.","reasoning":null},"finish_reason":null,"native_finish_reason":null,"logprobs":null}]}

data: {"id":"gen-1741570000-Qh3kZ2pY8xWvN5mB7cLd","provider":"DeepInfra","model":"deepseek/deepseek-r1","object":"chat.completion.chunk","created":1741570000,"choices":[{"index":0,"delta":{"role":"assistant","content":"","reasoning":null},"finish_reason":"stop","native_finish_reason":"stop","logprobs":null}]}

data: {"id":"gen-1741570000-Qh3kZ2pY8xWvN5mB7cLd","provider":"DeepInfra","model":"deepseek/deepseek-r1","object":"chat.completion.chunk","created":1741570000,"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null,"native_finish_reason":null,"logprobs":null}],"usage":{"prompt_tokens":12,"completion_tokens":96,"total_tokens":108,"cost":0.00021,"is_byok":false,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":78}}}

data: [DONE]

"""# + "\n"

    /// Moonshot (Kimi): usage inside `choices[0].usage` on the finishing chunk.
    static let moonshot = #"""
data: {"id":"chatcmpl-67bd8a4c0b2a1e4c1f8d1234","object":"chat.completion.chunk","created":1740475980,"model":"moonshot-v1-8k","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"system_fingerprint":"fpv0_10a6da87"}

data: {"id":"chatcmpl-67bd8a4c0b2a1e4c1f8d1234","object":"chat.completion.chunk","created":1740475980,"model":"moonshot-v1-8k","choices":[{"index":0,"delta":{"content":"你好"},"finish_reason":null}],"system_fingerprint":"fpv0_10a6da87"}

data: {"id":"chatcmpl-67bd8a4c0b2a1e4c1f8d1234","object":"chat.completion.chunk","created":1740475980,"model":"moonshot-v1-8k","choices":[{"index":0,"delta":{"content":"，我是 Kimi。"},"finish_reason":null}],"system_fingerprint":"fpv0_10a6da87"}

data: {"id":"chatcmpl-67bd8a4c0b2a1e4c1f8d1234","object":"chat.completion.chunk","created":1740475980,"model":"moonshot-v1-8k","choices":[{"index":0,"delta":{},"finish_reason":"stop","usage":{"prompt_tokens":19,"completion_tokens":7,"total_tokens":26}}],"system_fingerprint":"fpv0_10a6da87"}

data: [DONE]

"""# + "\n"

    /// Groq: usage in `x_groq.usage` (with float timings) on the finishing chunk.
    static let groq = #"""
data: {"id":"chatcmpl-5e4c7f0a-3b1d-4d8e-9a2f-6c0b1e7d3f95","object":"chat.completion.chunk","created":1741571000,"model":"llama-3.3-70b-versatile","system_fingerprint":"fp_c0cfa69934","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"x_groq":{"id":"req_01jp1x5t2ef8bz0w3m7ha9kq4c"}}

data: {"id":"chatcmpl-5e4c7f0a-3b1d-4d8e-9a2f-6c0b1e7d3f95","object":"chat.completion.chunk","created":1741571000,"model":"llama-3.3-70b-versatile","system_fingerprint":"fp_c0cfa69934","choices":[{"index":0,"delta":{"content":"Fast"},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-5e4c7f0a-3b1d-4d8e-9a2f-6c0b1e7d3f95","object":"chat.completion.chunk","created":1741571000,"model":"llama-3.3-70b-versatile","system_fingerprint":"fp_c0cfa69934","choices":[{"index":0,"delta":{"content":" inference"},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-5e4c7f0a-3b1d-4d8e-9a2f-6c0b1e7d3f95","object":"chat.completion.chunk","created":1741571000,"model":"llama-3.3-70b-versatile","system_fingerprint":"fp_c0cfa69934","choices":[{"index":0,"delta":{"content":" matters."},"logprobs":null,"finish_reason":null}]}

data: {"id":"chatcmpl-5e4c7f0a-3b1d-4d8e-9a2f-6c0b1e7d3f95","object":"chat.completion.chunk","created":1741571000,"model":"llama-3.3-70b-versatile","system_fingerprint":"fp_c0cfa69934","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"x_groq":{"id":"req_01jp1x5t2ef8bz0w3m7ha9kq4c","usage":{"queue_time":0.020148,"prompt_tokens":42,"prompt_time":0.002319,"completion_tokens":4,"completion_time":0.014545,"total_tokens":46,"total_time":0.016864}}}

data: [DONE]

"""# + "\n"

    /// Ollama's `/v1/chat/completions` (a thinking model: `delta.reasoning`), with
    /// `include_usage`.
    static let ollama = #"""
data: {"id":"chatcmpl-532","object":"chat.completion.chunk","created":1741571234,"model":"qwen3:8b","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":"","reasoning":"Simple greeting."},"finish_reason":null}]}

data: {"id":"chatcmpl-532","object":"chat.completion.chunk","created":1741571234,"model":"qwen3:8b","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}

data: {"id":"chatcmpl-532","object":"chat.completion.chunk","created":1741571234,"model":"qwen3:8b","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":" there!"},"finish_reason":null}]}

data: {"id":"chatcmpl-532","object":"chat.completion.chunk","created":1741571235,"model":"qwen3:8b","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":"stop"}]}

data: {"id":"chatcmpl-532","object":"chat.completion.chunk","created":1741571235,"model":"qwen3:8b","system_fingerprint":"fp_ollama","choices":[],"usage":{"prompt_tokens":31,"completion_tokens":12,"total_tokens":43}}

data: [DONE]

"""# + "\n"

    /// Two content chunks, shared by the error fixtures below.
    static let openAIPrefix = #"""
data: {"id":"chatcmpl-BBc8xQ2mN4vT7rW1yZ3aK5dF9gH0j","object":"chat.completion.chunk","created":1742000000,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-BBc8xQ2mN4vT7rW1yZ3aK5dF9gH0j","object":"chat.completion.chunk","created":1742000000,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{"content":"The answer"},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-BBc8xQ2mN4vT7rW1yZ3aK5dF9gH0j","object":"chat.completion.chunk","created":1742000000,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{"content":" is"},"logprobs":null,"finish_reason":null}],"usage":null}

"""# + "\n"

    /// An in-band `error` object mid-stream (`type: rate_limit_error`, as LiteLLM, DashScope
    /// and other compatible gateways send it).
    static let openAIRateLimitError = openAIPrefix + #"""
data: {"error":{"message":"Rate limit reached for gpt-4o in organization org-Xk2mP9 on tokens per min (TPM): Limit 30000, Used 29876, Requested 512. Please try again in 776ms.","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}

"""# + "\n"

    /// OpenAI's own rate-limit body: `type` is the limited resource (`tokens`/`requests`) and
    /// the kind is in `code`.
    static let openAIRateLimitTokens = openAIPrefix + #"""
data: {"error":{"message":"Rate limit reached for gpt-4o in organization org-Xk2mP9 on tokens per min (TPM): Limit 30000, Used 29876, Requested 512. Please try again in 776ms. Visit https://platform.openai.com/account/rate-limits to learn more.","type":"tokens","param":null,"code":"rate_limit_exceeded"}}

"""# + "\n"

    static let openAIInsufficientQuota = openAIPrefix + #"""
data: {"error":{"message":"You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}

"""# + "\n"

    /// vLLM's error shape: the object itself, `"object":"error"`, numeric `code`.
    static let vLLMError = #"""
data: {"id":"chatcmpl-8c1b2f7e9d4a4f0e9a3c5b6d7e8f9a0b","object":"chat.completion.chunk","created":1741580000,"model":"meta-llama/Llama-3.1-8B-Instruct","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}

data: {"object":"error","message":"This model's maximum context length is 8192 tokens. However, you requested 9000 tokens (808 in the messages, 8192 in the completion). Please reduce the length of the messages or completion.","type":"BadRequestError","param":null,"code":400}

data: [DONE]

"""# + "\n"

    /// OpenRouter when the routed provider fails mid-stream: an `error` object and
    /// `finish_reason: "error"` in the same chunk.
    static let openRouterProviderError = #"""
: OPENROUTER PROCESSING

data: {"id":"gen-1741572000-Vb8nM3kL1jH6gF4dS2aP","provider":"Together","model":"meta-llama/llama-3.3-70b-instruct","object":"chat.completion.chunk","created":1741572000,"choices":[{"index":0,"delta":{"role":"assistant","content":"Sure, here"},"finish_reason":null,"native_finish_reason":null,"logprobs":null}]}

data: {"id":"gen-1741572000-Vb8nM3kL1jH6gF4dS2aP","provider":"Together","model":"meta-llama/llama-3.3-70b-instruct","object":"chat.completion.chunk","created":1741572000,"error":{"code":502,"message":"Provider disconnected unexpectedly","metadata":{"provider_name":"Together","raw":"upstream connect error"}},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error","native_finish_reason":"error","logprobs":null}]}

data: [DONE]

"""# + "\n"

    /// `finish_reason: "error"` without an `error` object.
    static let openRouterFinishReasonError = #"""
data: {"id":"gen-1741572100-Tr5eW2qA9zX0cV7bN1mL","provider":"Fireworks","model":"qwen/qwen-2.5-72b-instruct","object":"chat.completion.chunk","created":1741572100,"choices":[{"index":0,"delta":{"role":"assistant","content":"Partial"},"finish_reason":null,"native_finish_reason":null,"logprobs":null}]}

data: {"id":"gen-1741572100-Tr5eW2qA9zX0cV7bN1mL","provider":"Fireworks","model":"qwen/qwen-2.5-72b-instruct","object":"chat.completion.chunk","created":1741572100,"choices":[{"index":0,"delta":{"role":"assistant","content":" answ"},"finish_reason":"error","native_finish_reason":"error","logprobs":null}]}

data: [DONE]

"""# + "\n"

    /// An `event: error` whose JSON has neither an `error` key nor `"object":"error"`.
    static let openAIEventError = openAIPrefix + #"""
event: error
data: {"code":503,"message":"upstream service temporarily unavailable, please retry"}

"""# + "\n"

    /// An `event: error` with a data line that is not JSON.
    static let openAIEventErrorText = openAIPrefix + #"""
event: error
data: internal proxy error

"""# + "\n"

    /// Zhipu (BigModel) `1113`: the account is out of balance.
    static let zhipuArrears = #"""
data: {"id":"20250310153045a1b2c3d4e5f64a7b","created":1741591845,"model":"glm-4-plus","choices":[{"index":0,"delta":{"role":"assistant","content":"好的"}}]}

data: {"error":{"code":"1113","message":"您的账户已欠费，请充值后重试。"}}

"""# + "\n"

    /// Content, then the connection drops: no `finish_reason`, no `[DONE]`.
    static let openAITruncated = openAIPrefix

    /// The connection drops in the middle of an event's `data:` line.
    static let openAITruncatedMidEvent = openAIPrefix + #"""
data: {"id":"chatcmpl-BBc8xQ2mN4vT7rW1yZ3aK5dF9gH0j","object":"chat.completion.chunk","created":1742000000,"model":"gpt-4o-2024-08-06","choi
"""#

    /// A `finish_reason`, then the connection drops before the usage chunk and `[DONE]`.
    static let openAIFinishWithoutDone = openAIPrefix + #"""
data: {"id":"chatcmpl-BBc8xQ2mN4vT7rW1yZ3aK5dF9gH0j","object":"chat.completion.chunk","created":1742000000,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{"content":" 42."},"logprobs":null,"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-BBc8xQ2mN4vT7rW1yZ3aK5dF9gH0j","object":"chat.completion.chunk","created":1742000000,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}

"""# + "\n"

    /// A misbehaving proxy that keeps sending after `[DONE]`.
    static let openAIAfterDone = openAIPlain + #"""
data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741569953,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"content":"LEAKED"},"logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}

data: {"error":{"message":"late error","type":"server_error","param":null,"code":null}}

data: [DONE]

"""# + "\n"
}

// MARK: - Anthropic

extension Fixtures {
    /// A whole Messages stream, as in Anthropic's docs (with `ping`).
    static let anthropicText = #"""
event: message_start
data: {"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":2,"service_tier":"standard"}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"! I'm Claude"}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":", an AI assistant.\nHow can I help — ça va? 🙂"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":21}}

event: message_stop
data: {"type":"message_stop"}

"""# + "\n"
    static let anthropicTextContent = "Hello! I'm Claude, an AI assistant.\nHow can I help — ça va? 🙂"

    /// Extended thinking: a `thinking` block (`thinking_delta`, then `signature_delta`), then a
    /// `text` block.
    static let anthropicThinking = #"""
event: message_start
data: {"type":"message_start","message":{"id":"msg_01Q8Faay6S7QPTvEUUQARt7h","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":85,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1,"service_tier":"standard"}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me solve this step by step:\n\n1. First break down 27 * 453"}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"\n2. 453 = 400 + 50 + 3"}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds6u5ypRBM4tvEdjxMW1cDqNGv3ne4MBQ52e1YSMRlmKfxcdMO2S8vPLHSAQ8igeWfu5MJs/5ARrfCBa8kSyx7JPA=="}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: content_block_start
data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"27 * 453 = 12,231"}}

event: content_block_stop
data: {"type":"content_block_stop","index":1}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":192}}

event: message_stop
data: {"type":"message_stop"}

"""# + "\n"

    /// `max_tokens` reached.
    static let anthropicMaxTokens = #"""
event: message_start
data: {"type":"message_start","message":{"id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":14,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"In the beginning"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":4}}

event: message_stop
data: {"type":"message_stop"}

"""# + "\n"

    /// A short text block, then a `tool_use` block with `input_json_delta`s; `stop_reason:
    /// tool_use`; `message_delta` usage also carries the cumulative input counts.
    static let anthropicToolUse = #"""
event: message_start
data: {"type":"message_start","message":{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","stop_sequence":null,"usage":{"input_tokens":472,"output_tokens":2},"content":[],"stop_reason":null}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Okay, let's check the weather for San Francisco, CA:"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: content_block_start
data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"location\":"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" \"San Francisco, CA\", \"unit\": \"fahrenheit\"}"}}

event: content_block_stop
data: {"type":"content_block_stop","index":1}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":472,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":89}}

event: message_stop
data: {"type":"message_stop"}

"""# + "\n"

    static let anthropicPrefix = #"""
event: message_start
data: {"type":"message_start","message":{"id":"msg_01HCDu5LRGeP2o7s4uQ2kXzT","type":"message","role":"assistant","model":"claude-opus-4-1-20250805","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":30,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Working on"}}

"""# + "\n"

    /// Anthropic's mid-stream `overloaded_error`.
    static let anthropicOverloaded = anthropicPrefix + #"""
event: error
data: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}

"""# + "\n"

    static let anthropicRateLimited = anthropicPrefix + #"""
event: error
data: {"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit for your organization (5c5b2d6e-0f1a-4c3b-9d8e-7f6a5b4c3d2e) of 30,000 input tokens per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits."},"request_id":"req_011CUyZ3mT7x9pW2qR5sV8nB"}

"""# + "\n"

    /// `message_delta` arrived but the connection dropped before `message_stop`.
    static let anthropicTruncated = anthropicPrefix + #"""
event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":3}}

"""# + "\n"
}

// MARK: - Gemini (`streamGenerateContent?alt=sse`; CRLF applied by `crlf(_:)`)

extension Fixtures {
    /// gemini-2.5-flash with thinking on (not included): text chunks, then `STOP` with
    /// `thoughtsTokenCount` in the final `usageMetadata`.
    static let geminiText = crlf(#"""
data: {"candidates": [{"content": {"parts": [{"text": "The"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 9,"totalTokenCount": 9,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 9}]},"modelVersion": "gemini-2.5-flash","responseId": "mGvOaKb6Lp-vz7IPp4a-kAM"}

data: {"candidates": [{"content": {"parts": [{"text": " sky appears blue because of Rayleigh scattering: shorter (blue) wavelengths"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 9,"totalTokenCount": 9,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 9}]},"modelVersion": "gemini-2.5-flash","responseId": "mGvOaKb6Lp-vz7IPp4a-kAM"}

data: {"candidates": [{"content": {"parts": [{"text": " scatter more in the atmosphere.\n\n*Short* answer — “physics”."}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 9,"candidatesTokenCount": 26,"totalTokenCount": 1037,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 9}],"thoughtsTokenCount": 1002},"modelVersion": "gemini-2.5-flash","responseId": "mGvOaKb6Lp-vz7IPp4a-kAM"}

"""# + "\n")
    static let geminiTextContent = "The sky appears blue because of Rayleigh scattering: shorter (blue) wavelengths scatter more in the atmosphere.\n\n*Short* answer — “physics”."

    /// `thinkingConfig.includeThoughts: true`: thought summaries marked `"thought": true`.
    static let geminiThoughts = crlf(#"""
data: {"candidates": [{"content": {"parts": [{"text": "**Calculating the product**\n\nI'm multiplying 27 by 453.","thought": true}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 11,"totalTokenCount": 160,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 11}],"thoughtsTokenCount": 149},"modelVersion": "gemini-2.5-pro","responseId": "x3vOaOPYJ5u1nvgP8cKq-Ac"}

data: {"candidates": [{"content": {"parts": [{"text": "**Verifying**\n\n27 × 453 = 12,231.","thought": true}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 11,"totalTokenCount": 301,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 11}],"thoughtsTokenCount": 290},"modelVersion": "gemini-2.5-pro","responseId": "x3vOaOPYJ5u1nvgP8cKq-Ac"}

data: {"candidates": [{"content": {"parts": [{"text": "27 × 453 = **12,231**"}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 11,"candidatesTokenCount": 12,"totalTokenCount": 313,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 11}],"thoughtsTokenCount": 290},"modelVersion": "gemini-2.5-pro","responseId": "x3vOaOPYJ5u1nvgP8cKq-Ac"}

"""# + "\n")

    static let geminiMaxTokens = crlf(#"""
data: {"candidates": [{"content": {"parts": [{"text": "Once upon a time, in a land"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 6,"totalTokenCount": 6,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 6}]},"modelVersion": "gemini-2.0-flash","responseId": "b4vOaJ2tHf-MnvgPqYmNwQ4"}

data: {"candidates": [{"content": {"parts": [{"text": " far away"}],"role": "model"},"finishReason": "MAX_TOKENS","index": 0}],"usageMetadata": {"promptTokenCount": 6,"candidatesTokenCount": 10,"totalTokenCount": 16,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 6}],"candidatesTokensDetails": [{"modality": "TEXT","tokenCount": 10}]},"modelVersion": "gemini-2.0-flash","responseId": "b4vOaJ2tHf-MnvgPqYmNwQ4"}

"""# + "\n")

    /// The answer is stopped by the safety filter.
    static let geminiSafety = crlf(#"""
data: {"candidates": [{"content": {"parts": [{"text": "To make"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 8,"totalTokenCount": 8},"modelVersion": "gemini-2.0-flash","responseId": "c5vOaKqGA4-vnvgP9Jy1gQk"}

data: {"candidates": [{"content": {"parts": [{"text": ""}],"role": "model"},"finishReason": "SAFETY","index": 0,"safetyRatings": [{"category": "HARM_CATEGORY_HATE_SPEECH","probability": "NEGLIGIBLE"},{"category": "HARM_CATEGORY_DANGEROUS_CONTENT","probability": "HIGH","blocked": true},{"category": "HARM_CATEGORY_HARASSMENT","probability": "NEGLIGIBLE"},{"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT","probability": "NEGLIGIBLE"}]}],"usageMetadata": {"promptTokenCount": 8,"candidatesTokenCount": 2,"totalTokenCount": 10},"modelVersion": "gemini-2.0-flash","responseId": "c5vOaKqGA4-vnvgP9Jy1gQk"}

"""# + "\n")

    /// The prompt itself is blocked: no candidates, only `promptFeedback.blockReason`.
    static let geminiPromptBlocked = crlf(#"""
data: {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"},"usageMetadata": {"promptTokenCount": 12,"totalTokenCount": 12,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 12}]},"modelVersion": "gemini-2.0-flash","responseId": "d6vOaMvUEp-vnvgPj6GwiQ0"}

"""# + "\n")

    static let geminiPrefix = crlf(#"""
data: {"candidates": [{"content": {"parts": [{"text": "Here is"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 5,"totalTokenCount": 5},"modelVersion": "gemini-2.5-flash","responseId": "e7vOaNnQKZ-vnvgPzaiX4Ac"}

"""# + "\n")

    static let geminiRateLimited = geminiPrefix + crlf(#"""
data: {"error": {"code": 429,"message": "Resource has been exhausted (e.g. check quota).","status": "RESOURCE_EXHAUSTED"}}

"""# + "\n")

    static let geminiUnavailable = geminiPrefix + crlf(#"""
data: {"error": {"code": 503,"message": "The model is overloaded. Please try again later.","status": "UNAVAILABLE"}}

"""# + "\n")

    static let geminiTruncated = geminiPrefix + crlf(#"""
data: {"candidates": [{"content": {"parts": [{"text": " the plan"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 5,"totalTokenCount": 5},"modelVersion": "gemini-2.5-flash","responseId": "e7vOaNnQKZ-vnvgPzaiX4Ac"}

"""# + "\n")
}
