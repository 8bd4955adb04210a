"""The relayd binary as the Python sessions in this folder run it: on a free loopback port,
ready once `/health` answers, stopped (once) with its log kept; and the checks the sessions
make of its answers.

    from relayd_process import Relayd
    relayd_process.BINARY = sys.argv[1]
    with Relayd(["--loops", "1"], {"RELAYD_AUTH_TOKENS": "..."}) as relayd: ...
"""
import socket
import subprocess
import time

import httpx

BINARY = None


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Relayd:
    def __init__(self, arguments=(), environment=None, host=("--host", "127.0.0.1")):
        self.port = free_port()
        self.log = None
        self.base = f"http://127.0.0.1:{self.port}"
        self.ws_base = f"ws://127.0.0.1:{self.port}"
        self.ws = self.ws_base + "/ws"
        env = {"PATH": "/usr/bin:/bin", **(environment or {})}
        self.process = subprocess.Popen([BINARY, *host, "--port", str(self.port), *arguments],
                                        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(200):
            try:
                httpx.get(self.base + "/health", timeout=0.5)
                return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("relayd did not start: " + self.stop())

    def alive(self):
        return self.process.poll() is None

    def rss_kib(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        """Stops relayd (once) and returns its log."""
        if self.log is None:
            if self.process.poll() is None:
                self.process.terminate()
            try:
                _, errors = self.process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                _, errors = self.process.communicate()
            self.log = errors.decode(errors="replace")
        return self.log

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        status = self.process.poll() if self.log is None else None
        log = self.stop()
        if exc[0] is None:
            assert status is None, f"relayd exited with {status} during the check:\n{log[-4000:]}"


def expect(response, status, code=None):
    """`response` has `status`, and relayd's error `code` when given."""
    assert response.status_code == status, (response.request.method, str(response.request.url), response.status_code, response.text)
    if code:
        assert response.json()["error"]["code"] == code, response.text
    return response


def bearer(token):
    return {"Authorization": f"Bearer {token}"}
