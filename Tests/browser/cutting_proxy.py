"""A TCP proxy between the browser and relayd that breaks things on purpose.

It stands for the network and the infrastructure the browser client must survive:

- ``block_websocket``: WebSocket upgrades get ``403`` (a corporate proxy that strips them),
  plain HTTP passes;
- ``close_websockets(code, reason)``: every WebSocket gets a close frame with that code, as
  relayd sends when it restarts (1012), and both sides are cut. The proxy forwards relayd's
  frames whole, so the close frame never lands inside another frame;
- ``drop_all()``: every connection is reset, as when a network or a load balancer goes away.

It also counts what went through (upgrades, request lines), so tests can assert which
transport the browser used. Runs on its own asyncio thread; the methods are thread-safe.
"""

import asyncio
import struct
import threading


class CuttingProxy:
    def __init__(self, upstream_port, upstream_host="127.0.0.1"):
        self.upstream = (upstream_host, upstream_port)
        self.block_websocket = False
        self.upgrades_passed = 0
        self.upgrades_blocked = 0
        self.request_lines = []
        self._connections = set()
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        started = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(started,), daemon=True)
        self._thread.start()
        started.wait(10)

    def _run(self, started):
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._accept, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        started.set()
        self._loop.run_forever()

    # -- control, from the test's thread --------------------------------------------------

    def close_websockets(self, code=1012, reason="server restarting"):
        """Closes every WebSocket as relayd would; returns how many."""
        return self._call(self._close_websockets, code, reason)

    def drop_all(self):
        """Resets every connection; returns how many."""
        return self._call(self._drop_all)

    def websocket_count(self):
        """WebSocket connections open through the proxy now."""
        return self._call(lambda: sum(1 for connection in self._connections if connection.websocket))

    def requests_matching(self, prefix):
        with self._lock:
            return [line for line in self.request_lines if line.startswith(prefix)]

    def stop(self):
        self._call(self._drop_all)
        self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)

    def _call(self, function, *args):
        async def run():
            return function(*args)
        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)

    def _close_websockets(self, code, reason):
        count = 0
        for connection in list(self._connections):
            if connection.websocket:
                payload = struct.pack("!H", code) + reason.encode()[:123]
                connection.client_writer.write(bytes([0x88, len(payload)]) + payload)
                connection.cut(abort=False)
                count += 1
        return count

    def _drop_all(self):
        connections = list(self._connections)
        for connection in connections:
            connection.cut(abort=True)
        return len(connections)

    # -- the proxying --------------------------------------------------------------------

    async def _accept(self, client_reader, client_writer):
        connection = _Connection(client_writer)
        self._connections.add(connection)
        try:
            await self._serve(connection, client_reader, client_writer)
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass
        finally:
            connection.cut(abort=True)
            self._connections.discard(connection)

    async def _serve(self, connection, client_reader, client_writer):
        head = await client_reader.readuntil(b"\r\n\r\n")
        if b"upgrade: websocket" in head.lower():
            if self.block_websocket:
                with self._lock:
                    self.upgrades_blocked += 1
                client_writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                await client_writer.drain()
                return
            with self._lock:
                self.upgrades_passed += 1
            connection.websocket = True
        server_reader, server_writer = await asyncio.open_connection(*self.upstream)
        connection.server_writer = server_writer
        if connection.websocket:
            server_writer.write(head)
            upstream = self._pipe(client_reader, server_writer)
            downstream = self._websocket_frames(server_reader, client_writer)
        else:
            upstream = self._requests(head, client_reader, server_writer)
            downstream = self._pipe(server_reader, client_writer)
        tasks = [asyncio.ensure_future(upstream), asyncio.ensure_future(downstream)]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            task.cancel()

    def _note(self, head):
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        with self._lock:
            self.request_lines.append(line)

    async def _requests(self, head, reader, writer):
        """Forwards HTTP requests one by one, noting each request line."""
        while True:
            self._note(head)
            writer.write(head)
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                writer.write(await reader.readexactly(length))
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")

    @staticmethod
    async def _pipe(reader, writer):
        while True:
            data = await reader.read(65536)
            if not data:
                writer.write_eof() if writer.can_write_eof() else None
                return
            writer.write(data)
            await writer.drain()

    @staticmethod
    async def _websocket_frames(reader, writer):
        """relayd's side of a WebSocket: the 101 head, then whole frames only."""
        writer.write(await reader.readuntil(b"\r\n\r\n"))
        while True:
            header = await reader.readexactly(2)
            length = header[1] & 0x7F
            extra = b""
            if length == 126:
                extra = await reader.readexactly(2)
                length = struct.unpack("!H", extra)[0]
            elif length == 127:
                extra = await reader.readexactly(8)
                length = struct.unpack("!Q", extra)[0]
            payload = await reader.readexactly(length)
            writer.write(header + extra + payload)
            await writer.drain()


class _Connection:
    def __init__(self, client_writer):
        self.client_writer = client_writer
        self.server_writer = None
        self.websocket = False

    def cut(self, abort):
        for writer in (self.client_writer, self.server_writer):
            if writer is None:
                continue
            if abort:
                writer.transport.abort()
            else:
                writer.close()
