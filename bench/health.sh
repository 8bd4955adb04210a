#!/usr/bin/env bash
# /health throughput of a release build of relayd, measured with wrk.
#
#   bench/health.sh [--duration S] [--connections N] [--no-nginx]
#
# relayd runs pinned to CPU 0 (so it starts one event loop), wrk to CPU 1. Prints
# requests/s, latency percentiles and the server's CPU time per request (utime+stime from
# /proc, the least noisy figure on a shared machine). Unless --no-nginx, nginx answering
# `return 200` on /health (one worker, access log off) is measured the same way in the
# same run, and the ratio is printed. nginx with one wrk thread is client-bound, so its
# requests/s is a floor; compare CPU µs/request.
# Needs: wrk, taskset (util-linux), and nginx for the comparison (apt-get install wrk nginx-light).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=10 CONNECTIONS=64 NGINX=1 PORT=18090
while [[ $# -gt 0 ]]; do
    case $1 in
        --duration) DURATION=$2; shift 2 ;;
        --connections) CONNECTIONS=$2; shift 2 ;;
        --no-nginx) NGINX=0; shift ;;
        *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
    esac
done
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
(( NGINX == 0 )) || command -v nginx >/dev/null || { echo "nginx is missing (apt-get install nginx-light) or pass --no-nginx" >&2; exit 1; }

swift build -c release --product relayd >&2
BIN=$(swift build -c release --show-bin-path)/relayd
WORK=$(mktemp -d /tmp/relayd-bench.XXXXXX)
SERVER_PID=""
trap '[[ -z $SERVER_PID ]] || kill $SERVER_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT

cpu_ticks() { # utime+stime of a process and its children threads
    awk '{print $14 + $15}' "/proc/$1/stat"
}

wait_ready() {
    for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/health" && return 0; sleep 0.05; done
    echo "server did not become ready" >&2; exit 1
}

# measure NAME -> prints a result line, sets RPS and US
measure() {
    local name=$1 pid=$SERVER_PID
    wait_ready
    taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d1s "http://127.0.0.1:$PORT/health" >/dev/null # warm-up
    local t0 t1
    t0=$(cpu_ticks "$pid")
    taskset -c 1 wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "http://127.0.0.1:$PORT/health" >"$WORK/$name.wrk"
    t1=$(cpu_ticks "$pid")
    local requests rps p50 p99 errors hz
    hz=$(getconf CLK_TCK)
    requests=$(awk '/requests in/ {print $1}' "$WORK/$name.wrk")
    rps=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' "$WORK/$name.wrk")
    p50=$(awk '$1 == "50%" {print $2}' "$WORK/$name.wrk")
    p99=$(awk '$1 == "99%" {print $2}' "$WORK/$name.wrk")
    errors=$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {n += 1} END {print n + 0}' "$WORK/$name.wrk")
    US=$(awk -v t=$((t1 - t0)) -v hz="$hz" -v n="$requests" 'BEGIN {printf "%.2f", 1e6 * t / hz / n}')
    RPS=$rps
    printf '%-8s %10s req/s  %8s us/req server CPU  p50 %-8s p99 %-8s errors %s\n' "$name" "$rps" "$US" "$p50" "$p99" "$errors"
}

echo "GET /health, wrk -t1 -c$CONNECTIONS -d${DURATION}s; server on CPU 0, wrk on CPU 1; $(nproc) CPUs, $(uname -r)"
taskset -c 0 "$BIN" --host 127.0.0.1 --port "$PORT" --log-level warning >"$WORK/relayd.log" 2>&1 &
SERVER_PID=$!
measure relayd
RELAYD_RPS=$RPS RELAYD_US=$US
kill -TERM $SERVER_PID; wait $SERVER_PID 2>/dev/null || true; SERVER_PID=""

if (( NGINX )); then
    mkdir -p "$WORK/nginx"
    cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
master_process off;
error_log stderr warn;
pid $WORK/nginx/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx; proxy_temp_path $WORK/nginx; fastcgi_temp_path $WORK/nginx;
    uwsgi_temp_path $WORK/nginx; scgi_temp_path $WORK/nginx;
    keepalive_requests 1000000;
    server { listen 127.0.0.1:$PORT; location /health { default_type application/json; return 200 '{"status":"ok"}'; } }
}
CONF
    taskset -c 0 nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$WORK/nginx.log" 2>&1 &
    SERVER_PID=$!
    measure nginx
    kill -TERM $SERVER_PID; wait $SERVER_PID 2>/dev/null || true; SERVER_PID=""
    awk -v r="$RELAYD_RPS" -v n="$RPS" -v ru="$RELAYD_US" -v nu="$US" 'BEGIN {
        printf "relayd/nginx: %.2fx requests/s, %.2fx CPU per request (nginx is client-bound here: compare CPU)\n", r / n, ru / nu }'
fi
