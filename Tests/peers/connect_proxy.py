#!/usr/bin/env python3
"""A forward HTTP proxy for relayd's integration tests, a real peer over real sockets.

    python3 connect_proxy.py [--auth USER:PASS]

Listens on 127.0.0.1 (ephemeral port), prints `PORT <n>` on stdout, and serves:
  CONNECT host:port         a TCP tunnel (`200 Connection Established`), relayed until either side closes
  METHOD http://host/path   absolute-form plain HTTP, forwarded in origin-form over one persistent
                            upstream connection per client connection and target; bodies stream through
  GET /_stats               counters for the tests' assertions (origin-form, no auth needed)
With --auth, proxy requests need `Proxy-Authorization: Basic base64(USER:PASS)`, else 407. Targets
under `.invalid` get 403, unreachable ones 502; each refusal closes the client connection.
Exits when stdin reaches EOF (so it dies with the test process holding the pipe) or on SIGTERM/SIGINT.
Only the PORT line goes to stdout; errors go to stderr.
"""
import argparse
import asyncio
import base64
import json
import socket
import struct
import sys
import traceback
from urllib.parse import urlsplit

from peer_runtime import serve_until_stopped

CONNECT_TIMEOUT = 5.0  # to reach a target, before answering 502
HOP_BY_HOP = {"proxy-authorization", "proxy-connection"}  # never forwarded upstream
REFUSALS = {400: "Bad Request", 403: "Forbidden", 407: "Proxy Authentication Required", 502: "Bad Gateway"}


class Stats:
    def __init__(self):
        self.tunnels = 0       # CONNECTs accepted
        self.forwarded = 0     # absolute-form requests forwarded
        self.targets = []      # "host:port" of each tunnel and forwarded request, in order
        self.rejected = 0      # 407, 403 and 502 answers
        self.open_tunnels = 0  # tunnels open right now


STATS = Stats()
AUTH = None  # "USER:PASS" from --auth


class BadMessage(Exception):
    """Not parseable HTTP/1.1."""


class Refused(Exception):
    """The proxy answers this request itself with args[0] (403, 407, 502, 400), then closes."""


# ---------------------------------------------------------------------------- HTTP/1.1 messages

class Head:
    """A request or response head: its start line split in three, and its headers in order."""

    def __init__(self, raw: bytes):
        lines = raw.decode("latin-1").split("\r\n")[:-2]
        self.raw = raw
        self.parts = lines[0].split(" ", 2)
        self.headers = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise BadMessage(line)
            self.headers.append((name, value.strip()))

    def header(self, name: str):
        values = [v for k, v in self.headers if k.lower() == name]
        return ", ".join(values) if values else None

    def connection_tokens(self) -> set:
        return {t.strip().lower() for t in (self.header("connection") or "").split(",")}


async def read_head(reader: asyncio.StreamReader):
    """The next head, or None if the peer closed before sending a complete one."""
    try:
        return Head(await reader.readuntil(b"\r\n\r\n"))
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError:
        raise BadMessage("head too large")


def body_framing(head: Head, request_method: str = None):
    """How the body after `head` ends (RFC 9112 §6.3): ("length", n), ("chunked", None) or ("eof", None).

    `request_method` is given for responses (a HEAD request's response has no body)."""
    if request_method is not None:
        status = int(head.parts[1])
        if request_method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return "length", 0
    if "chunked" in (head.header("transfer-encoding") or "").lower():
        return "chunked", None
    length = head.header("content-length")
    if length is not None:
        if not length.isdigit():
            raise BadMessage("Content-Length: " + length)
        return "length", int(length)
    return ("eof", None) if request_method is not None else ("length", 0)  # requests: no body


def reset(writer: asyncio.StreamWriter):
    """Closes a connection abruptly: SO_LINGER 0 makes close() send RST rather than FIN."""
    writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def send(writer: asyncio.StreamWriter, data: bytes):
    writer.write(data)
    await writer.drain()


async def copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, size: int = -1):
    """Copies `size` bytes (all until EOF if -1) as they arrive, so streamed bodies stay streamed."""
    while size:
        data = await reader.read(65536 if size < 0 else min(size, 65536))
        if not data:
            if size > 0:
                raise asyncio.IncompleteReadError(b"", size)
            return
        await send(writer, data)
        size -= len(data) if size > 0 else 0


async def relay_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, framing):
    """Copies one body, framing included, ending exactly where the message ends."""
    kind, size = framing
    if kind != "chunked":
        await copy(reader, writer, size if kind == "length" else -1)
        return
    while True:
        line = await reader.readuntil(b"\r\n")
        await send(writer, line)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise BadMessage("chunk size " + repr(line))
        if size == 0:
            while line != b"\r\n":  # trailers, then the empty line
                line = await reader.readuntil(b"\r\n")
                await send(writer, line)
            return
        await copy(reader, writer, size + 2)  # the data and its CRLF


async def refuse(writer: asyncio.StreamWriter, status: int, reason: str = ""):
    """The proxy's own answer to a request it will not carry; the connection closes after it."""
    if status != 400:
        STATS.rejected += 1
    body = (reason + "\n").encode() if reason else b""
    extra = 'Proxy-Authenticate: Basic realm="test"\r\n' if status == 407 else ""
    head = (f"HTTP/1.1 {status} {REFUSALS[status]}\r\n{extra}Content-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    try:
        await send(writer, head.encode() + body)
    except OSError:
        pass


# ---------------------------------------------------------------------------- policy

def authority(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def check_policy(head: Head, host: str):
    """Raises Refused(407) without the right Proxy-Authorization, Refused(403) for `.invalid` hosts."""
    if AUTH is not None:
        scheme, _, token = (head.header("proxy-authorization") or "").partition(" ")
        try:
            ok = scheme.lower() == "basic" and base64.b64decode(token.strip(), validate=True).decode() == AUTH
        except ValueError:  # bad base64 or not UTF-8
            ok = False
        if not ok:
            raise Refused(407, "proxy authentication required")
    if host.lower().rstrip(".").endswith(".invalid") or host.lower() == "invalid":
        raise Refused(403, f"{host} is blocked by the proxy's policy")


async def connect(host: str, port: int):
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), CONNECT_TIMEOUT)
    except (OSError, asyncio.TimeoutError) as error:
        raise Refused(502, f"cannot reach {authority(host, port)}: {error or 'timeout'}")
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return reader, writer


# ---------------------------------------------------------------------------- CONNECT tunnels

async def tunnel(head: Head, client_reader, client_writer):
    host, sep, port = head.parts[1].rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host  # [::1]:443
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise Refused(400, "CONNECT needs host:port")
    check_policy(head, host)
    target_reader, target_writer = await connect(host, int(port))
    STATS.tunnels += 1
    STATS.targets.append(authority(host, int(port)))
    STATS.open_tunnels += 1
    try:
        await send(client_writer, b"HTTP/1.1 200 Connection Established\r\n\r\n")
        # Bytes the client sent right after the CONNECT head are still in client_reader: nothing is lost.
        directions = [asyncio.ensure_future(pipe(client_reader, target_writer)),
                      asyncio.ensure_future(pipe(target_reader, client_writer))]
        done, _ = await asyncio.wait(directions, return_when=asyncio.FIRST_COMPLETED)
        for direction in directions:  # one side closed: close the other (below)
            direction.cancel()
        if not all(direction.result() for direction in done):  # a reset, not a close: pass it on as one
            reset(client_writer)
            reset(target_writer)
    finally:
        STATS.open_tunnels -= 1
        target_writer.close()


async def pipe(reader, writer) -> bool:
    """Copies one direction of a tunnel: True when it ends with EOF, False on a connection error."""
    try:
        await copy(reader, writer)
        return True
    except OSError:
        return False


# ---------------------------------------------------------------------------- absolute-form forwarding

class Upstream:
    """A persistent connection to one target, used by one client connection.

    The client loop writes requests (rewritten to origin-form); `pump` relays the responses back
    in the same order, parsing each one so that it knows where it ends and the connection can be
    reused. Pipelined requests therefore work too."""

    def __init__(self, target: str, reader, writer, client_writer):
        self.target, self.reader, self.writer, self.client_writer = target, reader, writer, client_writer
        self.pending = asyncio.Queue()  # (request method, client wants close) awaiting a response
        self.pump_task = asyncio.ensure_future(self.pump())

    @property
    def alive(self) -> bool:
        # at_eof: the target closed the connection while it was idle (as servers may): don't reuse it.
        return not self.pump_task.done() and not self.reader.at_eof()

    async def forward(self, head: Head, origin_target: str, client_reader):
        method, _, version = head.parts
        lines = [f"{method} {origin_target} {version}"]
        lines += [f"{k}: {v}" for k, v in head.headers if k.lower() not in HOP_BY_HOP]
        await send(self.writer, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        client_close = "close" in head.connection_tokens() or (version == "HTTP/1.0"
                                                               and "keep-alive" not in head.connection_tokens())
        self.pending.put_nowait((method, client_close))  # before the body: a `100 Continue` may come first
        await relay_body(client_reader, self.writer, body_framing(head))

    async def pump(self):
        busy = started = False  # a response is being relayed; its first bytes reached the client
        try:
            while True:
                method, client_close = await self.pending.get()
                busy, started = True, False
                while True:  # interim 1xx responses, then the final one
                    head = await read_head(self.reader)
                    if head is None or len(head.parts) < 2 or not head.parts[1].isdigit():
                        raise ConnectionResetError(f"{self.target} sent no valid response")
                    started = True
                    await send(self.client_writer, head.raw)
                    if not 100 <= int(head.parts[1]) < 200:
                        break
                framing = body_framing(head, method)
                await relay_body(self.reader, self.client_writer, framing)
                busy = False
                self.pending.task_done()
                if client_close or framing[0] == "eof" or "close" in head.connection_tokens():
                    self.client_writer.close()  # the client was told (or told us) the connection ends
                    return
        except (OSError, BadMessage, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
            # The target failed: say so if the client has nothing of the response yet, otherwise
            # cut the client off abruptly so it cannot take a truncated response for a whole one.
            if started:
                reset(self.client_writer)
            else:
                await refuse(self.client_writer, 502, f"{self.target}: {error}")
                self.client_writer.close()
        finally:
            if busy:
                self.pending.task_done()
            while not self.pending.empty():  # nobody waits forever in settle()
                self.pending.get_nowait()
                self.pending.task_done()
            self.writer.close()

    async def settle(self):
        """Waits until every forwarded request has had its response relayed."""
        if self.alive:
            await self.pending.join()

    def close(self):
        self.pump_task.cancel()
        self.writer.close()


def parse_absolute(target: str):
    """(host, port, origin-form target) of `http://host[:port]/path?query`."""
    try:
        url = urlsplit(target)
        port = url.port or 80
    except ValueError:
        raise Refused(400, "bad URL " + target)
    if url.scheme != "http" or not url.hostname:
        raise Refused(400, "only http:// URLs can be forwarded; use CONNECT for TLS")
    rest = target[len(url.scheme) + 3 + len(url.netloc):]  # exactly as sent, no re-encoding
    return url.hostname, port, rest if rest.startswith("/") else "/" + rest


# ---------------------------------------------------------------------------- client connections

async def serve_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    upstream = None
    try:
        while True:
            head = await read_head(reader)
            if head is None:  # the client left (or half-closed): drop its upstream too, like squid
                break
            if len(head.parts) != 3 or not head.parts[2].startswith("HTTP/1."):
                raise BadMessage(head.parts)
            method, target, _ = head.parts
            if method == "CONNECT" or target.startswith("/"):
                if upstream is not None:  # its responses go out first
                    await upstream.settle()
                if method == "CONNECT":
                    await tunnel(head, reader, writer)
                    break
                if target != "/_stats" or method != "GET":
                    raise Refused(400, "this is a proxy: send CONNECT or an absolute-form URL (or GET /_stats)")
                body = json.dumps(vars(STATS)).encode()
                await send(writer, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                   b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                if "close" in head.connection_tokens():
                    break
                continue
            host, port, origin_target = parse_absolute(target)
            check_policy(head, host)  # every request, not just the first, must carry credentials
            key = authority(host, port)
            if upstream is None or upstream.target != key or not upstream.alive:
                if upstream is not None:  # its responses go out before any from the new target
                    await upstream.settle()
                    upstream.close()
                    upstream = None
                upstream = Upstream(key, *await connect(host, port), writer)
            STATS.forwarded += 1
            STATS.targets.append(key)
            await upstream.forward(head, origin_target, reader)
    except Refused as refusal:
        if upstream is not None:
            await upstream.settle()  # answers go out in request order
        await refuse(writer, *refusal.args)
    except BadMessage:
        if upstream is None:  # otherwise a 400 could land in the middle of a response being relayed
            await refuse(writer, 400, "malformed request")
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        pass  # the client or target went away mid-message
    except Exception:  # a bug here must not stop the proxy serving other connections
        traceback.print_exc(file=sys.stderr)
    finally:
        if upstream is not None:
            upstream.close()
        writer.close()


async def main():
    global AUTH
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--auth", metavar="USER:PASS", help="require Basic proxy authentication")
    args = parser.parse_args()
    if args.auth is not None and ":" not in args.auth:
        parser.error("--auth takes USER:PASS")
    AUTH = args.auth

    await serve_until_stopped(lambda: asyncio.start_server(serve_client, "127.0.0.1", 0))


if __name__ == "__main__":
    asyncio.run(main())
