#!/usr/bin/env python3
"""How long a resume takes: from the request to the first replayed event, with many streams
buffered. A benchmark, not a test: it prints figures.

    bench/resume-latency.py [--relayd PATH] [--streams 1000] [--resumes 2000]

It starts relayd (release build unless --relayd is given; `--loops 1`, pinned to CPU 0 when
taskset exists), fills it with finished streams from the built-in demo provider over one
WebSocket, then resumes random streams from random `seq`s, one at a time, over WebSocket
(`{"type":"resume"}`) and over HTTP (`GET /api/streams/{id}` with `Last-Event-ID`), and
prints p50/p90/p99/max of the time to the first replayed event, and relayd's memory.
Needs Python's `websockets` and `httpx`.
"""
import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time

import httpx
import websockets

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentiles(samples):
    samples = sorted(samples)
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))] * 1000
    return f"p50 {pick(0.5):.3f}  p90 {pick(0.9):.3f}  p99 {pick(0.99):.3f}  max {samples[-1] * 1000:.3f} ms"


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def fill(port: int, count: int):
    """Starts `count` chats on one WebSocket and waits for all to finish: (stream_id, last seq)."""
    streams = {}
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws", max_size=None) as ws:
        for index in range(count):
            await ws.send(json.dumps({"type": "chat", "id": f"b{index}",
                                      "messages": [{"role": "user", "content": f"benchmark question {index}"}]}))
        done = 0
        while done < count:
            event = json.loads(await ws.recv())
            if event["type"] == "start":
                streams[event["id"]] = [event["stream_id"], 0]
            elif event["type"] in ("chunk", "done"):
                streams[event["id"]][1] = event["seq"]
                done += event["type"] == "done"
    return list(streams.values())


async def resume_over_websocket(port: int, streams, rounds: int):
    samples = []
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws", max_size=None) as ws:
        for _ in range(rounds):
            stream_id, last = random.choice(streams)
            after = random.randint(-1, last - 1)
            started = time.perf_counter()
            await ws.send(json.dumps({"type": "resume", "stream_id": stream_id, "last_seq": after}))
            first = json.loads(await ws.recv())
            samples.append(time.perf_counter() - started)
            assert first.get("seq") == after + 1, first
            while first["type"] not in ("done", "error"):
                first = json.loads(await ws.recv())
    return samples


def resume_over_http(port: int, streams, rounds: int):
    samples = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        for _ in range(rounds):
            stream_id, last = random.choice(streams)
            after = random.randint(-1, last - 1)
            started = time.perf_counter()
            with client.stream("GET", f"/api/streams/{stream_id}", headers={"Last-Event-ID": str(after)}) as response:
                lines = response.iter_lines()
                for line in lines:
                    if line.startswith("id: "):
                        samples.append(time.perf_counter() - started)
                        assert int(line[4:]) == after + 1, line
                        break
                for _ in lines:
                    pass
    return samples


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--relayd")
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--resumes", type=int, default=2000)
    args = parser.parse_args()
    binary = args.relayd
    if not binary:
        subprocess.run(["swift", "build", "-c", "release", "--product", "relayd"], cwd=ROOT, check=True, stdout=sys.stderr)
        binary = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout.strip() + "/relayd"
    port = free_port()
    command = [binary, "--host", "127.0.0.1", "--port", str(port), "--loops", "1", "--log-level", "warning",
               "--demo-tokens-per-second", "5000"]
    if shutil.which("taskset"):
        command = ["taskset", "-c", "0"] + command
        os.sched_setaffinity(0, {1})
    environment = {key: value for key, value in os.environ.items() if not key.endswith("_API_KEY")}
    server = subprocess.Popen(command, env=environment)
    try:
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/health")
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        before = rss_kib(server.pid)
        streams = asyncio.run(fill(port, args.streams))
        after = rss_kib(server.pid)
        events = sum(last + 1 for _, last in streams)
        print(f"{len(streams)} finished streams buffered ({events} events); relayd RSS {before} -> {after} KiB "
              f"({(after - before) / len(streams):.1f} KiB per stream)")
        random.seed(7)
        websocket = asyncio.run(resume_over_websocket(port, streams, args.resumes))
        print(f"resume over WebSocket, request -> first replayed event, {len(websocket)} resumes: {percentiles(websocket)}")
        http = resume_over_http(port, streams, args.resumes // 2)
        print(f"resume over HTTP (GET + Last-Event-ID), request -> first event, {len(http)} resumes: {percentiles(http)}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
