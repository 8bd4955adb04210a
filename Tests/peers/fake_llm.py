#!/usr/bin/env python3
"""A fake model provider for relayd's integration tests, a real peer over real sockets.

    python3 fake_llm.py [--host 127.0.0.1] [--tls-cert CERT.pem --tls-key KEY.pem]

Listens on an ephemeral port, prints `PORT <n>` on stdout, and serves (HTTP/1.1, keep-alive):
  POST /v1/chat/completions                                OpenAI Chat Completions SSE
  POST /v1/messages                                        Anthropic Messages SSE
  POST /v1beta/models/{model}:streamGenerateContent?alt=sse  Gemini SSE (CRLF line endings)
  GET /_stats, POST /_reset                                counters for the tests' assertions
The model name picks the behaviour: a scenario plus optional `+modifier`s, e.g. `ok`,
`reasoning+slow`, `ok+bytewise+close` (see SCENARIOS and MODIFIERS).
Exits when stdin reaches EOF (so it dies with the test process holding the pipe) or on SIGTERM/SIGINT.
Only the PORT line goes to stdout; errors go to stderr.
"""
import argparse
import asyncio
import json
import re
import socket
import ssl
import struct
import sys
import time
import traceback
import uuid
from http.client import responses
from urllib.parse import unquote

from peer_runtime import serve_until_stopped

CONTENT = ["Hello", "!", " How", " can", " I", " help", "?"]  # "Hello! How can I help?"
THINKING = ["Let", " me", " think."]
PROMPT_TOKENS = 11
EVENT_PAUSE = 0.005    # between SSE events, so each one arrives as its own read
BYTE_PAUSE = 0.0002    # between bytes in `bytewise` (see Channel.send)
SLOW_FIRST_BYTE = 1.0  # `slow`: delay before the status line

SCENARIOS = {"ok", "reasoning", "usage-choice", "usage-xgroq", "keepalive", "length", "inband-error", "truncate",
             "reset", "stall", "hang", "unauthorized", "ratelimit", "ratelimit-once", "overloaded-once", "quota"}
OPENAI_ONLY = {"usage-choice", "usage-xgroq"}
MODIFIERS = {"bytewise", "slow", "close"}
# Scenarios that stop early: how many pieces they send, then how the stream ends (None: no terminal
# marker at all). The others send every piece and end with a normal stop.
CUTS = {"length": (3, "length"), "inband-error": (2, "error"), "truncate": (2, None), "reset": (2, None),
        "stall": (2, None)}


def compact(payload) -> bytes:
    """JSON the way the providers send it: no spaces, non-ASCII kept as UTF-8."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


class ClientGone(Exception):
    """The client closed or reset its connection before the response ended."""


class BadRequest(Exception):
    """The request cannot be parsed as HTTP/1.1: answered with args[0] (the status), then closed."""


# ---------------------------------------------------------------------------- counters

class Stats:
    def __init__(self):
        self.reset()

    def reset(self):
        # chat_connections: connections that carried a chat request (not /_stats probes).
        self.connections = self.chat_connections = self.requests = self.closed_early = 0
        self.by_model: dict = {}
        self.once: dict = {}  # `*-once` scenarios: requests seen per model name
        self.last_headers: dict = {}
        self.last_path = None
        self.last_body = None

    def snapshot(self) -> dict:
        return {name: value for name, value in vars(self).items() if name != "once"}


STATS = Stats()


# ---------------------------------------------------------------------------- HTTP/1.1 plumbing

class Request:
    def __init__(self, method: str, target: str, version: str, headers: list, body: bytes = b""):
        self.method, self.target, self.version, self.headers, self.body = method, target, version, headers, body
        self.path = target.split("?", 1)[0]

    def header(self, name: str):
        values = [v for k, v in self.headers if k.lower() == name]
        return ", ".join(values) if values else None

    @property
    def wants_close(self) -> bool:
        tokens = {t.strip().lower() for t in (self.header("connection") or "").split(",")}
        return "close" in tokens or (self.version == "HTTP/1.0" and "keep-alive" not in tokens)


async def read_request(reader: asyncio.StreamReader, chan: "Channel"):
    """The next request on the connection, or None if the client closed between requests."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError:
        raise BadRequest(431)
    lines = head.decode("latin-1").split("\r\n")[:-2]
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest(400)
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise BadRequest(400)
        headers.append((name, value.strip()))
    request = Request(parts[0], parts[1], parts[2], headers)
    if (request.header("expect") or "").lower() == "100-continue":
        await chan.send(b"HTTP/1.1 100 Continue\r\n\r\n")  # curl waits for this before big bodies
    try:
        if "chunked" in (request.header("transfer-encoding") or "").lower():
            request.body = await read_chunked(reader)
        elif request.header("content-length"):
            if not request.header("content-length").isdigit():
                raise BadRequest(400)
            request.body = await reader.readexactly(int(request.header("content-length")))
    except asyncio.IncompleteReadError:
        return None  # the client left mid-request: nothing to answer
    return request


async def read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = b""
    while True:
        size_line = (await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError:
            raise BadRequest(400)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # skip trailers
                pass
            return body
        body += await reader.readexactly(size)
        if await reader.readexactly(2) != b"\r\n":
            raise BadRequest(400)


class Channel:
    """The write side of one client connection; turns every write failure into ClientGone."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer
        self.bytewise = False  # the `bytewise` modifier
        self.chat = False      # answering a chat request (see check)

    def check(self):
        # During a chat response, EOF from the client means it has gone: otherwise a client that
        # leaves during a `slow` wait before a short answer would never be counted in closed_early.
        # Elsewhere (/_stats...) a client that half-closes after its request still gets its answer.
        if self.writer.transport.is_closing() or (self.chat and self.reader.at_eof()):
            raise ClientGone()

    async def send(self, data: bytes):
        try:
            if not self.bytewise:
                self.check()
                self.writer.write(data)
                await self.writer.drain()
                return
            for i in range(len(data)):  # one send() per byte, so the client sees every boundary
                self.check()
                self.writer.write(data[i:i + 1])
                await self.writer.drain()
                # asyncio timers round up to ~1 ms, which would make a 2.6 KB answer take over
                # 3 s; a bounded 0.2 ms blocking pause, then a yield so other connections still run.
                time.sleep(BYTE_PAUSE)
                await asyncio.sleep(0)
        except OSError as error:  # ConnectionResetError, BrokenPipeError, ssl.SSLError...
            raise ClientGone() from error

    async def head(self, status: int, headers: list, close: bool):
        lines = [f"HTTP/1.1 {status} {responses.get(status, 'Overloaded')}"] + [f"{k}: {v}" for k, v in headers]
        if close:
            lines.append("Connection: close")
        await self.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    async def json(self, status: int, payload, headers: list = (), close: bool = False, head_only: bool = False):
        body = compact(payload)
        await self.head(status, [("Content-Type", "application/json"), ("Content-Length", len(body))]
                        + list(headers), close)
        if not head_only:  # a response to HEAD has no body, whatever its Content-Length says
            await self.send(body)

    async def chunk(self, data: bytes):
        await self.send(b"%X\r\n%s\r\n" % (len(data), data))

    async def wait_for_client_to_leave(self):
        """Reads (and drops) whatever the client sends until it closes; then it has gone."""
        try:
            while await self.reader.read(65536):
                pass
        except OSError:
            pass
        raise ClientGone()

    def reset(self):
        """Closes the TCP connection abruptly: SO_LINGER 0 makes close() send RST, not FIN."""
        sock = self.writer.get_extra_info("socket")  # under TLS too: the TCP socket
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()


# ---------------------------------------------------------------------------- the three wire formats

def usage_counts(pieces: list) -> tuple:
    """(prompt, content, thinking) tokens: one token per piece sent."""
    thoughts = sum(1 for _, thought in pieces if thought)
    return PROMPT_TOKENS, len(pieces) - thoughts, thoughts


def openai_events(model: str, scenario: str, pieces: list, ending: str):
    prompt, content, thoughts = usage_counts(pieces)
    usage = {"prompt_tokens": prompt, "completion_tokens": content + thoughts,
             "total_tokens": prompt + content + thoughts}
    if thoughts:
        usage["completion_tokens_details"] = {"reasoning_tokens": thoughts}
    base = {"id": "chatcmpl-" + uuid.uuid4().hex[:24], "object": "chat.completion.chunk",
            "created": int(time.time()), "model": model, "system_fingerprint": "fp_fake_llm"}
    separate_usage = scenario not in OPENAI_ONLY  # stream_options.include_usage style

    def chunk(delta: dict, finish=None, **extra) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        payload = {**base, "choices": [choice], **({"usage": None} if separate_usage else {}), **extra}
        return b"data: " + compact(payload) + b"\n\n"

    keepalive = scenario == "keepalive"
    if keepalive:
        yield b": OPENROUTER PROCESSING\n\n"
    yield chunk({"role": "assistant", "content": "", "refusal": None})
    for text, thought in pieces:
        if keepalive:
            yield b": keep-alive\n\n"
        yield chunk({"content": None, "reasoning_content": text} if thought else {"content": text})
    if ending == "error":
        error = {"message": "The server had an error while processing your request.",
                 "type": "server_error", "code": None}
        yield b"data: " + compact({"error": error}) + b"\n\n"
    if ending not in ("stop", "length"):  # cut short: no finish, no terminal marker
        return
    finish = "length" if ending == "length" else "stop"
    if scenario == "usage-choice":  # Moonshot: usage inside the finishing choice
        yield b"data: " + compact({**base, "choices": [
            {"index": 0, "delta": {}, "finish_reason": finish, "usage": usage}]}) + b"\n\n"
    elif scenario == "usage-xgroq":  # Groq: usage in x_groq of the last chunk
        groq = {"queue_time": 0.02, "prompt_time": 0.001, "completion_time": 0.01, "total_time": 0.011, **usage}
        yield chunk({}, finish, x_groq={"id": "req_" + uuid.uuid4().hex[:26], "usage": groq})
    else:
        yield chunk({}, finish)
        yield b"data: " + compact({**base, "choices": [], "usage": usage}) + b"\n\n"
    yield b"data: [DONE]\n\n"


def anthropic_events(model: str, scenario: str, pieces: list, ending: str):
    def event(name: str, payload: dict) -> bytes:
        return b"event: %s\ndata: %s\n\n" % (name.encode(), compact(payload))

    ping = event("ping", {"type": "ping"})
    prompt, content, thoughts = usage_counts(pieces)
    usage = {"input_tokens": prompt, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    yield event("message_start", {"type": "message_start", "message": {
        "id": "msg_01" + uuid.uuid4().hex[:22], "type": "message", "role": "assistant", "model": model,
        "content": [], "stop_reason": None, "stop_sequence": None, "usage": {**usage, "output_tokens": 1}}})
    index, block = -1, None

    def close_block():
        if block == "thinking":
            yield event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": {
                "type": "signature_delta", "signature": "EqQBCkYIBxgCKkBfakeLlmSignature=="}})
        yield event("content_block_stop", {"type": "content_block_stop", "index": index})

    for text, thought in pieces:
        kind = "thinking" if thought else "text"
        if kind != block:  # a new content block: thinking first, then text
            if block:
                yield from close_block()
            index, block = index + 1, kind
            start = {"type": "thinking", "thinking": "", "signature": ""} if thought else {"type": "text", "text": ""}
            yield event("content_block_start", {"type": "content_block_start", "index": index, "content_block": start})
            if index == 0:
                yield ping  # the real API pings once after the first block starts
        elif scenario == "keepalive":
            yield ping
        delta = {"type": "thinking_delta", "thinking": text} if thought else {"type": "text_delta", "text": text}
        yield event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})
    if ending == "error":
        yield event("error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    if ending not in ("stop", "length"):  # cut short: no finish, no terminal marker
        return
    yield from close_block()
    yield event("message_delta", {"type": "message_delta", "delta": {
        "stop_reason": "max_tokens" if ending == "length" else "end_turn", "stop_sequence": None},
        "usage": {**usage, "output_tokens": content + thoughts}})
    yield event("message_stop", {"type": "message_stop"})


def gemini_events(model: str, scenario: str, pieces: list, ending: str):
    def data(payload: dict) -> bytes:
        return b"data: " + compact(payload) + b"\r\n\r\n"  # Gemini uses CRLF

    prompt, content, thoughts = usage_counts(pieces)
    response_id = uuid.uuid4().hex[:22]
    for n, (text, thought) in enumerate(pieces):
        if scenario == "keepalive" and n:
            yield b": keep-alive\r\n\r\n"
        part = {"text": text, "thought": True} if thought else {"text": text}
        candidate = {"content": {"parts": [part], "role": "model"}, "index": 0}
        usage = {"promptTokenCount": prompt, "totalTokenCount": prompt}
        if n == len(pieces) - 1 and ending in ("stop", "length"):  # the last event carries the finish
            candidate["finishReason"] = "MAX_TOKENS" if ending == "length" else "STOP"
            usage = {"promptTokenCount": prompt, "candidatesTokenCount": content,
                     "totalTokenCount": prompt + content + thoughts,
                     "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt}]}
            if thoughts:
                usage["thoughtsTokenCount"] = thoughts
        yield data({"candidates": [candidate], "usageMetadata": usage, "modelVersion": model,
                    "responseId": response_id})
    if ending == "error":
        yield data({"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}})


def openai_error(message, type_, code=None):
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def anthropic_error(type_, message):
    return {"type": "error", "error": {"type": type_, "message": message}}


def gemini_error(code, message, status):
    return {"error": {"code": code, "message": message, "status": status}}


RETRY_AFTER = [("Retry-After", "1"), ("retry-after-ms", "200")]
# kind -> format -> (status, body); the real providers' error bodies.
ERRORS = {
    "unauthorized": {
        "openai": (401, openai_error("Incorrect API key provided: sk-***.", "invalid_request_error",
                                     "invalid_api_key")),
        "anthropic": (401, anthropic_error("authentication_error", "invalid x-api-key")),
        "gemini": (401, gemini_error(401, "API key not valid.", "UNAUTHENTICATED"))},
    "ratelimit": {
        "openai": (429, openai_error("Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1. "
                                     "Please try again in 200ms.", "requests", "rate_limit_exceeded")),
        "anthropic": (429, anthropic_error("rate_limit_error", "Number of requests has exceeded your rate limit.")),
        "gemini": (429, gemini_error(429, "Resource has been exhausted (e.g. check quota).", "RESOURCE_EXHAUSTED"))},
    "overloaded": {
        "openai": (503, openai_error("The engine is currently overloaded, please try again later", "server_error")),
        "anthropic": (529, anthropic_error("overloaded_error", "Overloaded")),
        "gemini": (503, gemini_error(503, "The model is overloaded. Please try again later.", "UNAVAILABLE"))},
    "quota": {
        "openai": (429, openai_error("You exceeded your current quota, please check your plan and billing details.",
                                     "insufficient_quota", "insufficient_quota")),
        "anthropic": (429, anthropic_error("billing_error", "Your credit balance is too low to access the API.")),
        "gemini": (429, gemini_error(429, "You exceeded your current quota, please check your plan and billing "
                                          "details.", "RESOURCE_EXHAUSTED"))},
}


def request_error(fmt: str, status: int, message: str):
    """(status, body) for a request the provider itself would refuse (bad JSON, unknown model)."""
    if fmt == "openai":
        return status, openai_error(message, "invalid_request_error", "model_not_found" if status == 404 else None)
    if fmt == "anthropic":
        return status, anthropic_error("not_found_error" if status == 404 else "invalid_request_error", message)
    return status, gemini_error(status, message, "NOT_FOUND" if status == 404 else "INVALID_ARGUMENT")


FORMATS = {"openai": openai_events, "anthropic": anthropic_events, "gemini": gemini_events}
ROUTES = {"/v1/chat/completions": "openai", "/v1/messages": "anthropic"}
GEMINI_PATH = re.compile(r"^/v1beta/models/([^/:]+):streamGenerateContent$")
REQUEST_ID_HEADER = {"openai": "x-request-id", "anthropic": "request-id", "gemini": "x-goog-request-id"}


# ---------------------------------------------------------------------------- routing and scenarios

def chat_route(request: Request):
    """(format, model from the path or None) for a chat request, else None."""
    match = GEMINI_PATH.match(request.path)
    if request.method != "POST" or not (match or request.path in ROUTES):
        return None
    return ("gemini", unquote(match.group(1))) if match else (ROUTES[request.path], None)


async def respond(request: Request, chan: Channel) -> bool:
    """Answers one request; True if the connection stays open for the next one."""
    close = request.wants_close

    async def reply(status: int, payload, headers: list = ()) -> bool:
        await chan.json(status, payload, headers, close, head_only=request.method == "HEAD")
        return not close

    if request.method == "GET" and request.path == "/_stats":
        return await reply(200, STATS.snapshot())
    if request.method == "POST" and request.path == "/_reset":
        STATS.reset()
        return await reply(200, {"ok": True})
    route = chat_route(request)
    if route is None:
        return await reply(404, {"error": f"no route for {request.method} {request.path}"})

    fmt, model = route
    STATS.requests += 1
    if not getattr(chan, "carried_chat", False):
        chan.carried_chat = True
        STATS.chat_connections += 1
    STATS.last_path, STATS.last_headers = request.target, {k.lower(): request.header(k.lower())
                                                           for k, _ in request.headers}
    try:
        STATS.last_body = json.loads(request.body) if request.body else None
    except ValueError:
        STATS.last_body = None
    body = STATS.last_body
    if model is None and isinstance(body, dict) and isinstance(body.get("model"), str):
        model = body["model"]
    headers = [(REQUEST_ID_HEADER[fmt], "req_" + uuid.uuid4().hex[:24])]
    if model is None:
        return await reply(*request_error(fmt, 400, "the request body must be JSON with a string `model`"), headers)
    STATS.by_model[model] = STATS.by_model.get(model, 0) + 1

    scenario, *modifiers = model.split("+")
    if scenario not in SCENARIOS or (scenario in OPENAI_ONLY and fmt != "openai") \
            or not set(modifiers) <= MODIFIERS:
        return await reply(*request_error(fmt, 404, f"model `{model}` does not exist: fake_llm knows scenarios "
                                                    f"{sorted(SCENARIOS)} and modifiers {sorted(MODIFIERS)}"), headers)
    if scenario.endswith("-once"):  # the first request with this model name fails, later ones succeed
        STATS.once[model] = STATS.once.get(model, 0) + 1
        scenario = scenario[:-len("-once")] if STATS.once[model] == 1 else "ok"
    close = close or "close" in modifiers

    chan.bytewise, chan.chat = "bytewise" in modifiers, True
    try:
        if "slow" in modifiers:
            await asyncio.sleep(SLOW_FIRST_BYTE)
        await play(fmt, model, scenario, chan, headers, close)
    except ClientGone:
        STATS.closed_early += 1
        return False
    finally:
        chan.bytewise = chan.chat = False
    return not close and scenario != "reset"


async def play(fmt: str, model: str, scenario: str, chan: Channel, headers: list, close: bool):
    if scenario == "hang":
        await chan.wait_for_client_to_leave()  # raises ClientGone: nothing is ever sent
    if scenario in ERRORS:
        status, payload = ERRORS[scenario][fmt]
        extra = RETRY_AFTER if scenario == "ratelimit" else []
        await chan.json(status, payload, headers + extra, close)
        return
    count, ending = CUTS.get(scenario, (None, "stop"))
    pieces = [(t, True) for t in THINKING] if scenario == "reasoning" else []
    pieces = (pieces + [(t, False) for t in CONTENT])[:count]
    events = FORMATS[fmt](model, scenario, pieces, ending)
    await chan.head(200, [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache"),
                          ("Transfer-Encoding", "chunked")] + headers, close)
    for event in events:
        await asyncio.sleep(EVENT_PAUSE)
        await chan.chunk(event)
    if scenario == "reset":
        await asyncio.sleep(EVENT_PAUSE)  # let the client read the pieces before the RST
        chan.reset()
    elif scenario == "stall":
        await chan.wait_for_client_to_leave()
    else:
        await chan.send(b"0\r\n\r\n")


# ---------------------------------------------------------------------------- server lifecycle

async def serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
    STATS.connections += 1
    # Each event must leave as soon as it is written (asyncio sets this too; say it anyway).
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    chan = Channel(reader, writer)
    try:
        while True:
            request = await read_request(reader, chan)
            if request is None or not await respond(request, chan):
                break
    except BadRequest as error:
        try:
            await chan.json(error.args[0], {"error": "malformed request"}, close=True)
        except ClientGone:
            pass
    except (ClientGone, OSError):
        pass  # the client went away between or during requests
    except Exception:  # a bug here must not stop the server serving other connections
        traceback.print_exc(file=sys.stderr)
    finally:
        writer.close()


async def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--tls-cert", help="PEM certificate chain; serve HTTPS")
    parser.add_argument("--tls-key", help="PEM private key for --tls-cert")
    args = parser.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    context = None
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(args.tls_cert, args.tls_key)
        context.set_alpn_protocols(["http/1.1"])  # clients offering h2 must fall back to HTTP/1.1

    await serve_until_stopped(lambda: asyncio.start_server(serve_connection, args.host, 0, ssl=context))


if __name__ == "__main__":
    asyncio.run(main())
