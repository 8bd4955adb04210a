"""relayd's graceful drain on SIGTERM, with live WebSocket and SSE clients.

    python3 drain_session.py RELAYD_BINARY

Two runs of the binary (the demo provider slowed down so answers take seconds):

1. answers finish: SIGTERM while a WebSocket chat and an SSE chat are mid-answer, with an idle
   WebSocket beside them. The idle one gets 1012 at once with a retry hint; /health says 503;
   a new chat gets 503 `draining`; both answers arrive whole (the WebSocket then gets 1012);
   relayd exits 0 soon after, well within --drain-seconds.
2. the deadline: answers longer than --drain-seconds. At the deadline the WebSocket gets 1012
   and the SSE response ends with `event: resume` naming the last seq; relayd exits 0 within
   the bound.
Prints ALL OK.
"""
import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx
import websockets

BINARY = sys.argv[1]
CHAT = {"provider": "demo", "messages": [{"role": "user", "content": "drain me gently"}]}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(tokens_per_second, drain_seconds):
    port = free_port()
    process = subprocess.Popen([BINARY, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                                "--demo-tokens-per-second", str(tokens_per_second), "--drain-seconds", str(drain_seconds)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5)
            return process, port
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("relayd did not start")


async def ws_chat(port, chat_id, started):
    """A chat over WebSocket: its events, then the close code and reason."""
    events = []
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws", compression=None) as ws:
        await ws.send(json.dumps({"type": "chat", "id": chat_id, **CHAT}))
        try:
            while True:
                event = json.loads(await asyncio.wait_for(ws.recv(), 20))
                events.append(event)
                if len(events) == 3:
                    started.set()
        except websockets.ConnectionClosed as closed:
            return events, closed.rcvd.code if closed.rcvd else None, closed.rcvd.reason if closed.rcvd else ""


async def ws_idle(port, connected):
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws", compression=None) as ws:
        connected.set()
        try:
            await asyncio.wait_for(ws.recv(), 20)
        except websockets.ConnectionClosed as closed:
            return time.monotonic(), closed.rcvd.code, closed.rcvd.reason


async def sse_chat(port, started):
    """A chat over SSE: (event type, data) pairs, in order."""
    events = []
    async with httpx.AsyncClient(timeout=20) as client:
        async with client.stream("POST", f"http://127.0.0.1:{port}/api/chat/stream", json={"id": "s1", **CHAT}) as response:
            assert response.status_code == 200
            kind = None
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    events.append((kind, json.loads(line[6:])))
                    if len(events) == 3:
                        started.set()
    return events


def text_of(events):
    return "".join(event.get("content", "") for event in events if event.get("type") == "chunk")


async def answers_finish():
    process, port = start(tokens_per_second=12, drain_seconds=15)
    reference = httpx.post(f"http://127.0.0.1:{port}/api/chat", json={"id": "ref", **CHAT}, timeout=20).json()["content"]
    ws_started, sse_started, idle_connected = asyncio.Event(), asyncio.Event(), asyncio.Event()
    ws_task = asyncio.create_task(ws_chat(port, "w1", ws_started))
    sse_task = asyncio.create_task(sse_chat(port, sse_started))
    idle_task = asyncio.create_task(ws_idle(port, idle_connected))
    await asyncio.wait_for(asyncio.gather(ws_started.wait(), sse_started.wait(), idle_connected.wait()), 10)
    signalled = time.monotonic()
    process.send_signal(signal.SIGTERM)
    idle_closed_at, idle_code, idle_reason = await asyncio.wait_for(idle_task, 5)
    assert idle_code == 1012, idle_code
    assert idle_closed_at - signalled < 1.0, idle_closed_at - signalled
    hint = re.search(r"retry_after_ms=(\d+)", idle_reason)
    assert hint and 500 <= int(hint.group(1)) <= 5000, idle_reason
    async with httpx.AsyncClient(timeout=5) as client:
        health = await client.get(f"http://127.0.0.1:{port}/health")
        assert health.status_code == 503 and health.json()["status"] == "draining", health.text
        refused = await client.post(f"http://127.0.0.1:{port}/api/chat/stream", json={"id": "late", **CHAT})
        assert refused.status_code == 503 and refused.json()["error"]["code"] == "draining", refused.text
        assert refused.headers.get("Retry-After")
    ws_events, ws_code, _ = await asyncio.wait_for(ws_task, 20)
    assert ws_events[-1]["type"] == "done" and ws_events[-1]["finish_reason"] == "stop", ws_events[-1]
    assert text_of(ws_events) == reference
    assert ws_code == 1012, ws_code
    sse_events = await asyncio.wait_for(sse_task, 20)
    assert sse_events[-1][0] == "done", sse_events[-1]
    assert text_of([data for _, data in sse_events]) == reference
    exit_code = process.wait(10)
    elapsed = time.monotonic() - signalled
    assert exit_code == 0, (exit_code, process.stderr.read().decode())
    assert elapsed < 10, elapsed
    return elapsed


async def deadline_reached():
    process, port = start(tokens_per_second=4, drain_seconds=1.5)
    ws_started, sse_started = asyncio.Event(), asyncio.Event()
    ws_task = asyncio.create_task(ws_chat(port, "w2", ws_started))
    sse_task = asyncio.create_task(sse_chat(port, sse_started))
    await asyncio.wait_for(asyncio.gather(ws_started.wait(), sse_started.wait()), 10)
    signalled = time.monotonic()
    process.send_signal(signal.SIGTERM)
    ws_events, ws_code, ws_reason = await asyncio.wait_for(ws_task, 10)
    assert ws_code == 1012 and "retry_after_ms=" in ws_reason, (ws_code, ws_reason)
    assert ws_events[-1]["type"] == "chunk", "cut before the end of the answer"
    sse_events = await asyncio.wait_for(sse_task, 10)
    kind, resume = sse_events[-1]
    assert kind == "resume" and resume["type"] == "resume", sse_events[-1]
    assert resume["last_seq"] == sse_events[-2][1]["seq"], (resume, sse_events[-2])
    exit_code = process.wait(10)
    elapsed = time.monotonic() - signalled
    assert exit_code == 0, exit_code
    assert 1.4 < elapsed < 4, elapsed
    return elapsed


async def main():
    finished = await answers_finish()
    deadline = await deadline_reached()
    print(f"ALL OK answers-finish exit after {finished:.2f} s, deadline exit after {deadline:.2f} s")


asyncio.run(main())
