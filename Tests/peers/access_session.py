"""Authentication, admin access and abuse limits, against the relayd binary.

    python3 access_session.py RELAYD_BINARY

Run 1 (authentication on: static tokens, HS256 JWTs, an admin token) checks every route with
and without credentials, the WebSocket's three ways (token in the query, an `auth` first
message, nothing), and that a stream is resumed or cancelled only by whoever started it.
Run 2 (no authentication, every limit set) trips each limit and reads its error and its
`relayd_rejected_total{reason}`. Both runs log at debug level; no secret may appear there.
Prints ALL OK.
"""
import asyncio
import json
import sys
import time

import httpx
import websockets

import jwt_tokens
import relayd_process
from relayd_process import bearer, expect
from prometheus_client.parser import text_string_to_metric_families

BINARY = relayd_process.BINARY = sys.argv[1]
TOKEN_A = "token-alice-0123456789abcdef"
TOKEN_B = "token-bob-fedcba9876543210xyz"
JWT_SECRET = "jwt-secret-that-is-long-enough-0123456789"
ADMIN = "admin-token-5f4dcc3b5aa765d61d8327deb882cf99"
PROVIDER_KEY = "sk-fake-provider-key-never-to-be-seen-42"
SECRETS = [TOKEN_A, TOKEN_B, JWT_SECRET, ADMIN, PROVIDER_KEY]
CHAT = {"provider": "demo", "messages": [{"role": "user", "content": "who am I"}]}


def jwt(claims, secret=JWT_SECRET):
    return jwt_tokens.jwt(claims, secret)


def Relayd(arguments, environment):
    """relayd logging at debug (the logs are searched for secrets), with a provider key set."""
    return relayd_process.Relayd(["--log-level", "debug", "--demo-tokens-per-second", "20", *arguments],
                                 {"OPENAI_API_KEY": PROVIDER_KEY, **environment})


def rejected(base, admin=None):
    headers = bearer(admin) if admin else {}
    text = httpx.get(base + "/metrics", headers=headers, timeout=5).text
    counts = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "relayd_rejected_total":
                counts[sample.labels["reason"]] = sample.value
    return counts


async def ws_close_code(url, first_message=None):
    """Connects, optionally sends one message, and returns the close code (or the events)."""
    async with websockets.connect(url, compression=None) as ws:
        if first_message is not None:
            await ws.send(json.dumps(first_message))
        try:
            while True:
                await asyncio.wait_for(ws.recv(), 12)
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None


async def ws_chat(url, messages_before=()):
    async with websockets.connect(url, compression=None) as ws:
        for message in messages_before:
            await ws.send(json.dumps(message))
            reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert reply == {"type": "auth_ok"}, reply
        await ws.send(json.dumps({"type": "chat", "id": "w", **CHAT}))
        events = []
        while True:
            event = json.loads(await asyncio.wait_for(ws.recv(), 10))
            events.append(event)
            if event["type"] in ("done", "error"):
                return events


def authentication():
    relayd = Relayd(["--max-body-bytes", "4096"],
                    {"RELAYD_AUTH_TOKENS": f"{TOKEN_A},{TOKEN_B}", "RELAYD_JWT_SECRET": JWT_SECRET, "RELAYD_ADMIN_TOKEN": ADMIN})
    base, port = relayd.base, relayd.port
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            # Public: health and the web client.
            for path in ("/health", "/", "/relay-client.js"):
                expect(client.get(path), 200)
            # Every /api route wants a client token.
            for method, path in (("GET", "/api/providers"), ("POST", "/api/chat"), ("POST", "/api/chat/stream"),
                                 ("GET", "/api/streams/" + "a" * 32), ("DELETE", "/api/streams/" + "a" * 32)):
                response = expect(client.request(method, path, json={"id": "x", **CHAT}), 401, "unauthorized")
                assert response.headers["WWW-Authenticate"].startswith("Bearer"), response.headers
                expect(client.request(method, path, json={"id": "x", **CHAT}, headers=bearer("wrong-token-0000000000")), 401, "invalid_token")
            expect(client.get("/api/providers", headers=bearer(TOKEN_A)), 200)
            now = int(time.time())
            expect(client.get("/api/providers", headers=bearer(jwt({"sub": "carol", "exp": now + 60}))), 200)
            expect(client.get("/api/providers", headers=bearer(jwt({"sub": "carol", "exp": now - 120}))), 401, "token_expired")
            expect(client.get("/api/providers", headers=bearer(jwt({"sub": "carol"}, secret="another-secret-of-sufficient-length!"))), 401, "invalid_token")
            # Admin endpoints want the admin token, and a client token is not one.
            expect(client.get("/metrics"), 401)
            expect(client.get("/metrics", headers=bearer(TOKEN_A)), 401)
            expect(client.get("/metrics", headers=bearer(ADMIN)), 200)
            # A stream belongs to whoever started it.
            answer = expect(client.post("/api/chat", json={"id": "a1", **CHAT}, headers=bearer(TOKEN_A)), 200).json()
            stream = answer["stream_id"]
            expect(client.get(f"/api/streams/{stream}?after=-1", headers=bearer(TOKEN_B)), 403, "forbidden")
            expect(client.delete(f"/api/streams/{stream}", headers=bearer(TOKEN_B)), 403, "forbidden")
            mine = expect(client.get(f"/api/streams/{stream}?after=-1", headers=bearer(TOKEN_A)), 200)
            assert "event: done" in mine.text
            # Sizes: a body over --max-body-bytes.
            expect(client.post("/api/chat", content=b"x" * 5000, headers=bearer(TOKEN_A)), 413)

        async def websockets_part():
            url = f"ws://127.0.0.1:{port}/ws"
            try:
                await websockets.connect(url + "?token=not-a-valid-token-at-all")
                raise AssertionError("a bad token upgraded")
            except websockets.InvalidStatus as refused:
                assert refused.response.status_code == 401, refused.response.status_code
            events = await ws_chat(url + "?token=" + TOKEN_A)
            assert events[-1]["type"] == "done", events[-1]
            events = await ws_chat(url, [{"type": "auth", "token": jwt({"sub": "dave", "exp": int(time.time()) + 60})}])
            assert events[-1]["type"] == "done", events[-1]
            assert await ws_close_code(url, {"type": "chat", "id": "x", **CHAT}) == 1008
            assert await ws_close_code(url, {"type": "auth", "token": "wrong-token-0000000000"}) == 1008
            # /api/status (admin only) shows a live chat: its connection and its stream.
            async with websockets.connect(url + "?token=" + TOKEN_A, compression=None) as ws:
                await ws.send(json.dumps({"type": "chat", "id": "st", **CHAT}))
                start = json.loads(await asyncio.wait_for(ws.recv(), 5))
                async with httpx.AsyncClient(base_url=base, timeout=5) as client:
                    assert (await client.get("/api/status")).status_code == 401
                    assert (await client.get("/api/status", headers=bearer(TOKEN_A))).status_code == 401
                    status = (await client.get("/api/status", headers=bearer(ADMIN))).json()
                assert status["version"] and status["uptime_s"] >= 0 and status["draining"] is False, status
                mine = [c for c in status["connections"] if c["transport"] == "websocket" and start["stream_id"] in c["streams"]]
                assert len(mine) == 1 and mine[0]["principal"].startswith("token:") and mine[0]["client_ip"] == "127.0.0.1", status["connections"]
                assert TOKEN_A not in json.dumps(status), "a token in the status"
                live = [s for s in status["streams"] if s["id"] == start["stream_id"]]
                assert len(live) == 1 and live[0]["state"] == "live" and live[0]["provider"] == "demo" and live[0]["attached"] == 1, status["streams"]
                assert live[0]["seq"] >= 0 and live[0]["bytes"] > 0 and live[0]["owner"] == mine[0]["principal"], live
                assert status["upstream"] == {"idle_connections": {}}, status["upstream"]
            # Another principal cannot resume or cancel over WebSocket either.
            async with websockets.connect(url + "?token=" + TOKEN_B, compression=None) as ws:
                for message in ({"type": "resume", "stream_id": stream, "last_seq": -1}, {"type": "cancel", "stream_id": stream}):
                    await ws.send(json.dumps(message))
                    reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
                    assert reply["code"] == "forbidden", reply
        asyncio.run(websockets_part())
        counts = rejected(base, ADMIN)
        assert counts.get("unauthorized", 0) >= 12 and counts.get("admin_unauthorized", 0) == 4, counts
    finally:
        log = relayd.stop()
    return log


def limits():
    relayd = Relayd(["--max-connections-per-ip", "3", "--max-streams-per-client", "1", "--chats-per-minute", "3",
                     "--allowed-models", "demo=demo", "--ws-max-message-bytes", "2048"], {})
    base, port = relayd.base, relayd.port
    try:
        # Open connections per IP: a fourth is turned away, a freed place is taken again.
        clients = [httpx.Client(base_url=base, timeout=5) for _ in range(4)]
        for client in clients[:3]:
            expect(client.get("/health"), 200)
        expect(clients[3].get("/health"), 429, "too_many_connections")
        clients[0].close()
        time.sleep(0.2)
        fresh = httpx.Client(base_url=base, timeout=5)
        expect(fresh.get("/health"), 200)
        for client in clients[1:] + [fresh]:
            client.close()
        time.sleep(0.2)
        with httpx.Client(base_url=base, timeout=10) as client:
            # Models not allowed.
            expect(client.post("/api/chat", json={"id": "m", **CHAT, "model": "demo-reasoning"}), 403, "model_not_allowed")
            # One stream at a time per client: a second while the first streams.
            with client.stream("POST", "/api/chat/stream", json={"id": "s1", **CHAT}) as first:
                assert first.status_code == 200
                with httpx.Client(base_url=base, timeout=10) as other:
                    expect(other.post("/api/chat/stream", json={"id": "s2", **CHAT}), 429, "too_many_streams")
                for _ in first.iter_lines():
                    pass
            time.sleep(0.1)
            # Three chats a minute: the first counted; one more, then refused with Retry-After.
            expect(client.post("/api/chat", json={"id": "r2", **CHAT}), 200)
            expect(client.post("/api/chat", json={"id": "r3", **CHAT}), 200)
            refused = expect(client.post("/api/chat", json={"id": "r4", **CHAT}), 429, "rate_limited")
            assert 1 <= int(refused.headers["Retry-After"]) <= 20, refused.headers

        async def websocket_limits():
            async with websockets.connect(f"ws://127.0.0.1:{port}/ws", compression=None, max_size=None) as ws:
                await ws.send(json.dumps({"type": "chat", "id": "w1", **CHAT}))
                reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
                assert reply["code"] == "rate_limited" and reply["retryable"] is True, reply
                await ws.send("x" * 4096)
                try:
                    await asyncio.wait_for(ws.recv(), 5)
                except websockets.ConnectionClosed as closed:
                    assert closed.rcvd.code == 1009, closed.rcvd
        asyncio.run(websocket_limits())
        # Without an admin token, /api/status is off.
        expect(httpx.get(base + "/api/status", timeout=5), 404, "not_found")
        counts = rejected(base)
        for reason in ("connections_per_ip", "model_not_allowed", "streams_per_principal", "chat_rate"):
            assert counts.get(reason, 0) >= 1, (reason, counts)
    finally:
        log = relayd.stop()
    return log


def connection_rate_and_proxy():
    relayd = Relayd(["--new-connections-per-ip-per-second", "1", "--trust-proxy"], {})
    base = relayd.base
    try:
        statuses = []
        for _ in range(4):
            with httpx.Client(base_url=base, timeout=5) as client:
                statuses.append(client.get("/health", headers={"X-Forwarded-For": "203.0.113.7"}).status_code)
        assert statuses[:2] == [200, 200] and 429 in statuses[2:], statuses
        # Another client behind the same proxy has its own allowance.
        with httpx.Client(base_url=base, timeout=5) as client:
            expect(client.get("/health", headers={"X-Forwarded-For": "198.51.100.9"}), 200)
        assert rejected(base).get("connection_rate", 0) >= 1
    finally:
        log = relayd.stop()
    return log


def main():
    logs = authentication() + limits() + connection_rate_and_proxy()
    leaked = [secret for secret in SECRETS if secret in logs]
    assert CHAT["messages"][0]["content"] not in logs, "a message body in the logs"
    assert "relayd's demo provider" not in logs, "an answer in the logs"
    assert not leaked, f"secrets in the logs: {leaked}"
    assert "WebSocket client connected" in logs, "the logs were captured"
    print("ALL OK", len(logs), "bytes of logs searched")


main()
