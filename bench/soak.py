#!/usr/bin/env python3
"""Soak: does relayd give back what a chat takes? A benchmark, not a test: it prints figures
and PASS/FAIL lines, and exits 1 when a check fails.

    bench/soak.py [--relayd PATH] [--chats 200000] [--cycles 10000] [--conns 100]
                  [--warmup-seconds 70] [--ttl 5] [--max-streams-bytes 33554432]
                  [--fill-max-streams-bytes 67108864] [--fill-seconds 20] [--no-fill]

Quick check: `bench/soak.py --chats 20000 --cycles 1000 --warmup-seconds 20 --fill-seconds 5`.

Needs the release build (`swift build -c release --product relayd`; or --relayd PATH) and the
shared C tools, built into a temporary folder from --tools (default ../shared/tools):
`fakellm`, a fake OpenAI upstream (50-chunk answers), and `wsload`, the WebSocket/SSE load
generator. Python's standard library only; loopback addresses only.

1. Leak check. relayd runs with a short `--stream-ttl` and `--detach-timeout`. A warm-up of
   the same load (WebSocket and SSE chats, connect/disconnect cycles) for --warmup-seconds
   grows the heap to its working size (replay store up to its cap, one upstream deadline
   timer per chat for up to 60 s, the allocator's arenas); once every stream has expired and
   the timers have fired, RSS (VmRSS) and open descriptors (/proc/PID/fd) are the baseline.
   Then --chats relayed chats (half WebSocket, half SSE, in rounds) and --cycles WebSocket
   connect/disconnect cycles (a clean close, an abrupt one, or a chat abandoned after its
   `start`), with RSS and descriptors printed after each round; after the same wait, both
   must be within --tolerance (10%) of the baseline. A leak of 100 bytes a chat is 20 MB at
   200,000 chats; the one this was written for was 11 KB.
   RSS rather than heap bytes in use: glibc keeps freed memory for reuse, so RSS at rest is
   the high-water mark of the working set, and it stays level when nothing is leaked.
2. Cap check. A fresh relayd with --fill-max-streams-bytes and a TTL longer than the run is
   filled with finished, kept streams for --fill-seconds (many more than the cap holds, so
   the oldest are dropped); after the wait, RSS growth over the idle start is printed against
   the store's own account (`relayd_replay_buffer_bytes`) and the cap, per stream kept. It
   fails when RSS grows more than --fill-max-ratio times the cap.
"""
import argparse
import base64
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "127.0.0.1"


def log(text):
    print(text, flush=True)


def build_tools(source_root):
    """Copies fakellm and wsload into a temporary folder and builds them there (the shared
    folder may be read-only). Returns (fakellm, wsload, folder)."""
    folder = tempfile.mkdtemp(prefix="relayd-soak-tools.")
    paths = []
    for name in ("fakellm", "wsload"):
        shutil.copytree(os.path.join(source_root, name), os.path.join(folder, name))
        subprocess.run(["make", "-s", "-C", os.path.join(folder, name), name], check=True, timeout=300)
        paths.append(os.path.join(folder, name, name))
    return paths[0], paths[1], folder


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def metrics(port):
    """relayd's gauges of kept streams and their bytes."""
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        connection.request("GET", "/metrics")
        text = connection.getresponse().read().decode()
    finally:
        connection.close()
    values = {}
    for name in ("relayd_streams_kept", "relayd_replay_buffer_bytes"):
        match = re.search(rf"^{name} ([0-9.e+]+)$", text, re.M)
        values[name] = float(match.group(1)) if match else -1
    return values


def wait_healthy(process, port, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"process exited during startup with {process.returncode}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=1)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"nothing healthy on port {port} after {seconds} s")


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


class Relayd:
    def __init__(self, binary, port, upstream_port, args, log_path):
        env = dict(os.environ, OPENAI_BASE_URL=f"http://{HOST}:{upstream_port}/v1", OPENAI_API_KEY="fake")
        self.port = port
        self.log = open(log_path, "ab")
        self.process = subprocess.Popen([binary, "--host", HOST, "--port", str(port), "--log-level", "warning"] + args,
                                        env=env, stdout=self.log, stderr=self.log)
        wait_healthy(self.process, port)

    @property
    def pid(self):
        return self.process.pid

    def alive(self):
        return self.process.poll() is None

    def status(self):
        kept = metrics(self.port)
        return (f"rss {rss_kb(self.pid) / 1024:8.1f} MiB  fds {fd_count(self.pid):5d}  "
                f"streams kept {int(kept['relayd_streams_kept']):6d}  replay bytes {int(kept['relayd_replay_buffer_bytes']):10d}")

    def stop(self):
        stop(self.process)
        self.log.close()


def run_wsload(wsload, mode, port, conns, seconds):
    """One wsload run; returns (streams completed, errors)."""
    result = subprocess.run([wsload, mode, "-p", str(port), "-c", str(conns), "-d", str(seconds), "-w", "0",
                             "--expect-chunks", "50"], capture_output=True, text=True, timeout=seconds + 60)
    line = next((l for l in result.stdout.splitlines() if l.startswith("RESULT")), "")
    values = dict(item.split("=", 1) for item in line.split()[1:] if "=" in item)
    if not values:
        raise SystemExit(f"wsload {mode} printed no RESULT line:\n{result.stdout}\n{result.stderr}")
    return int(values.get("ops_total", 0)), int(values.get("errors", 0)) + int(values.get("bad_streams", 0))


def ws_cycle(port, kind):
    """Connects a WebSocket and leaves: a clean close (1000), an abrupt one (no close frame),
    or a chat abandoned after its `start` event."""
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.sendall((f"GET /ws HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        received = b""
        while b"\r\n\r\n" not in received:
            data = sock.recv(4096)
            if not data:
                raise OSError("closed during the handshake")
            received += data
        if not received.startswith(b"HTTP/1.1 101"):
            raise OSError("upgrade refused: " + received.split(b"\r\n")[0].decode(errors="replace"))
        if kind == "chat":
            body = (b'{"type":"chat","id":"soak","provider":"openai","model":"gpt-4o-mini",'
                    b'"messages":[{"role":"user","content":"hi"}]}')
            sock.sendall(frame(0x1, body))
            while b'"start"' not in received:  # the 101 and the first frames
                data = sock.recv(65536)
                if not data:
                    break
                received += data
        elif kind == "clean":
            sock.sendall(frame(0x8, (1000).to_bytes(2, "big")))
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and sock.recv(4096):
                pass


def frame(opcode, payload):
    """A masked client frame (RFC 6455 §5.2), payloads under 126 bytes."""
    assert len(payload) < 126
    mask = os.urandom(4)
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def run_cycles(port, count, threads=4):
    """`count` connect/disconnect cycles over a few threads; returns the failures."""
    kinds = ("clean", "abrupt", "clean", "abrupt", "chat")
    failures = [0]
    lock = threading.Lock()

    def worker(start):
        for index in range(start, count, threads):
            try:
                ws_cycle(port, kinds[index % len(kinds)])
            except OSError:
                with lock:
                    failures[0] += 1

    workers = [threading.Thread(target=worker, args=(start,)) for start in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=600)
    return failures[0]


def settle(relayd, seconds, limit=600):
    """Waits until no stream is kept, then `seconds` more (upstream deadline timers)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and metrics(relayd.port)["relayd_streams_kept"] > 0:
        time.sleep(0.5)
    time.sleep(seconds)


def load(relayd, wsload, conns, chats, cycles, seconds_per_round, round_limit, print_rounds):
    """Rounds of WebSocket chats, SSE chats and cycles until `chats` and `cycles` are done.
    Returns (chats done, errors)."""
    done = errors = cycles_done = 0
    for index in range(round_limit):
        if done >= chats and cycles_done >= cycles:
            break
        if done < chats:
            mode = "chat" if index % 2 == 0 else "sse"
            completed, failed = run_wsload(wsload, mode, relayd.port, conns, seconds_per_round)
            done += completed
            errors += failed
        if cycles_done < cycles:
            batch = min(cycles - cycles_done, max(1, cycles // 10))
            errors += run_cycles(relayd.port, batch)
            cycles_done += batch
        if not relayd.alive():
            raise SystemExit("relayd died under load")
        if print_rounds:
            log(f"  round {index + 1:3d}: {done:7d} chats, {cycles_done:6d} cycles  {relayd.status()}")
    return done, cycles_done, errors


def leak_check(options, fakellm_port, wsload, folder):
    args = ["--stream-ttl", str(options.ttl), "--detach-timeout", "1", "--max-streams-bytes", str(options.max_streams_bytes)]
    relayd = Relayd(options.relayd, options.port, fakellm_port, args, os.path.join(folder, "relayd-soak.log"))
    results = []
    try:
        log(f"relayd {' '.join(args)} (pid {relayd.pid})")
        log(f"  idle:     {relayd.status()}")
        started = time.monotonic()
        warm, _, _ = load(relayd, wsload, options.conns, 10**9, options.cycles // 10, 5,
                          max(1, options.warmup_seconds // 5), False)
        log(f"  warm-up:  {warm} chats in {time.monotonic() - started:.0f} s  {relayd.status()}")
        settle(relayd, options.settle_seconds)
        baseline_rss, baseline_fds = rss_kb(relayd.pid), fd_count(relayd.pid)
        log(f"  baseline: {relayd.status()}")
        started = time.monotonic()
        round_limit = options.chats // 2000 + options.cycles // 100 + 20
        done, cycles, errors = load(relayd, wsload, options.conns, options.chats, options.cycles, 5, round_limit, True)
        peak = rss_kb(relayd.pid)
        log(f"  load:     {done} chats, {cycles} cycles, {errors} errors in {time.monotonic() - started:.0f} s")
        settle(relayd, options.settle_seconds)
        final_rss, final_fds = rss_kb(relayd.pid), fd_count(relayd.pid)
        log(f"  settled:  {relayd.status()}")
        log(f"  RSS baseline {baseline_rss / 1024:.1f} MiB, after load {peak / 1024:.1f} MiB, settled {final_rss / 1024:.1f} MiB: "
            f"{(final_rss - baseline_rss) * 1024 / max(done, 1):+.1f} bytes per chat")
        limit = 1 + options.tolerance
        results.append(("chats relayed", done >= options.chats and cycles >= options.cycles,
                        f"{done} of {options.chats} chats, {cycles} of {options.cycles} cycles"))
        results.append(("RSS back to baseline", final_rss <= baseline_rss * limit,
                        f"{final_rss / 1024:.1f} MiB vs {baseline_rss / 1024:.1f} MiB (limit +{options.tolerance:.0%})"))
        results.append(("descriptors back to baseline", final_fds <= baseline_fds * limit,
                        f"{final_fds} vs {baseline_fds}"))
    finally:
        relayd.stop()
    return results


def cap_check(options, fakellm_port, wsload, folder):
    cap = options.fill_max_streams_bytes
    args = ["--stream-ttl", "3600", "--max-streams-bytes", str(cap)]
    relayd = Relayd(options.relayd, options.port, fakellm_port, args, os.path.join(folder, "relayd-fill.log"))
    try:
        log(f"relayd {' '.join(args)} (pid {relayd.pid})")
        idle = rss_kb(relayd.pid)
        log(f"  idle:     {relayd.status()}")
        chats, errors = run_wsload(wsload, "chat", relayd.port, options.conns, options.fill_seconds)
        log(f"  filled:   {chats} chats ({errors} errors)  {relayd.status()}")
        time.sleep(options.settle_seconds)
        kept = metrics(relayd.port)
        streams, accounted = int(kept["relayd_streams_kept"]), int(kept["relayd_replay_buffer_bytes"])
        growth = (rss_kb(relayd.pid) - idle) * 1024
        log(f"  settled:  {relayd.status()}")
        log(f"  RSS growth {growth / 2**20:.1f} MiB for {accounted / 2**20:.1f} MiB accounted (cap {cap / 2**20:.0f} MiB), "
            f"{streams} streams kept: {growth / max(accounted, 1):.2f}x the account, "
            f"{growth / max(streams, 1) / 1024:.1f} KiB of RSS per kept stream vs {accounted / max(streams, 1) / 1024:.1f} KiB accounted")
        return [("replay store within its cap", growth <= cap * options.fill_max_ratio,
                 f"RSS grew {growth / 2**20:.1f} MiB, cap {cap / 2**20:.0f} MiB (limit {options.fill_max_ratio}x)")]
    finally:
        relayd.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--relayd", default=os.path.join(ROOT, ".build", "release", "relayd"))
    parser.add_argument("--tools", default=os.path.join(os.path.dirname(ROOT), "shared", "tools"),
                        help="folder with fakellm/ and wsload/ sources (default: ../shared/tools beside the repository)")
    parser.add_argument("--chats", type=int, default=200_000)
    parser.add_argument("--cycles", type=int, default=10_000, help="WebSocket connect/disconnect cycles")
    parser.add_argument("--conns", type=int, default=100, help="concurrent wsload connections")
    parser.add_argument("--warmup-seconds", type=int, default=70)
    parser.add_argument("--settle-seconds", type=int, default=65,
                        help="wait after the last stream expired (upstream deadline timers are armed for 60 s)")
    parser.add_argument("--ttl", type=float, default=5)
    parser.add_argument("--max-streams-bytes", type=int, default=32 << 20)
    parser.add_argument("--tolerance", type=float, default=0.10)
    parser.add_argument("--fill-max-streams-bytes", type=int, default=64 << 20)
    parser.add_argument("--fill-seconds", type=int, default=20)
    parser.add_argument("--fill-max-ratio", type=float, default=2.0)
    parser.add_argument("--no-fill", action="store_true", help="skip the cap check")
    parser.add_argument("--port", type=int, default=28471)
    parser.add_argument("--upstream-port", type=int, default=28472)
    options = parser.parse_args()
    if not os.access(options.relayd, os.X_OK):
        raise SystemExit(f"no relayd at {options.relayd}: swift build -c release --product relayd")

    fakellm, wsload, folder = build_tools(options.tools)
    upstream = subprocess.Popen([fakellm, "--port", str(options.upstream_port), "--chunks", "50"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = []
    try:
        time.sleep(0.3)
        if upstream.poll() is not None:
            raise SystemExit("fakellm did not start")
        results += leak_check(options, options.upstream_port, wsload, folder)
        if not options.no_fill:
            results += cap_check(options, options.upstream_port, wsload, folder)
    finally:
        stop(upstream)
    failed = False
    for name, ok, detail in results:
        log(f"{'PASS' if ok else 'FAIL'} {name}: {detail}")
        failed |= not ok
    log(f"(logs in {folder})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
