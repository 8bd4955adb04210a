"""What the test peers (fake_llm.py, connect_proxy.py) share: how they start and stop.

A peer listens on an ephemeral port, prints `PORT <n>` on stdout (the only line it ever
prints there), and runs until SIGTERM/SIGINT or until its stdin reaches EOF: the test that
launched it holds that pipe, so a test process that dies takes its peers with it.
"""
import asyncio
import os
import signal
import threading


def stop_on_stdin_eof(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """EOF on stdin means the test is done or dead. A thread works for pipes, ttys and files."""
    def watch():
        try:
            while os.read(0, 65536):
                pass
        except OSError:
            pass  # no usable stdin: the same as EOF
        loop.call_soon_threadsafe(stop.set)
    threading.Thread(target=watch, daemon=True).start()


async def serve_until_stopped(start_server) -> None:
    """Runs `await start_server()` (an asyncio server on port 0), announces its port, waits."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    stop_on_stdin_eof(loop, stop)
    server = await start_server()
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    await stop.wait()
    # Nothing to save: exit at once and let the kernel close every socket. (Letting asyncio.run
    # cancel the connection tasks instead makes Python 3.11 log a traceback for each of them.)
    server.close()
    os._exit(0)
