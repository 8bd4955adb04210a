#!/usr/bin/env bash
# relay-latency.sh: the latency relayd ADDS to each streamed chunk, at a realistic token pace.
#
# bench/latency/chatlat is one process that is both the fake OpenAI upstream (it writes every
# chunk with its CLOCK_MONOTONIC send time inside) and the WebSocket clients (they subtract
# that stamp from their read time). Per concurrency level the script runs, in this order:
#   direct   chatlat --direct: the clients read the fake upstream themselves (the baseline:
#            the tool's own cost and the loopback, no relay)
#   relayd   chatlat -> relayd /ws -> chatlat's upstream (relayd: --loops 1, pinned)
#   hb       the same through the Hummingbird 2 peer (only with --hummingbird)
# and prints one table: percentiles through the relay and direct, the added p99 (relay p99 -
# direct p99), and the relay's CPU per chunk (utime+stime from /proc/PID/stat over the
# measured window / chunks received in it; the per-stream work, start/done/the upstream
# request, is in it, amortized over --chunks).
#
# Each target gets a fresh process pinned to --server-cpu (0); chatlat runs on --load-cpu (1).
# Before the runs, `chatlat --noise` spins on each of the two CPUs and reports how often a
# thread there is not running (other tasks, interrupts, the hypervisor): latency figures on
# this machine cannot be better than that floor.
#
# Usage: bench/relay-latency.sh [--conns "100 1000"] [--interval-ms 50] [--jitter 0.5] [--duration 15] [--warmup 3]
#          [--chunks 50] [--repeat 1] [--relayd PATH | --commit REV] [--hummingbird] [--hb-bin PATH]
#          [--port 18090] [--upstream-port 19390] [--server-cpu 0] [--load-cpu 1] [--threads 1]
#          [--noise 2] [--out /tmp/relay-latency]
#   --relayd PATH  use this binary (no build). Otherwise: swift build -c release --product relayd
#                  --scratch-path $RELAYD_SCRATCH (default /tmp/latbuild, apart from .build).
#   --commit REV   build that commit from a `git archive` snapshot instead of the working tree
#                  (immune to edits made while it builds; scratch path $RELAYD_SCRATCH-REV).
#   --hummingbird  also measure bench/perf's Hummingbird 2 peer. Its binary: --hb-bin, else the one
#                  bench/perf/run.sh builds (peers/hummingbird/.build-hb), else $HB_SCRATCH/release
#                  (default /tmp/hbbuild), which is built from a copy of the peer's package (~3.5 min).
#   --jitter J     each gap between chunks is interval x (1 +- J), uniform (mean rate unchanged);
#                  0 paces strictly, which lets streams lock into phase and arrive in bursts.
#   --noise 0      skips the noise probe.
# Raw logs and results.tsv go to --out.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
COMMIT="" CONNS="100 1000" INTERVAL=50 JITTER=0.5 DURATION=15 WARMUP=3 CHUNKS=50 REPEAT=1 RELAYD="" HUMMINGBIRD=0 HB_BIN=""
PORT=18090 UPORT=19390 SERVER_CPU=0 LOAD_CPU=1 THREADS=1 NOISE=2 OUT=/tmp/relay-latency
RELAYD_SCRATCH=${RELAYD_SCRATCH:-/tmp/latbuild}
HB_SCRATCH=${HB_SCRATCH:-/tmp/hbbuild}
HB_PEER_DIR=${HB_PEER_DIR:-/work/shared/bench/perf/peers/hummingbird}

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
while (($#)); do
    case $1 in
        --hummingbird) HUMMINGBIRD=1; shift; continue ;;
        -h | --help) usage ;;
    esac
    (($# >= 2)) || usage
    case $1 in
        --conns) CONNS=$2 ;; --interval-ms) INTERVAL=$2 ;; --jitter) JITTER=$2 ;; --duration) DURATION=$2 ;; --warmup) WARMUP=$2 ;;
        --chunks) CHUNKS=$2 ;; --repeat) REPEAT=$2 ;; --relayd) RELAYD=$2 ;; --commit) COMMIT=$2 ;; --hb-bin) HB_BIN=$2 ;;
        --port) PORT=$2 ;; --upstream-port) UPORT=$2 ;; --server-cpu) SERVER_CPU=$2 ;; --load-cpu) LOAD_CPU=$2 ;;
        --threads) THREADS=$2 ;; --noise) NOISE=$2 ;; --out) OUT=$2 ;;
        *) usage ;;
    esac
    shift 2
done

log() { printf '[relay-latency] %s\n' "$*" >&2; }
mkdir -p "$OUT"

# 1000 WebSockets + 1000 upstream connections per process, on each side.
max_conns=0
for c in $CONNS; do if ((c > max_conns)); then max_conns=$c; fi; done
need=$((2 * max_conns + 1024))
if (($(ulimit -n) < need)); then
    ulimit -Hn 65536 2>/dev/null || true
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fi
(($(ulimit -n) >= need)) || log "warning: open-file limit $(ulimit -n) < $need; the largest runs may fail to connect"

# ---- builds ----
if [[ -z $RELAYD && -n $COMMIT ]]; then
    rev=$(git -C "$ROOT" rev-parse --short "$COMMIT")
    src=$RELAYD_SCRATCH-$rev/src
    if [[ ! -f $src/Package.swift ]]; then
        mkdir -p "$src"
        git -C "$ROOT" archive "$rev" | tar -x -C "$src"
    fi
    log "building relayd $rev (release, from a snapshot in $src)"
    (cd "$src" && swift build -c release --product relayd --scratch-path "$RELAYD_SCRATCH-$rev" >&2)
    RELAYD=$RELAYD_SCRATCH-$rev/release/relayd
elif [[ -z $RELAYD ]]; then
    log "building relayd (release, --scratch-path $RELAYD_SCRATCH)"
    (cd "$ROOT" && swift build -c release --product relayd --scratch-path "$RELAYD_SCRATCH" >&2)
    RELAYD=$RELAYD_SCRATCH/release/relayd
fi
[[ -x $RELAYD ]] || { log "no relayd binary at $RELAYD"; exit 1; }

CHATLAT=$OUT/chatlat
if [[ ! -x $CHATLAT || $HERE/latency/chatlat.c -nt $CHATLAT ]]; then
    cc -O2 -Wall -o "$CHATLAT" "$HERE/latency/chatlat.c" -lpthread
fi

if ((HUMMINGBIRD)); then
    if [[ -z $HB_BIN ]]; then
        if [[ -x $HB_PEER_DIR/.build-hb/release/hb-peer ]]; then
            HB_BIN=$HB_PEER_DIR/.build-hb/release/hb-peer
        else
            HB_BIN=$HB_SCRATCH/release/hb-peer
            if [[ ! -x $HB_BIN ]]; then
                # Built from a copy, so nothing (Package.resolved) is written into the shared tree.
                log "building the Hummingbird peer into $HB_SCRATCH (~3.5 min)"
                mkdir -p "$HB_SCRATCH/hb-peer"
                cp -R "$HB_PEER_DIR/hb-peer/Package.swift" "$HB_PEER_DIR/hb-peer/Sources" "$HB_SCRATCH/hb-peer/"
                swift build -c release --package-path "$HB_SCRATCH/hb-peer" --scratch-path "$HB_SCRATCH" >&2
            fi
        fi
    fi
    [[ -x $HB_BIN ]] || { log "no Hummingbird peer binary at $HB_BIN"; exit 1; }
fi

# ---- helpers ----
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port_free() {
    local i
    for ((i = 0; i < 100; i++)); do port_free "$1" && return 0; sleep 0.1; done
    log "port $1 is still in use"; exit 1
}
SPID=""
stop_server() {
    [[ -n $SPID ]] || return 0
    kill -TERM "$SPID" 2>/dev/null || true
    local i
    for ((i = 0; i < 100; i++)); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SPID" 2>/dev/null || true
    wait "$SPID" 2>/dev/null || true
    SPID=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM

start_server() { # TARGET LOG
    wait_port_free "$PORT"
    case $1 in
        relayd)
            env -i PATH="$PATH" HOME="$HOME" OPENAI_BASE_URL="http://127.0.0.1:$UPORT/v1" OPENAI_API_KEY=fake \
                taskset -c "$SERVER_CPU" "$RELAYD" --host 127.0.0.1 --port "$PORT" --loops 1 --log-level warning \
                >"$2" 2>&1 &
            ;;
        hummingbird)
            taskset -c "$SERVER_CPU" "$HB_BIN" --host 127.0.0.1 --port "$PORT" --upstream "http://127.0.0.1:$UPORT" >"$2" 2>&1 &
            ;;
    esac
    SPID=$!
    local i
    for ((i = 0; i < 300; i++)); do
        curl -sf -o /dev/null "http://127.0.0.1:$PORT/health" && return 0
        kill -0 "$SPID" 2>/dev/null || { log "$1 exited at start:"; tail -5 "$2" >&2; exit 1; }
        sleep 0.1
    done
    log "$1 not healthy after 30 s"; exit 1
}

kv() { # FILE KEY -> value from the RESULT line
    grep '^RESULT ' "$1" | tail -1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}

run_chatlat() { # LOG ARGS...
    local logf=$1
    shift
    wait_port_free "$UPORT"
    taskset -c "$LOAD_CPU" "$CHATLAT" --upstream-port "$UPORT" -t "$THREADS" -d "$DURATION" -w "$WARMUP" \
        --interval-ms "$INTERVAL" --jitter "$JITTER" --chunks "$CHUNKS" "$@" >"$logf" 2>"$logf.err" || {
        log "chatlat failed:"; cat "$logf.err" >&2; exit 1
    }
    sed 's/^/    /' "$logf" | grep -v '^    RESULT' >&2
    if [[ -s $logf.err ]]; then sed 's/^/    stderr: /' "$logf.err" | sort | uniq -c | head -5 >&2; fi
}

# ---- noise probe ----
if [[ $NOISE != 0 ]]; then
    for cpu in "$SERVER_CPU" "$LOAD_CPU"; do
        taskset -c "$cpu" "$CHATLAT" --noise "$NOISE" >"$OUT/noise.cpu$cpu.log"
        log "cpu$cpu $(head -1 "$OUT/noise.cpu$cpu.log")"
    done
fi

TARGETS=(relayd)
if ((HUMMINGBIRD)); then TARGETS+=(hummingbird); fi
STAMP=$(date +%Y%m%d-%H%M%S)
TSV=$OUT/results.tsv
[[ -s $TSV ]] || printf 'stamp\ttarget\tconns\tinterval_ms\tchunks_per_s\tideal\tp50\tp99\tp999\tmax\tover_1ms_pct\td_p50\td_p99\td_p999\tadded_p99\tus_per_chunk\tsrv_pct\ttool_pct\terrors\tflags\n' >"$TSV"
ROWS=()

for ((rep = 1; rep <= REPEAT; rep++)); do
    for c in $CONNS; do
        base=$OUT/$STAMP.c$c.r$rep
        log "conns=$c run $rep/$REPEAT: direct baseline"
        run_chatlat "$base.direct.log" --direct -c "$c" --label direct
        d50=$(kv "$base.direct.log" p50_ms) d99=$(kv "$base.direct.log" p99_ms) d999=$(kv "$base.direct.log" p999_ms)
        dtool=$(kv "$base.direct.log" tool_thread_max_pct) derr=$(kv "$base.direct.log" errors)
        for target in "${TARGETS[@]}"; do
            log "conns=$c run $rep/$REPEAT: $target"
            start_server "$target" "$base.$target.server.log"
            run_chatlat "$base.$target.log" -p "$PORT" -c "$c" --pid "$SPID" --label "$target"
            stop_server
            if grep -qiE 'warning|error|critical|fatal' "$base.$target.server.log"; then
                log "$target logged (first lines of $(grep -ciE 'warning|error|critical|fatal' "$base.$target.server.log")):"
                grep -iE 'warning|error|critical|fatal' "$base.$target.server.log" | head -3 | cut -c1-300 >&2
            fi
            f=$base.$target.log
            r() { kv "$f" "$1"; }
            cps=$(r chunks_per_s) ideal=$(r ideal_chunks_per_s) srv_s=$(r srv_cpu_s) win=$(r window_s)
            srv_pct=$(awk -v s="$srv_s" -v w="$win" 'BEGIN { printf "%.0f", s / w * 100 }')
            tool=$(r tool_thread_max_pct) errs=$(r errors)
            added=$(awk -v a="$(r p99_ms)" -v b="$d99" 'BEGIN { printf "%.3f", a - b }')
            flags=""
            if awk -v c="$cps" -v i="$ideal" 'BEGIN { exit !(c < 0.97 * i) }'; then flags+="BEHIND-PACE "; fi
            if ((srv_pct >= 90)); then flags+="SERVER-SATURATED "; fi
            if ((tool > 80 || dtool > 80)); then flags+="TOOL>80% "; fi
            if ((errs > 0 || derr > 0)); then flags+="ERRORS "; fi
            # Busy time on the server CPU not accounted to the server or softirq: neighbours.
            other=$(awk -v b="$(r cpu${SERVER_CPU}_busy_pct)" -v s="$srv_pct" -v q="$(r cpu${SERVER_CPU}_softirq_pct)" \
                'BEGIN { o = b - s - q; printf "%.0f", o < 0 ? 0 : o }')
            if ((other >= 10)); then flags+="OTHER-WORK-ON-CPU$SERVER_CPU=${other}% "; fi
            row=$(printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s' "$target" "$c" \
                "$INTERVAL" "$cps" "$ideal" "$(r p50_ms)" "$(r p99_ms)" "$(r p999_ms)" "$(r max_ms)" "$(r over_1ms_pct)" \
                "$d50" "$d99" "$d999" "$added" \
                "$(r srv_us_per_chunk)" "$srv_pct" "$tool" "$((errs + derr))" "${flags% }")
            printf '%s\t%s\n' "$STAMP" "$row" >>"$TSV"
            ROWS+=("$row")
        done
    done
done

echo
echo "relay-latency: added latency per chunk (upstream send -> client read), ms; $DURATION s windows after $WARMUP s warmup"
echo "relay: $RELAYD (--loops 1) on cpu$SERVER_CPU; chatlat on cpu$LOAD_CPU; $CHUNKS chunks per stream, back to back, gaps ${INTERVAL} ms +-$(awk -v j="$JITTER" 'BEGIN { print j * 100 }')%"
for cpu in "$SERVER_CPU" "$LOAD_CPU"; do
    [[ -s $OUT/noise.cpu$cpu.log ]] && echo "cpu$cpu $(head -1 "$OUT/noise.cpu$cpu.log")"
done
printf '%-12s %6s %5s %9s | %-23s %8s | %-23s | %9s %9s %5s %5s %5s  %s\n' target conns ms chunks/s \
    "relay p50/p99/p99.9" ">1ms %" "direct p50/p99/p99.9" "added p99" "us/chunk" "srv%" "tool%" errs flags
for row in "${ROWS[@]}"; do
    IFS=$'\t' read -r target c int cps ideal p50 p99 p999 mx o1 d50 d99 d999 added usc srvp tool errs flags <<<"$row"
    printf '%-12s %6s %5s %9s | %-23s %8s | %-23s | %9s %9s %5s %5s %5s  %s\n' "$target" "$c" "$int" "$cps" \
        "$p50/$p99/$p999" "$o1" "$d50/$d99/$d999" "$added" "$usc" "$srvp" "$tool" "$errs" "$flags"
done
echo ">1ms %: share of the relayed chunks that took over 1 ms (the goal: p99 < 1 ms, i.e. under 1%)"
echo "us/chunk: relay CPU (utime+stime) in the window / chunks received; srv%: of one core; tool%: chatlat's busiest thread"
echo "logs and results.tsv: $OUT"
