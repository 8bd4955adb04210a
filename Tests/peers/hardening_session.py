"""Hostile clients against the relayd binary: one check per finding of the hardening review.

    python3 hardening_session.py RELAYD_BINARY CHECK

Each check starts its own relayd on a free loopback port, attacks it the way the finding
describes, and asserts that relayd answers with a clear error, stays bounded, and keeps
serving everyone else. Prints `OK CHECK` on success; any failure raises (exit 1).
"""
import asyncio
import json
import os
import socket
import struct
import subprocess
import sys
import time

import httpx
import websockets

import relayd_process
from relayd_process import Relayd

BINARY = relayd_process.BINARY = sys.argv[1]
CHAT = {"provider": "demo", "messages": [{"role": "user", "content": "hello"}]}


# Raw WebSocket: what a hostile client sends, byte for byte (the websockets library would
# answer pings and read for us).

def ws_connect_raw(port, path="/ws", extra_headers=""):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra_headers}\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        piece = sock.recv(4096)
        assert piece, "closed during the handshake"
        head += piece
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock, head.split(b"\r\n\r\n", 1)[1]


def frame(opcode, payload=b"", fin=True):
    mask = os.urandom(4)
    first = (0x80 if fin else 0) | opcode
    length = len(payload)
    if length < 126:
        head = struct.pack("!BB", first, 0x80 | length)
    elif length < 65536:
        head = struct.pack("!BBH", first, 0x80 | 126, length)
    else:
        head = struct.pack("!BBQ", first, 0x80 | 127, length)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def read_frames(sock, buffered=b"", until=None, timeout=10):
    """Reads server frames until `until(opcode, payload)` is true; returns them all."""
    frames, data = [], buffered
    deadline = time.time() + timeout
    while True:
        while len(data) >= 2:
            length, offset = data[1] & 0x7F, 2
            if length == 126:
                if len(data) < 4:
                    break
                length, offset = struct.unpack("!H", data[2:4])[0], 4
            elif length == 127:
                if len(data) < 10:
                    break
                length, offset = struct.unpack("!Q", data[2:10])[0], 10
            if len(data) < offset + length:
                break
            opcode, payload = data[0] & 0x0F, data[offset:offset + length]
            data = data[offset + length:]
            frames.append((opcode, payload))
            if until and until(opcode, payload):
                return frames
        if time.time() > deadline:
            raise AssertionError(f"timed out; frames so far: {frames[-5:]}")
        sock.settimeout(max(0.05, deadline - time.time()))
        piece = sock.recv(65536)
        if not piece:
            return frames
        data += piece


def json_messages(frames):
    return [json.loads(payload) for opcode, payload in frames if opcode == 1]


# Checks

def resume_overflow():
    """Finding 1: a resume after Int.max (and other out-of-range seqs) is a 400 / an error
    event, never a trap that ends every stream."""
    with Relayd(["--demo-tokens-per-second", "200"]) as relayd:
        with httpx.Client(base_url=relayd.base, timeout=10) as client:
            done = client.post("/api/chat", json={"id": "a", **CHAT})
            assert done.status_code == 200, done.text
            stream_id = done.json()["stream_id"]
            for value in ("9223372036854775807", "9223372036854775808", "-9223372036854775808", "-2", "2147483648", "1e3", "x"):
                for request in (dict(headers={"Last-Event-ID": value}), dict(params={"after": value})):
                    response = client.get(f"/api/streams/{stream_id}", **request)
                    assert response.status_code == 400, (value, request, response.status_code, response.text)
                    assert response.json()["error"]["code"] == "bad_request", response.text
            # In range but past the end: nothing to replay, the stream is finished.
            response = client.get(f"/api/streams/{stream_id}", params={"after": "2147483647"})
            assert response.status_code == 200, response.text
            assert "event: chunk" not in response.text, response.text

        async def websocket():
            async with websockets.connect(relayd.ws, compression=None) as ws:
                for value in (9223372036854775807, 92233720368547758070, -9223372036854775808, 1e300, -2, 2**31):
                    await ws.send(json.dumps({"type": "resume", "stream_id": stream_id, "last_seq": value}))
                    reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
                    assert reply["type"] == "error" and reply["code"] == "bad_request", (value, reply)
                await ws.send('{"type":"heartbeat","timestamp":1e999}')
                reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
                assert reply["type"] == "heartbeat_ack" and reply["timestamp"] is None, reply
        asyncio.run(websocket())
        assert relayd.alive()
        assert httpx.get(relayd.base + "/health", timeout=5).status_code == 200


def ping_flood():
    """Finding 2: a client that sends pings and never reads their pongs. relayd stops reading
    it once its output is backed up (backpressure) instead of queueing pongs without bound;
    its memory stays flat and everyone else is still served."""
    with Relayd(["--ws-ping-interval", "60"]) as relayd:
        before = relayd.rss_kib()
        sock, _ = ws_connect_raw(relayd.port)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # read nothing, hold little
        flood = frame(0x9, b"p" * 125) * 4096  # 0.5 MiB of pings per send
        sock.setblocking(False)
        sent, deadline = 0, time.time() + 6
        while time.time() < deadline and sent < 400 << 20:
            try:
                # Whole frames only: a partial send continues where it stopped.
                sent += sock.send(flood[sent % len(flood):])
            except BlockingIOError:
                time.sleep(0.01)  # relayd stopped reading us: that is the point
        time.sleep(1)  # whatever was read is handled by now
        grown = relayd.rss_kib() - before
        # Before the fix every ping became a queued pong: hundreds of MiB in these seconds.
        assert grown < 24 * 1024, f"RSS grew by {grown} KiB after {sent >> 20} MiB of pings"
        assert sent < 64 << 20, f"relayd read {sent >> 20} MiB of pings from a client that reads nothing"

        async def other_client():
            async with websockets.connect(relayd.ws, compression=None) as ws:
                started = time.time()
                await ws.send('{"type":"heartbeat","timestamp":1}')
                reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
                assert reply["type"] == "heartbeat_ack", reply
                return time.time() - started
        elapsed = asyncio.run(other_client())
        assert elapsed < 1, elapsed
        sock.close()
        assert relayd.alive()


def loop_starvation():
    """Finding 3: 64 sockets that never stop sending (unsolicited pongs, which need no answer)
    on one event loop. Its timers (here the header timeout) and other sockets still run."""
    with Relayd(["--loops", "1", "--header-timeout", "1", "--ws-ping-interval", "60"]) as relayd:
        socks = [ws_connect_raw(relayd.port)[0] for _ in range(64)]
        flood = bytes(frame(0xA, b"q" * 125)) * 2048
        for sock in socks:
            sock.setblocking(False)
        stop = time.time() + 10
        import threading

        offsets = {sock: 0 for sock in socks}

        def pump(mine):
            while time.time() < stop:
                for sock in mine:
                    try:
                        # Whole frames only: a partial send continues where it stopped.
                        offsets[sock] = (offsets[sock] + sock.send(flood[offsets[sock]:])) % len(flood)
                    except (BlockingIOError, OSError):
                        pass
        pumps = [threading.Thread(target=pump, args=(socks[half::2],), daemon=True) for half in range(2)]
        for thread in pumps:
            thread.start()
        time.sleep(1)
        started = time.time()
        slow = socket.create_connection(("127.0.0.1", relayd.port), timeout=8)
        slow.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # never finished
        answer = slow.recv(4096)
        waited = time.time() - started
        assert answer.startswith(b"HTTP/1.1 408"), answer
        # The sweep runs every second: 1 s of timeout, up to 1 s to notice it, some slack.
        assert waited < 4, f"the header timeout fired after {waited:.1f} s"

        async def heartbeat():
            async with websockets.connect(relayd.ws, compression=None, open_timeout=5) as ws:
                started = time.time()
                await ws.send('{"type":"heartbeat","timestamp":1}')
                await asyncio.wait_for(ws.recv(), 5)
                return time.time() - started
        assert asyncio.run(heartbeat()) < 1
        stop = 0
        for thread in pumps:
            thread.join()
        assert relayd.alive()


def head_stream():
    """Finding 12: `HEAD /api/streams/{id}` ends at its head. It must let go of the stream like
    any other response that ends: with nobody else attached, the detach timeout stops the
    provider (it used to keep a subscriber attached, and the stream ran on for nobody)."""
    with Relayd(["--demo-tokens-per-second", "4", "--detach-timeout", "1"]) as relayd:
        async def start_and_leave():
            async with websockets.connect(relayd.ws, compression=None) as ws:
                await ws.send(json.dumps({"type": "chat", "id": "h", **CHAT}))
                start = json.loads(await asyncio.wait_for(ws.recv(), 5))
                assert start["type"] == "start", start
                return start["stream_id"]
        stream_id = asyncio.run(start_and_leave())
        head = httpx.head(f"{relayd.base}/api/streams/{stream_id}", timeout=5)
        assert head.status_code == 200 and head.headers["content-type"].startswith("text/event-stream"), head
        assert head.content == b""
        time.sleep(2.5)  # past the detach timeout
        with httpx.stream("GET", f"{relayd.base}/api/streams/{stream_id}", params={"after": "-1"}, timeout=10) as response:
            events = [json.loads(line[5:]) for line in response.iter_lines() if line.startswith("data:")]
        assert events[-1]["type"] == "done" and events[-1]["finish_reason"] == "cancelled", events[-1]
        assert len(events) < 20, f"the stream ran on with nobody attached: {len(events)} events"


def settings():
    """Finding 13: values that pass a lower bound but trap later (in a conversion to
    nanoseconds, a sum) are refused at start-up with exit status 64 and the setting's name."""
    cases = [
        (["--header-timeout", "inf"], {}, "--header-timeout"),
        (["--idle-timeout", "1e300"], {}, "--idle-timeout"),
        (["--stream-ttl", "nan"], {}, "--stream-ttl"),
        ([], {"RELAYD_DETACH_TIMEOUT": "1e20"}, "RELAYD_DETACH_TIMEOUT"),
        (["--upstream-total-timeout", "9e15"], {}, "--upstream-total-timeout"),
        (["--max-streams-bytes", "9223372036854775807"], {}, "--max-streams-bytes"),
        (["--max-body-bytes", "9223372036854775807"], {}, "--max-body-bytes"),
        (["--loops", "100000"], {}, "--loops"),
        (["--chats-per-minute", "inf"], {}, "--chats-per-minute"),
        (["--demo-tokens-per-second", "1e308"], {}, "--demo-tokens-per-second"),
    ]
    for arguments, environment, name in cases:
        result = subprocess.run([BINARY, "--port", "0", *arguments], env={"PATH": "/usr/bin:/bin", **environment},
                                capture_output=True, timeout=20)
        output = (result.stdout + result.stderr).decode(errors="replace")
        assert result.returncode == 64, (arguments, environment, result.returncode, output)
        assert name in output, (name, output)


def chat_flood():
    """Finding 6: 30,000 chats on one WebSocket. All but `--max-streams-per-connection` get
    `too_many_streams` at once, past `--max-live-streams` others get `server_busy`, and a
    heartbeat on another socket of the same loop is still answered within 50 ms."""
    import threading
    with Relayd(["--loops", "1", "--demo-tokens-per-second", "2", "--max-live-streams", "80"]) as relayd:
        sock, leftover = ws_connect_raw(relayd.port)
        flood = b"".join(frame(1, json.dumps({"type": "chat", "id": f"f{i}", **CHAT}).encode()) for i in range(30000))
        codes, starts = {}, 0

        def read_flood():
            def seen(opcode, payload):
                nonlocal starts
                if opcode == 1:
                    message = json.loads(payload)
                    if message["type"] == "start":
                        starts += 1
                    elif message["type"] == "error":
                        codes[message["code"]] = codes.get(message["code"], 0) + 1
                return starts + sum(codes.values()) >= 30000
            read_frames(sock, leftover, until=seen, timeout=120)
        reader = threading.Thread(target=read_flood, daemon=True)
        reader.start()
        sender = threading.Thread(target=lambda: sock.sendall(flood), daemon=True)

        async def heartbeats_during_flood():
            async with websockets.connect(relayd.ws, compression=None) as ws:
                sender.start()
                waits = []
                while sender.is_alive() or reader.is_alive():
                    started = time.time()
                    await ws.send('{"type":"heartbeat","timestamp":1}')
                    reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
                    assert reply["type"] == "heartbeat_ack", reply
                    waits.append(time.time() - started)
                    await asyncio.sleep(0.01)
                # Another client past the server-wide bound.
                for i in range(30):
                    await ws.send(json.dumps({"type": "chat", "id": f"b{i}", **CHAT}))
                replies = [json.loads(await asyncio.wait_for(ws.recv(), 5)) for _ in range(30)]
                return sorted(waits), replies
        waits, replies = asyncio.run(heartbeats_during_flood())
        reader.join(5)
        assert starts == 64, (starts, codes)
        assert codes == {"too_many_streams": 30000 - 64}, codes
        median, worst = waits[len(waits) // 2], waits[-1]
        print(f"{len(waits)} heartbeats during the flood: median {median * 1000:.1f} ms, worst {worst * 1000:.1f} ms")
        # The typical heartbeat within 50 ms even in a debug build beside the rest of the
        # suite; the worst is left some room for a loaded machine. Starvation, which this
        # guards against, is seconds. Run against the release build for the real figure.
        assert median < 0.05, f"heartbeats waited {median * 1000:.0f} ms (median) during the flood"
        assert worst < 0.5, f"a heartbeat waited {worst * 1000:.0f} ms during the flood"
        kinds = [reply.get("code", reply["type"]) for reply in replies]
        assert kinds.count("start") == 16 and kinds.count("server_busy") == 14, kinds
        busy = next(reply for reply in replies if reply.get("code") == "server_busy")
        assert busy["retryable"] is True and busy["retry_after"] > 0, busy
        sock.close()


def client_id_scope():
    """Finding 9: the idempotency key (`client_id`, chat `id`) belongs to the principal that
    used it. Another client sending the same ids gets its own stream and cannot take the key
    over: the first client's retry still finds its own stream (its provider is not called twice)."""
    tokens = ["token-alice-0123456789abcdef", "token-bob-fedcba9876543210xyz"]
    with Relayd(["--demo-tokens-per-second", "2"], {"RELAYD_AUTH_TOKENS": ",".join(tokens)}) as relayd:
        def start(token):
            body = {"id": "same-chat", "client_id": "same-client", **CHAT}
            with httpx.stream("POST", relayd.base + "/api/chat/stream", json=body, timeout=10,
                              headers={"Authorization": f"Bearer {token}"}) as response:
                assert response.status_code == 200, response.read()
                return response.headers["X-Stream-Id"]
        alice = start(tokens[0])
        bob = start(tokens[1])
        assert bob != alice, "bob was handed alice's stream"
        assert start(tokens[0]) == alice, "alice's retry did not find her stream: the key was taken over"
        assert start(tokens[1]) == bob


def upgrade_status(port, headers):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        sock.sendall((f"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n").encode())
        return int(sock.recv(4096).split(b" ")[1])


def safe_defaults():
    """Finding 5: with no flags, a page on another site cannot use relayd (no cross-site
    WebSocket, no preflight-free POST), a rebound DNS name is refused, /metrics stays on this
    machine, relayd listens on loopback, and the first run (same origin, localhost front end,
    curl) still works. Listening beyond loopback with a paid provider and no authentication
    is warned about at start-up."""
    provider_key = {"OPENAI_API_KEY": "sk-never-to-be-spent", "OPENAI_BASE_URL": "http://127.0.0.1:9/v1"}
    with Relayd(environment=provider_key, host=()) as relayd:
        port, local = relayd.port, f"127.0.0.1:{relayd.port}"
        # Cross-site WebSocket hijacking: refused before the upgrade.
        assert upgrade_status(port, {"Host": local, "Origin": "https://evil.example"}) == 403
        assert upgrade_status(port, {"Host": local, "Origin": "null"}) == 403
        # The first run: the demo page (same origin), a local front end, a script (no Origin).
        assert upgrade_status(port, {"Host": local, "Origin": f"http://{local}"}) == 101
        assert upgrade_status(port, {"Host": f"localhost:{port}", "Origin": "http://localhost:3000"}) == 101
        assert upgrade_status(port, {"Host": local}) == 101
        with httpx.Client(base_url=relayd.base, timeout=10) as client:
            body = json.dumps({"id": "x", **CHAT})
            # A form or fetch from another site needs no preflight as text/plain.
            for origin in ("https://evil.example", "null", "http://localhost.evil.example"):
                refused = client.post("/api/chat", content=body, headers={"Content-Type": "text/plain", "Origin": origin})
                assert refused.status_code == 403 and refused.json()["error"]["code"] == "origin_not_allowed", (origin, refused.text)
                assert "access-control-allow-origin" not in refused.headers
            refused = client.delete("/api/streams/" + "a" * 32, headers={"Origin": "https://evil.example"})
            assert refused.status_code == 403, refused.text
            preflight = client.options("/api/chat", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
            assert preflight.status_code == 403, preflight.text
            assert client.post("/api/chat", content=body, headers={"Origin": f"http://{local}"}).status_code == 200
            assert client.post("/api/chat", content=body, headers={"Origin": "http://localhost:5173"}).status_code == 200
            assert client.post("/api/chat", content=body).status_code == 200
            # DNS rebinding: evil.example re-pointed at 127.0.0.1.
            rebound = client.post("/api/chat", content=body, headers={"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"})
            assert rebound.status_code == 403 and rebound.json()["error"]["code"] == "host_not_allowed", rebound.text
            assert client.get("/api/providers", headers={"Host": "evil.example"}).status_code == 403
            assert client.get("/health", headers={"Host": "healthcheck.railway.app"}).status_code == 200
            # /metrics: this machine only, not whoever a local proxy forwards.
            assert client.get("/metrics").status_code == 200
            assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404
    log = relayd.stop()
    assert f"address=127.0.0.1:{relayd.port}" in log, log[-2000:]
    assert "spend your provider keys" not in log, "warned about a loopback-only relayd"
    # Beyond loopback, with a paid provider and no authentication: a warning.
    exposed = Relayd(environment=provider_key, host=("--host", "0.0.0.0"))
    assert httpx.get(exposed.base + "/api/providers", headers={"Host": "relay.example.com"}).status_code == 200
    log = exposed.stop()
    assert "spend your provider keys" in log and "providers=openai" in log, log[-2000:]
    authenticated = Relayd(environment={**provider_key, "RELAYD_AUTH_TOKENS": "token-alice-0123456789abcdef"},
                           host=("--host", "0.0.0.0"))
    assert "spend your provider keys" not in authenticated.stop()


def read_status(sock, timeout):
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(4096)
        if not piece:
            break
        data += piece
    return int(data.split(b" ")[1]) if data.startswith(b"HTTP/1.1 ") else None, data


def body_before_auth():
    """Finding 4: authentication, routing and limits act on the head. A body nobody will use
    is not read; a body has a total deadline; bodies in flight share one budget."""
    token = "token-alice-0123456789abcdef"
    with Relayd(["--body-timeout", "2", "--max-body-bytes-in-flight", "1048576"], {"RELAYD_AUTH_TOKENS": token}) as relayd:
        def connect():
            return socket.create_connection(("127.0.0.1", relayd.port), timeout=5)
        head = "POST /api/chat HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{}\r\n"
        # No token: 401 at once, with the megabyte never sent.
        with connect() as sock:
            sock.sendall(head.format(1000000, "").encode())
            status, answer = read_status(sock, 3)
            assert status == 401, answer
        # A route that takes no body: refused before it.
        with connect() as sock:
            sock.sendall(f"GET /api/providers HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nContent-Length: 500000\r\n\r\n".encode())
            status, answer = read_status(sock, 3)
            assert status == 413, answer
        # A body trickled a byte at a time: 408 once the body's time is up, however steady.
        with connect() as sock:
            sock.sendall(head.format(100, f"Authorization: Bearer {token}\r\n").encode())
            started = time.time()
            sock.setblocking(False)
            status = None
            while time.time() - started < 8 and status is None:
                try:
                    sock.send(b" ")
                    data = sock.recv(4096)
                    if data:
                        status = int(data.split(b" ")[1])
                except BlockingIOError:
                    pass
                except (ConnectionResetError, BrokenPipeError):
                    break
                time.sleep(0.3)
            assert status == 408, status
            assert time.time() - started < 4.5, time.time() - started
        # Bodies in flight share 1 MiB: the third 600 kB body on its way is refused.
        socks = [connect() for _ in range(3)]
        for index, sock in enumerate(socks):
            sock.sendall(head.format(900000, f"Authorization: Bearer {token}\r\n").encode() + b" " * 400000)
            time.sleep(0.3)
        status, answer = read_status(socks[2], 3)
        assert status == 503 and b"server_busy" in answer, answer
        for sock in socks:
            sock.close()
        time.sleep(0.3)
        # The budget is given back: a whole chat goes through.
        chat = httpx.post(relayd.base + "/api/chat", json={"id": "ok", **CHAT}, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert chat.status_code == 200, chat.text


def request_bytes():
    """Finding 6: the requests live chats hold (each kept until its answer ends, for retries)
    share one budget: past it a chat gets 503 `server_busy`, and the budget comes back as
    chats end."""
    with Relayd(["--demo-tokens-per-second", "5", "--max-request-bytes-in-flight", "300000"]) as relayd:
        big = {"provider": "demo", "messages": [{"role": "user", "content": "x" * 100000}]}
        import contextlib
        with contextlib.ExitStack() as open_streams:
            held = [open_streams.enter_context(httpx.stream("POST", relayd.base + "/api/chat/stream",
                                                            json={"id": f"big{index}", **big}, timeout=10))
                    for index in range(2)]
            assert all(response.status_code == 200 for response in held)
            refused = httpx.post(relayd.base + "/api/chat/stream", json={"id": "big2", **big}, timeout=10)
            assert refused.status_code == 503 and refused.json()["error"]["code"] == "server_busy", refused.text
            assert int(refused.headers["Retry-After"]) > 0
            # Small chats still fit beside them.
            assert httpx.post(relayd.base + "/api/chat", json={"id": "small", **CHAT}, timeout=30).status_code == 200
            # Cancelled, they let go of their requests.
            for response in held:
                httpx.delete(relayd.base + "/api/streams/" + response.headers["X-Stream-Id"], timeout=5)
        time.sleep(0.3)
        again = httpx.post(relayd.base + "/api/chat", json={"id": "big3", **big}, timeout=60)
        assert again.status_code == 200, again.text


CHECKS = {
    "resume-overflow": resume_overflow,
    "ping-flood": ping_flood,
    "loop-starvation": loop_starvation,
    "head-stream": head_stream,
    "settings": settings,
    "chat-flood": chat_flood,
    "client-id-scope": client_id_scope,
    "safe-defaults": safe_defaults,
    "body-before-auth": body_before_auth,
    "request-bytes": request_bytes,
}

if __name__ == "__main__":
    name = sys.argv[2]
    CHECKS[name]()
    print("OK", name)
