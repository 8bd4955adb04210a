"""The hardening findings, against the relayd binary over real sockets.

    python3 access_hardening_session.py RELAYD_BINARY [SECTION...]

Sections (all by default):
  models   a client's model name never picks the upstream URL path sent with the operator's key
  proxy    --trust-proxy: every X-Forwarded-For line counts, hops from the right, per request
  auth     JWT exp required, aud/iss, range-checked dates, sessions end with their token, the
           echo route obeys authentication, full-length principal ids
  logs     client-controlled values cannot forge log lines; upstream errors carry no address
Prints ALL OK.
"""
import asyncio
import hashlib
import json
import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import websockets

import jwt_tokens
import relayd_process
from relayd_process import bearer, expect

BINARY = relayd_process.BINARY = sys.argv[1]
SECTIONS = sys.argv[2:] or ["models", "proxy", "auth", "logs"]
TOKEN_A = "token-alice-0123456789abcdef"
JWT_SECRET = "jwt-secret-that-is-long-enough-0123456789"
ADMIN = "admin-token-5f4dcc3b5aa765d61d8327deb882cf99"
CHAT = {"messages": [{"role": "user", "content": "hi"}]}


def jwt(claims, secret=JWT_SECRET):
    return jwt_tokens.jwt(claims, secret)


def Relayd(arguments, environment, log_level="debug"):
    """relayd at `log_level`, its demo fast, its upstream retries off."""
    return relayd_process.Relayd(["--log-level", log_level, "--demo-tokens-per-second", "500", *arguments],
                                 {"RELAYD_UPSTREAM_RETRIES": "0", **environment})


def exit_status(arguments, environment=None):
    process = subprocess.run([BINARY, "--host", "127.0.0.1", "--port", "0", *arguments],
                             env={"PATH": "/usr/bin:/bin", **(environment or {})}, capture_output=True, timeout=30)
    return process.returncode, process.stderr.decode(errors="replace")


async def ws_events(url, messages, until=("done", "error"), timeout=10):
    """Sends each message on one connection and reads events until one of `until` types."""
    async with websockets.connect(url, compression=None) as ws:
        events = []
        for message in messages:
            await ws.send(json.dumps(message))
        while True:
            event = json.loads(await asyncio.wait_for(ws.recv(), timeout))
            events.append(event)
            if event["type"] in until:
                return events


class Recorder:
    """A provider that records every request line and body, and answers 404."""

    def __init__(self):
        self.requests = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                recorder.requests.append((self.path, json.loads(body) if body else None))
                answer = json.dumps({"error": {"message": "no such model", "code": 404}}).encode()
                self.send_response(404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


# ---------------------------------------------------------------------------- 7: model names

def models():
    recorder = Recorder()
    environment = {"GEMINI_API_KEY": "gemini-key-0000", "GEMINI_BASE_URL": f"http://127.0.0.1:{recorder.port}/v1beta",
                   "OPENAI_API_KEY": "openai-key-0000", "OPENAI_BASE_URL": f"http://127.0.0.1:{recorder.port}/v1"}
    try:
        with Relayd([], environment) as relayd:
            hostile = ["x/../../../v1/files", "../files", "a;b", "a@evil.example", "a?key=1", "a#f", "a%2F..%2Ffiles", "a b", "a\nb", "m" * 129, "", ".", "..", "models//x"]
            for provider in ("gemini", "openai"):
                for model in hostile:
                    events = asyncio.run(ws_events(relayd.ws_base + "/ws", [{"type": "chat", "id": "m", "provider": provider,
                                                                         "model": model, **CHAT}]))
                    assert events[-1]["type"] == "error" and events[-1]["code"] == "bad_request", (provider, model, events)
                    assert "model" in events[-1]["message"], events[-1]
                    response = httpx.post(relayd.base + "/api/chat", json={"id": "h", "provider": provider, "model": model, **CHAT},
                                          timeout=10)
                    expect(response, 400, "bad_request")
            assert recorder.requests == [], f"a hostile model reached the provider: {recorder.requests}"

            # Real names pass, and reach the provider where they belong: Gemini's as one path
            # segment (a `models/` prefix dropped), OpenAI-compatible ones only in the body.
            def sent(provider, model):
                recorder.requests.clear()
                events = asyncio.run(ws_events(relayd.ws_base + "/ws", [{"type": "chat", "id": "ok", "provider": provider,
                                                                     "model": model, **CHAT}]))
                assert events[0]["type"] == "start", (model, events)
                assert len(recorder.requests) == 1, (model, recorder.requests)
                return recorder.requests[0]
            for model in ("gemini-1.5-flash", "models/gemini-2.0-flash"):
                path, _ = sent("gemini", model)
                assert path == f"/v1beta/models/{model.removeprefix('models/')}:streamGenerateContent?alt=sse", path
            path, _ = sent("gemini", "gemini-pro:generateContent")
            assert path == "/v1beta/models/gemini-pro%3AgenerateContent:streamGenerateContent?alt=sse", path
            for model in ("gpt-4o-mini", "deepseek-chat", "moonshot-v1-8k", "accounts/fireworks/models/llama-v3p1-8b-instruct",
                          "llama3.1:8b"):
                path, body = sent("openai", model)
                assert path == "/v1/chat/completions" and body["model"] == model, (path, body)
    finally:
        recorder.close()
    print("models OK")


# ---------------------------------------------------------------------------- 8: client IP

def chat_status(client, forwarded, chat_id):
    headers = [("X-Forwarded-For", line) for line in forwarded]
    return client.post("/api/chat", json={"id": chat_id, "provider": "demo", **CHAT}, headers=headers).status_code


def proxy():
    # One chat a minute per client IP (authentication off: the client is its IP).
    with Relayd(["--trust-proxy", "--chats-per-minute", "1"], {}) as relayd:
        # A client's own X-Forwarded-For line comes first; the proxy's own line last.
        with httpx.Client(base_url=relayd.base, timeout=10) as client:
            assert chat_status(client, ["198.51.100.1", "203.0.113.5"], "a") == 200
        with httpx.Client(base_url=relayd.base, timeout=10) as client:
            status = chat_status(client, ["198.51.100.2", "203.0.113.5"], "b")
            assert status == 429, f"a forged first X-Forwarded-For line changed the client: {status}"
        # Several clients on one proxy connection: each request is its own client.
        with httpx.Client(base_url=relayd.base, timeout=10) as client:
            assert chat_status(client, ["203.0.113.7"], "c") == 200
            assert chat_status(client, ["203.0.113.8"], "d") == 200, "the connection's first client was charged"
            assert chat_status(client, ["203.0.113.7"], "e") == 429
    # Two trusted proxies: the client is two entries from the right, whatever it wrote further left.
    with Relayd(["--trust-proxy", "--chats-per-minute", "1"], {"RELAYD_TRUSTED_PROXY_HOPS": "2"}) as relayd:
        with httpx.Client(base_url=relayd.base, timeout=10) as client:
            assert chat_status(client, ["6.6.6.6, 203.0.113.9, 10.0.0.1"], "f") == 200
            assert chat_status(client, ["7.7.7.7, 203.0.113.9", "10.0.0.2"], "g") == 429
            assert chat_status(client, ["6.6.6.6, 203.0.113.10, 10.0.0.1"], "h") == 200
    for arguments, environment in ((["--trusted-proxy-hops", "0"], {}), (["--trusted-proxy-hops", "11"], {}),
                                   (["--trusted-proxy-hops", "two"], {}), ([], {"RELAYD_TRUSTED_PROXY_HOPS": "2.5"}),
                                   ([], {"RELAYD_TRUSTED_PROXY_HOPS": "1e300"})):
        status, output = exit_status(arguments, environment)
        assert status == 64 and "hops" in output.lower(), (arguments, environment, status, output)
    print("proxy OK")


# ---------------------------------------------------------------------------- 10: authentication

async def closed_with(ws, timeout):
    """Reads until the server closes; returns (code, reason, seconds waited)."""
    started = time.monotonic()
    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    except websockets.ConnectionClosed as closed:
        return (closed.rcvd.code, closed.rcvd.reason, time.monotonic() - started) if closed.rcvd else (None, None, 0)


def authentication():
    environment = {"RELAYD_AUTH_TOKENS": TOKEN_A, "RELAYD_JWT_SECRET": JWT_SECRET, "RELAYD_ADMIN_TOKEN": ADMIN}
    with Relayd(["--echo-path", "/echo"], environment) as relayd:
        now = int(time.time())
        with httpx.Client(base_url=relayd.base, timeout=10) as client:
            expect(client.get("/api/providers", headers=bearer(jwt({"sub": "carol"}))), 401, "invalid_token")
            expect(client.get("/api/providers", headers=bearer(jwt({"sub": "carol", "exp": now + 60}))), 200)
            for huge in (1e300, 2 ** 64, -1, 253402300800):
                for claim in ("exp", "nbf", "iat"):
                    claims = {"sub": "carol", "exp": now + 60, claim: huge}
                    expect(client.get("/api/providers", headers=bearer(jwt(claims))), 401, "invalid_token")
            expect(client.get("/health"), 200)  # nothing trapped

        async def sessions():
            url = relayd.ws_base + "/ws"
            # A token accepted inside the 30 s leeway, 3 s before it stops being accepted.
            ending = jwt({"sub": "dave", "exp": int(time.time()) - 27})
            async with websockets.connect(url, compression=None) as ws:
                await ws.send(json.dumps({"type": "auth", "token": ending}))
                assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "auth_ok"}
                code, reason, waited = await closed_with(ws, 10)
                assert code == 1008 and reason == "token_expired" and 1 <= waited <= 6, (code, reason, waited)
            # The same, with the token on the upgrade.
            async with websockets.connect(url + "?token=" + jwt({"sub": "dave", "exp": int(time.time()) - 28}), compression=None) as ws:
                code, reason, _ = await closed_with(ws, 10)
                assert code == 1008 and reason == "token_expired", (code, reason)
            # A fresh token before the end keeps the session; another principal's is refused.
            async with websockets.connect(url, compression=None) as ws:
                await ws.send(json.dumps({"type": "auth", "token": jwt({"sub": "erin", "exp": int(time.time()) - 27})}))
                assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "auth_ok"}
                await ws.send(json.dumps({"type": "auth", "token": jwt({"sub": "mallory", "exp": int(time.time()) + 600})}))
                assert json.loads(await asyncio.wait_for(ws.recv(), 5))["code"] == "forbidden"
                await ws.send(json.dumps({"type": "auth", "token": "not-a-token-at-all-000"}))
                assert json.loads(await asyncio.wait_for(ws.recv(), 5))["code"] == "invalid_token"
                await ws.send(json.dumps({"type": "auth", "token": jwt({"sub": "erin", "exp": int(time.time()) + 600})}))
                assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "auth_ok"}
                await asyncio.sleep(5)
                await ws.send(json.dumps({"type": "heartbeat", "timestamp": 1}))
                assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "heartbeat_ack", "renewed, still open"
            # The echo endpoint obeys authentication too.
            try:
                await websockets.connect(relayd.ws_base + "/echo")
                raise AssertionError("the echo route upgraded without a token")
            except websockets.InvalidStatus as refused:
                assert refused.response.status_code == 401, refused.response.status_code
            async with websockets.connect(relayd.ws_base + "/echo?token=" + TOKEN_A, compression=None) as ws:
                await ws.send("ping?")
                assert await asyncio.wait_for(ws.recv(), 5) == "ping?"
            # Principals are the token's whole digest, not 32 bits of it.
            async with websockets.connect(url + "?token=" + TOKEN_A, compression=None) as ws:
                await ws.send(json.dumps({"type": "heartbeat", "timestamp": 1}))
                await asyncio.wait_for(ws.recv(), 5)
                status = httpx.get(relayd.base + "/api/status", headers=bearer(ADMIN), timeout=5).json()
                ids = {c.get("principal") for c in status["connections"] if c["transport"] == "websocket"}
                assert "token:" + hashlib.sha256(TOKEN_A.encode()).hexdigest() in ids, ids
        asyncio.run(sessions())

    # exp optional only when asked; aud and iss when configured.
    with Relayd(["--no-jwt-require-exp", "--jwt-audience", "relayd", "--jwt-issuer", "https://auth.example"],
                {"RELAYD_JWT_SECRET": JWT_SECRET}) as relayd:
        with httpx.Client(base_url=relayd.base, timeout=10) as client:
            good = {"sub": "f", "aud": ["relayd", "other"], "iss": "https://auth.example"}
            expect(client.get("/api/providers", headers=bearer(jwt(good))), 200)
            expect(client.get("/api/providers", headers=bearer(jwt({**good, "aud": "billing"}))), 401, "invalid_token")
            expect(client.get("/api/providers", headers=bearer(jwt({**good, "iss": "https://evil.example"}))), 401, "invalid_token")
    status, output = exit_status([], {"RELAYD_JWT_SECRET": JWT_SECRET, "RELAYD_JWT_REQUIRE_EXP": "maybe"})
    assert status == 64 and "RELAYD_JWT_REQUIRE_EXP" in output, (status, output)
    print("auth OK")


# ---------------------------------------------------------------------------- 11: logs and addresses

def logs():
    closed_port = relayd_process.free_port()  # nothing listens here: connections are refused
    # Three ways to fail before a provider answers: refused, unreachable at once (the address is
    # in the system call's error), a name that does not resolve (the host is in resolver's).
    backends = {"openai": f"127.0.0.1:{closed_port}", "anthropic": "255.255.255.255:8000", "gemini": "llm-backend.invalid:8000"}
    environment = {"OPENAI_API_KEY": "k-0000", "OPENAI_BASE_URL": f"http://{backends['openai']}/v1",
                   "ANTHROPIC_API_KEY": "k-0000", "ANTHROPIC_BASE_URL": f"http://{backends['anthropic']}/v1",
                   "GEMINI_API_KEY": "k-0000", "GEMINI_BASE_URL": f"http://{backends['gemini']}/v1beta"}
    relayd = Relayd(["--upstream-connect-timeout", "3"], environment, log_level="info")
    try:
        forged = "x\nFORGED line\u2028\r\n2026-01-01T00:00:00Z critical relayd: pwned"
        events = asyncio.run(ws_events(relayd.ws_base + "/ws", [{"type": "resume", "stream_id": forged, "last_seq": 1}]))
        assert events[-1]["code"] == "stream_expired", events
        for provider, backend in backends.items():
            events = asyncio.run(ws_events(relayd.ws_base + "/ws", [{"type": "chat", "id": "u", "provider": provider, **CHAT}]))
            error = events[-1]
            assert error["type"] == "error" and error["code"] in ("upstream_unavailable", "upstream_timeout"), events
            host, port = backend.rsplit(":", 1)
            assert host not in error["message"] and port not in error["message"], (provider, error)
            assert not re.search(r"\d+\.\d+\.\d+\.\d+", error["message"]), (provider, error)
    finally:
        log = relayd.stop()
    lines = log.splitlines()
    resumed = [line for line in lines if "stream resumed" in line]
    assert len(resumed) == 1, resumed
    assert "x\\nFORGED line\\u{2028}\\r\\n" in resumed[0], resumed[0]
    assert not any(line.startswith("FORGED") or ("pwned" in line and "stream resumed" not in line) for line in lines), log
    # What the client was not told is in the log, for the operator.
    failed = "\n".join(line for line in lines if "chat failed" in line)
    assert f"127.0.0.1:{closed_port}" in failed and "llm-backend.invalid" in failed, failed
    print("logs OK")


SECTION_FUNCTIONS = {"models": models, "proxy": proxy, "auth": authentication, "logs": logs}
try:
    for section in SECTIONS:
        SECTION_FUNCTIONS[section]()
except Exception:  # on stdout, which the Swift test shows when it fails
    import traceback
    traceback.print_exc(file=sys.stdout)
    sys.exit(1)
print("ALL OK")
