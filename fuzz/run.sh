#!/usr/bin/env bash
# Fuzzes the HTTP/1.1 request parser (Sources/HTTP1) with libFuzzer and AddressSanitizer.
#
# Usage:
#   fuzz/run.sh                      # build, then fuzz for $FUZZ_SECONDS (default 60) seconds
#   FUZZ_SECONDS=600 fuzz/run.sh     # longer run
#   fuzz/run.sh -jobs=2 -workers=2   # extra arguments go to libFuzzer
#   fuzz/run.sh --repro FILE...      # build, then run just these inputs (a saved crash, say)
#
# The harness (fuzz/HTTP1RequestParserFuzz.swift) is compiled as one module together with
# Sources/HTTP1/*.swift. Everything generated lives in fuzz/.build/ (git-ignored): the
# binary, the growing corpus (fuzz/.build/corpus, kept between runs), a token dictionary,
# the log (fuzz/.build/fuzz.log) and crash artifacts (fuzz/.build/artifacts/). The
# committed seeds in fuzz/corpus/ are only read. Exits non-zero when libFuzzer finds a crash,
# a trapped invariant, a leak or a timeout.
#
# Needs a Swift toolchain with the fuzzer runtime (swift.org Linux toolchains have it;
# tested with Swift 6.3.1). Set SWIFTC to pick a compiler.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-60}"
out=fuzz/.build
binary="$out/http1-request-parser-fuzz"
mkdir -p "$out/corpus" "$out/artifacts"

swiftc="${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}"
echo "building $binary with $("$swiftc" --version 2>&1 | head -n 1)"
# ld.gold warns about every ASan helper symbol it cannot export; those warnings are noise.
if ! "$swiftc" -sanitize=fuzzer,address -parse-as-library -O -swift-version 6 \
    -module-name HTTP1Fuzz -o "$binary" \
    fuzz/HTTP1RequestParserFuzz.swift Sources/HTTP1/*.swift >"$out/build.log" 2>&1; then
    grep -v "Cannot export local symbol" "$out/build.log" >&2 || true
    echo "build failed" >&2
    exit 1
fi
grep -v "Cannot export local symbol" "$out/build.log" || true

# Let the sanitizer and libFuzzer handle a trap (fatalError) rather than Swift's backtracer,
# so the crash is reported and its input saved the usual way.
export SWIFT_BACKTRACE=enable=no

if [[ "${1:-}" == "--repro" ]]; then
    shift
    exec "$binary" "$@"
fi

# Tokens the parser branches on, to get past them faster than byte mutations would.
cat >"$out/http1.dict" <<'EOF'
"\x0d\x0a"
"\x0d\x0a\x0d\x0a"
"HTTP/1.1"
"HTTP/1.0"
"HTTP/2.0"
"GET "
"POST "
"Host: "
"Content-Length: "
"Transfer-Encoding: "
"chunked"
"gzip, chunked"
"Connection: "
"Expect: 100-continue"
"0\x0d\x0a\x0d\x0a"
";ext=1"
"ffffffffffffffff"
"99999999999999999999"
EOF

log="$out/fuzz.log"
echo "fuzzing for ${seconds}s (corpus $out/corpus, seeds fuzz/corpus, log $log)"
status=0
"$binary" "$out/corpus" fuzz/corpus \
    -max_total_time="$seconds" -max_len=4096 -timeout=10 -print_final_stats=1 \
    -dict="$out/http1.dict" -artifact_prefix="$out/artifacts/" "$@" >"$log" 2>&1 || status=$?

# Summary: the first and last progress lines and libFuzzer's final statistics.
grep -m 1 -E '^#[0-9]+[[:space:]]+INITED' "$log" || true
grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1 || true
grep -E '^(stat::|Done [0-9]+ runs)' "$log" || true

if ((status != 0)); then
    echo
    echo "libFuzzer exited with status $status; the end of $log:"
    tail -n 60 "$log"
    echo
    echo "reproduce with: fuzz/run.sh --repro $out/artifacts/<file>"
    ls -1 "$out/artifacts/"
    exit "$status"
fi
echo "no crash in ${seconds}s"
