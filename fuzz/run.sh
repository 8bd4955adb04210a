#!/usr/bin/env bash
# Fuzzes relayd's parsers with libFuzzer and AddressSanitizer, one target per parser, then
# compares the JSON parser's verdicts with Python's (fuzz/json-differential.py).
#
# Usage:
#   fuzz/run.sh                          # build every target, fuzz each for $FUZZ_SECONDS (default 60) s, then the JSON differential
#   FUZZ_SECONDS=600 fuzz/run.sh         # longer runs
#   fuzz/run.sh -jobs=2 -workers=2       # extra arguments go to libFuzzer (every target)
#   fuzz/run.sh TARGET [ARGS...]         # one target (json-differential: only the comparison)
#   fuzz/run.sh --repro TARGET FILE...   # build TARGET, then run just these inputs (a saved crash, say)
#   fuzz/run.sh --repro FILE...          # the same for http1-request (the original target)
#   fuzz/run.sh --list                   # the targets
#
# Targets (harness in fuzz/, seeds in fuzz/corpus/TARGET/):
#   http1-request     HTTP1RequestParserFuzz.swift   request parser
#   http1-response    HTTP1ResponseParserFuzz.swift  response parser and chunked decoder (a hostile upstream)
#   json              JSONParserFuzz.swift           JSON parser, accessors, JSONText/JSONObjectWriter
#   sse               SSEParserFuzz.swift            text/event-stream parser and encoder
#   websocket         WebSocketFuzz.swift            frame parser, message reader, permessage-deflate, UTF-8
#   provider-decoder  ProviderDecoderFuzz.swift      OpenAI, Anthropic and Gemini stream decoders
#   chatwire          ChatWireFuzz.swift             client messages (RelayServer/ChatWire.swift)
#
# Each harness is compiled as one module with the sources it tests (so it may check internal
# state), fuzz/FuzzSupport.swift and Tests/Shared/SplitMix64.swift; the modules those sources
# import (HTTP1, JSON, SSE, and the three Upstream files ChatWire needs) are compiled first,
# with the same instrumentation, into fuzz/.build/lib. Everything generated lives in
# fuzz/.build/ (git-ignored):
# fuzz/.build/TARGET/ holds the binary, the growing corpus (kept between runs), the token
# dictionary, the log (fuzz.log) and crash artifacts (artifacts/). The committed seeds are
# only read. A binary is rebuilt only when its sources or flags change. Exits non-zero when
# libFuzzer finds a crash, a trapped invariant, a leak or a timeout in any target, or when
# the JSON differential finds a disagreement; every target still runs.
#
# Needs a Swift toolchain with the fuzzer runtime (swift.org Linux toolchains have it;
# tested with Swift 6.3.1), libz and libcrypto headers, and python3 for the differential.
# Set SWIFTC to pick a compiler.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(http1-request http1-response json sse websocket provider-decoder chatwire)
seconds="${FUZZ_SECONDS:-60}"
out=fuzz/.build
swiftc="${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}"
flags=(-sanitize=fuzzer,address -parse-as-library -O -swift-version 6)

# Let the sanitizer and libFuzzer handle a trap (fatalError) rather than Swift's backtracer,
# so the crash is reported and its input saved the usual way.
export SWIFT_BACKTRACE=enable=no

# Runs swiftc, hiding ld.gold's warnings about every ASan helper symbol it cannot export.
compile() {
    local log="$out/build.log"
    if ! "$swiftc" "${flags[@]}" "$@" >"$log" 2>&1; then
        grep -v "Cannot export local symbol" "$log" >&2 || true
        echo "build failed: swiftc $*" >&2
        return 1
    fi
    grep -v "Cannot export local symbol" "$log" || true
}

# Whether $1 (a stamp file) records the same hash of the files and arguments in "$@".
up_to_date() {
    local stamp=$1
    shift
    local hash
    hash=$( { echo "${flags[*]} $*"; "$swiftc" --version 2>&1 | head -n 1; cat "$@" 2>/dev/null; } | sha256sum | cut -d' ' -f1)
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$hash" ]]; then return 0; fi
    echo "$hash" >"$stamp.new"
    return 1
}

# A pure module as an instrumented object file and its .swiftmodule in $out/lib.
build_module() {
    local name=$1
    shift
    mkdir -p "$out/lib"
    if up_to_date "$out/lib/$name.stamp" "$@"; then return 0; fi
    echo "building module $name"
    compile -wmo -c -emit-module -emit-module-path "$out/lib/$name.swiftmodule" -module-name "$name" -I "$out/lib" \
        -o "$out/lib/$name.o" "$@"
    mv "$out/lib/$name.stamp.new" "$out/lib/$name.stamp"
}

# The harness sources and the modules a target links with.
target_sources() {
    local upstream=Sources/Upstream
    case "$1" in
    http1-request) echo fuzz/HTTP1RequestParserFuzz.swift fuzz/FuzzSupport.swift Tests/Shared/SplitMix64.swift Sources/HTTP1/*.swift ;;
    http1-response) echo fuzz/HTTP1ResponseParserFuzz.swift fuzz/FuzzSupport.swift Tests/Shared/SplitMix64.swift Sources/HTTP1/*.swift ;;
    json) echo fuzz/JSONParserFuzz.swift fuzz/FuzzSupport.swift Tests/Shared/SplitMix64.swift Sources/JSON/*.swift ;;
    sse) echo fuzz/SSEParserFuzz.swift fuzz/FuzzSupport.swift Tests/Shared/SplitMix64.swift Sources/SSE/*.swift ;;
    websocket) echo fuzz/WebSocketFuzz.swift fuzz/FuzzSupport.swift Tests/Shared/SplitMix64.swift Sources/WebSocket/*.swift "$out/lib/HTTP1.o" ;;
    provider-decoder)
        echo fuzz/ProviderDecoderFuzz.swift fuzz/FuzzSupport.swift Tests/Shared/SplitMix64.swift $upstream/StreamDecoder.swift \
            $upstream/OpenAIStreamDecoder.swift $upstream/AnthropicStreamDecoder.swift $upstream/GeminiStreamDecoder.swift \
            $upstream/ProviderEvent.swift $upstream/ChatRequest.swift "$out/lib/HTTP1.o" "$out/lib/JSON.o" "$out/lib/SSE.o" ;;
    chatwire)
        echo fuzz/ChatWireFuzz.swift fuzz/FuzzSupport.swift Tests/Shared/SplitMix64.swift Sources/RelayServer/ChatWire.swift \
            "$out/lib/JSON.o" "$out/lib/Upstream.o" ;;
    *) return 1 ;;
    esac
}

build_target() {
    local name=$1 sources
    sources=$(target_sources "$name")
    case "$name" in
    websocket) build_module HTTP1 Sources/HTTP1/*.swift ;;
    provider-decoder)
        build_module HTTP1 Sources/HTTP1/*.swift
        build_module JSON Sources/JSON/*.swift
        build_module SSE Sources/SSE/*.swift ;;
    chatwire)
        build_module JSON Sources/JSON/*.swift
        build_module Upstream Sources/Upstream/ChatRequest.swift Sources/Upstream/ProviderEvent.swift Sources/Upstream/ModelName.swift ;;
    esac
    mkdir -p "$out/$name/corpus" "$out/$name/artifacts"
    # shellcheck disable=SC2086 # the source list is meant to split
    if up_to_date "$out/$name/fuzz.stamp" $sources; then return 0; fi
    echo "building $out/$name/fuzz with $("$swiftc" --version 2>&1 | head -n 1)"
    local module
    module="$(echo "$name" | tr -d '-')Fuzz"
    # shellcheck disable=SC2086
    compile -module-name "$module" -I "$out/lib" -I Sources/COpenSSL -I Sources/CZlib -lz -lcrypto \
        -o "$out/$name/fuzz" $sources
    mv "$out/$name/fuzz.stamp.new" "$out/$name/fuzz.stamp"
}

# Tokens each parser branches on, to get past them faster than byte mutations would.
write_dictionary() {
    local file="$out/$1/tokens.dict"
    case "$1" in
    http1-request | http1-response)
        cat >"$file" <<'EOF'
"\x0d\x0a"
"\x0d\x0a\x0d\x0a"
"HTTP/1.1"
"HTTP/1.0"
"HTTP/2.0"
"HTTP/1.1 200 OK\x0d\x0a"
"HTTP/1.1 100 Continue\x0d\x0a\x0d\x0a"
"HTTP/1.1 101 Switching Protocols\x0d\x0a"
"GET "
"POST "
"Host: "
"Content-Length: "
"Transfer-Encoding: "
"chunked"
"gzip, chunked"
"Connection: "
"close"
"keep-alive"
"Expect: 100-continue"
"0\x0d\x0a\x0d\x0a"
";ext=1"
"ffffffffffffffff"
"99999999999999999999"
EOF
        ;;
    json | chatwire)
        cat >"$file" <<'EOF'
"{"
"}"
"["
"]"
"\":"
","
"\"\\u"
"\\ud800"
"\\udc00"
"true"
"false"
"null"
"-0"
"1e400"
"-1e-400"
"0.5"
"9223372036854775807"
"-9223372036854775808"
"9223372036854775808"
"\"type\":"
"\"chat\""
"\"resume\""
"\"cancel\""
"\"auth\""
"\"heartbeat\""
"\"id\":"
"\"messages\":"
"\"role\":\"user\""
"\"content\":"
"\"text\":"
"\"temperature\":"
"\"top_p\":"
"\"max_tokens\":"
"\"stop\":"
"\"seed\":"
"\"presence_penalty\":"
"\"reasoning_effort\":\"high\""
"\"client_id\":"
"\"stream_id\":"
"\"last_seq\":"
"\"timestamp\":"
"\"token\":"
"\xff"
"\xed\xa0\x80"
EOF
        ;;
    sse | provider-decoder)
        cat >"$file" <<'EOF'
"data: "
"data:"
"event: "
"id: "
"retry: "
": "
"\x0a\x0a"
"\x0d\x0a"
"\x0d"
"\xef\xbb\xbf"
"[DONE]"
"{\"choices\":[{\"delta\":{\"content\":\"x\"}}]}"
"\"reasoning_content\":"
"\"reasoning\":"
"\"finish_reason\":\"stop\""
"\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}"
"\"x_groq\":"
"\"error\":"
"\"code\":"
"\"object\":\"error\""
"\"type\":\"content_block_delta\""
"\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}"
"\"thinking_delta\""
"\"message_start\""
"\"message_delta\""
"\"message_stop\""
"\"input_tokens\":"
"\"output_tokens\":"
"\"usageMetadata\":{\"promptTokenCount\":1,\"candidatesTokenCount\":2,\"thoughtsTokenCount\":3}"
"\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\",\"thought\":true}]},\"finishReason\":\"STOP\"}]"
"\"promptFeedback\":{\"blockReason\":\"SAFETY\"}"
"9223372036854775807"
"-1"
"1e400"
EOF
        ;;
    *) : >"$file" ;;
    esac
}

# Fuzzes one target for $seconds; returns libFuzzer's status.
fuzz_target() {
    local name=$1
    shift
    local dir="$out/$name" log="$out/$name/fuzz.log" status=0
    write_dictionary "$name"
    local dict=()
    [[ -s "$dir/tokens.dict" ]] && dict=(-dict="$PWD/$dir/tokens.dict")
    echo "fuzzing $name for ${seconds}s (corpus $dir/corpus, seeds fuzz/corpus/$name, log $log)"
    # Run in the target's directory: with -jobs, libFuzzer writes fuzz-N.log there.
    (cd "$dir" && exec ./fuzz corpus "../../corpus/$name" \
        -max_total_time="$seconds" -max_len=4096 -timeout=10 -print_final_stats=1 \
        "${dict[@]}" -artifact_prefix=artifacts/ "$@") >"$log" 2>&1 || status=$?

    # Summary: the first and last progress lines and libFuzzer's final statistics.
    grep -m 1 -E '^#[0-9]+[[:space:]]+INITED' "$log" || true
    grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1 || true
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done [0-9]+ runs)' "$log" || true

    if ((status != 0)); then
        echo
        echo "$name: libFuzzer exited with status $status; the end of $log:"
        tail -n 60 "$log"
        echo
        echo "reproduce with: fuzz/run.sh --repro $name $dir/artifacts/<file>"
        ls -1 "$dir/artifacts/"
        return "$status"
    fi
    echo "$name: no crash in ${seconds}s"
}

json_differential() {
    build_target json
    echo "comparing the JSON parser with Python's json.loads"
    python3 fuzz/json-differential.py --binary "$out/json/fuzz" --corpus fuzz/corpus/json --corpus "$out/json/corpus"
}

is_target() {
    local name
    for name in "${targets[@]}" json-differential; do [[ "$1" == "$name" ]] && return 0; done
    return 1
}

case "${1:-}" in
--list)
    printf '%s\n' "${targets[@]}" json-differential
    exit 0
    ;;
--repro)
    shift
    name=http1-request
    if [[ $# -gt 0 ]] && is_target "$1"; then
        name=$1
        shift
    fi
    build_target "$name"
    exec "$out/$name/fuzz" "$@"
    ;;
esac

if [[ $# -gt 0 ]] && is_target "$1"; then
    name=$1
    shift
    if [[ "$name" == json-differential ]]; then
        json_differential
    else
        build_target "$name"
        fuzz_target "$name" "$@"
    fi
    exit
fi

# Every target (arguments, if any, go to libFuzzer), then the differential.
if [[ $# -gt 0 && "$1" != -* ]]; then
    echo "unknown target $1; targets: ${targets[*]} json-differential" >&2
    exit 2
fi
start=$SECONDS
for name in "${targets[@]}"; do build_target "$name"; done
failed=()
for name in "${targets[@]}"; do
    echo
    fuzz_target "$name" "$@" || failed+=("$name")
done
echo
json_differential || failed+=(json-differential)
echo
echo "fuzzing took $((SECONDS - start))s for ${#targets[@]} targets of ${seconds}s each, builds included"
if ((${#failed[@]})); then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
echo "all targets passed: ${targets[*]} json-differential"
