"""relayd's browser client and demo page, in headless Chromium, against a real relayd.

    python3 Tests/browser/browser_test.py --relayd .build/debug/relayd [-k pattern]

Starts relayd (the demo provider slowed down, so answers take a few seconds and can be cut
mid-stream), puts a CuttingProxy between it and the browser, and drives the demo page at `/`
with Selenium and chromium-driver from Debian. Every test compares the text the page shows
with the uninterrupted answer (relayd's POST /api/chat for the same message).

A screenshot of the page mid-stream is written to $RELAYD_BROWSER_ARTIFACTS
(default .build/browser-artifacts).
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import unittest
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from cutting_proxy import CuttingProxy

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # pragma: no cover
    sys.exit("selenium is missing: python3 -m pip install selenium (and apt-get install chromium chromium-driver)")

RELAYD = None
ARTIFACTS = os.environ.get("RELAYD_BROWSER_ARTIFACTS", os.path.join(".build", "browser-artifacts"))
TOKENS_PER_SECOND = 12


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def find_executable(*names):
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


class Relayd:
    """relayd as a user runs it, on a port of its own."""

    def __init__(self, binary, *arguments):
        self.port = free_port()
        self._answers = {}
        self.log_path = os.path.join(ARTIFACTS, f"relayd-{self.port}.log")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [binary, "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "debug",
             "--demo-tokens-per-second", str(TOKENS_PER_SECOND), *arguments],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=1).read()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"relayd did not start; see {self.log_path}")

    def answer(self, text):
        """The uninterrupted answer to one user message (each asked once: the demo provider
        takes seconds)."""
        if text not in self._answers:
            self._answers[text] = self._ask(text)
        return self._answers[text]

    def answers(self, texts):
        """Several answers, asked at the same time."""
        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(self.answer, texts))

    def _ask(self, text):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/chat",
            data=json.dumps({"id": "reference", "messages": [{"role": "user", "content": text}]}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)["content"]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def chromium():
    options = webdriver.ChromeOptions()
    options.binary_location = find_executable("chromium", "chromium-browser", "google-chrome")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1000,900", "--no-proxy-server"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver_path = find_executable("chromedriver") or "/usr/bin/chromedriver"
    return webdriver.Chrome(service=Service(executable_path=driver_path), options=options)


class BrowserClientTests(unittest.TestCase):
    relayd = None
    proxy = None
    driver = None

    @classmethod
    def setUpClass(cls):
        os.makedirs(ARTIFACTS, exist_ok=True)
        cls.relayd = Relayd(RELAYD)
        cls.proxy = CuttingProxy(cls.relayd.port)
        cls.driver = chromium()

    @classmethod
    def tearDownClass(cls):
        if cls.driver:
            cls.driver.quit()
        if cls.proxy:
            cls.proxy.stop()
        if cls.relayd:
            cls.relayd.stop()

    def setUp(self):
        self.started = time.time()
        self.proxy.block_websocket = False
        self.driver.get("about:blank")
        self.driver.get_log("browser")  # start each test with an empty console
        # The previous page's sockets must be gone: a page that leaves does not leak one.
        deadline = time.time() + 5
        while self.proxy.websocket_count() and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.proxy.websocket_count(), 0, "a WebSocket outlived its page")
        self.posts_before = len(self.proxy.requests_matching("POST /api/chat/stream"))

    def tearDown(self):
        # A page that hit a CSP violation or an uncaught error fails its test.
        problems = [entry["message"] for entry in self.driver.get_log("browser")
                    if entry["level"] == "SEVERE" and "WebSocket connection to" not in entry["message"]
                    and "Failed to load resource" not in entry["message"]
                    and "ERR_CONNECTION_RESET" not in entry["message"]]
        self.driver.get("about:blank")  # closes the page's sockets before the next test
        self.assertEqual(problems, [], "errors in the browser console")
        print(f" [{time.time() - self.started:.1f} s]", end=" ", file=sys.stderr, flush=True)

    # -- helpers ---------------------------------------------------------------------------

    def open_page(self, query=""):
        self.driver.get(f"http://127.0.0.1:{self.proxy.port}/{query}")
        self.wait(lambda d: d.execute_script("return document.body.dataset.ready") == "1", 15, "page ready")

    def wait(self, condition, timeout=20, what="condition"):
        return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(
            condition, message=f"timed out waiting for {what}")

    def text(self, element_id):
        return self.driver.find_element(By.ID, element_id).text

    def send_from_form(self, message):
        box = self.driver.find_element(By.ID, "message")
        box.clear()
        box.send_keys(message)
        self.driver.find_element(By.ID, "send").click()

    def last_answer(self):
        return self.driver.execute_script("""
            const items = document.querySelectorAll('#messages .message.assistant');
            const last = items[items.length - 1];
            return last ? { state: last.dataset.state, seq: Number(last.dataset.lastSeq ?? -1),
                            content: last.querySelector('.content').textContent } : null;""")

    def wait_for_seq(self, seq):
        return self.wait(lambda d: (self.last_answer() or {}).get("seq", -1) >= seq, 20, f"seq {seq}")

    def wait_for_answer(self, timeout=40):
        self.wait(lambda d: (self.last_answer() or {}).get("state") in ("done", "error", "cancelled"), timeout, "the answer")
        return self.last_answer()

    def client_log(self):
        return self.driver.find_element(By.ID, "log").get_attribute("textContent")

    def stats(self):
        return self.driver.execute_script("return window.relayDemo.client.stats()")

    # -- tests -----------------------------------------------------------------------------

    def test_chat_streams_to_completion_on_the_demo_page(self):
        message = "Does the demo page stream?"
        self.open_page()
        self.wait(lambda d: self.text("status-state") == "open", 10, "open")
        self.assertEqual(self.text("status-transport"), "WebSocket")
        self.send_from_form(message)
        self.wait_for_seq(8)
        partial = self.last_answer()
        self.assertEqual(partial["state"], "streaming")
        path = os.path.join(ARTIFACTS, "demo-page-mid-stream.png")
        self.driver.save_screenshot(path)
        self.assertGreater(os.path.getsize(path), 10_000)
        answer = self.wait_for_answer()
        self.assertEqual(answer["state"], "done")
        self.assertEqual(answer["content"], self.relayd.answer(message))
        self.assertTrue(answer["content"].startswith(partial["content"]))
        self.assertIn("WebSocket connected successfully", self.client_log())
        self.assertEqual(self.text("status-reconnects"), "0")
        self.assertEqual(len(self.proxy.requests_matching("POST /api/chat/stream")), self.posts_before, "no HTTP")

    def test_server_closing_the_websocket_mid_stream_loses_nothing(self):
        message = "Survive a restart close"
        self.open_page("?delays=300,600,1200")
        self.send_from_form(message)
        self.wait_for_seq(5)
        self.assertEqual(self.proxy.close_websockets(1012, "server restarting; retry_after_ms=400"), 1)
        self.wait(lambda d: self.text("status-state") == "reconnecting", 5, "reconnecting")
        answer = self.wait_for_answer()
        self.assertEqual(answer["state"], "done")
        self.assertEqual(answer["content"], self.relayd.answer(message))
        log = self.client_log()
        self.assertIn("WebSocket连接失败，尝试重连 (1/3)", log)
        self.assertEqual(self.text("status-reconnects"), "1")
        self.assertEqual(self.text("status-transport"), "WebSocket")

    def test_network_reset_and_drop_button_mid_stream_lose_nothing(self):
        message = "Survive two drops"
        self.open_page("?delays=200,400,800")
        self.send_from_form(message)
        self.wait_for_seq(4)
        self.assertGreaterEqual(self.proxy.drop_all(), 1)
        self.wait_for_seq(12)
        self.driver.find_element(By.ID, "drop").click()
        answer = self.wait_for_answer()
        self.assertEqual(answer["state"], "done")
        self.assertEqual(answer["content"], self.relayd.answer(message))
        self.assertEqual(self.text("status-reconnects"), "2")

    def test_blocked_websocket_falls_back_to_http_and_returns(self):
        message = "Blocked upgrades"
        self.proxy.block_websocket = True
        blocked_before = self.proxy.upgrades_blocked
        self.open_page("?delays=200,400,800&probe=1500,1500")
        self.send_from_form(message)
        self.wait(lambda d: self.text("status-state") == "http-fallback", 15, "http-fallback")
        self.assertEqual(self.text("status-transport"), "HTTP")
        self.assertEqual(self.proxy.upgrades_blocked - blocked_before, 4, "the first try and 3 attempts")
        log = self.client_log()
        for attempt in (1, 2, 3):
            self.assertIn(f"WebSocket连接失败，尝试重连 ({attempt}/3)", log)
        self.assertIn("WebSocket重连失败，切换到HTTP模式", log)
        # Cut the HTTP stream too: the client resumes it with GET /api/streams/{id}.
        self.wait_for_seq(6)
        self.proxy.drop_all()
        answer = self.wait_for_answer()
        self.assertEqual(answer["state"], "done")
        self.assertEqual(answer["content"], self.relayd.answer(message))
        self.assertEqual(len(self.proxy.requests_matching("POST /api/chat/stream")) - self.posts_before, 1)
        self.assertTrue(self.proxy.requests_matching("GET /api/streams/"), "resumed over HTTP")
        # WebSocket works again: the background probe finds it and the client goes back.
        passed_before = self.proxy.upgrades_passed
        self.proxy.block_websocket = False
        self.wait(lambda d: self.text("status-state") == "open", 15, "back on WebSocket")
        self.assertEqual(self.text("status-transport"), "WebSocket")
        self.assertEqual(self.proxy.upgrades_passed - passed_before, 1)
        posts = len(self.proxy.requests_matching("POST /api/chat/stream"))
        self.send_from_form("And now?")
        answer = self.wait_for_answer()
        self.assertEqual(answer["state"], "done")
        self.assertEqual(len(self.proxy.requests_matching("POST /api/chat/stream")), posts, "the second chat went over WebSocket")

    def test_heartbeats_are_sent_and_acknowledged(self):
        self.open_page("?heartbeat=400&heartbeatTimeout=2000")
        self.wait(lambda d: self.client_log().count("✅ Heartbeat response received") >= 4, 10, "four acks")
        log = self.client_log()
        self.assertGreaterEqual(log.count("💓 Sending heartbeat..."), 4)
        rtt = self.text("status-rtt")
        self.assertRegex(rtt, r"^\d+ ms$")
        self.assertEqual(self.text("status-state"), "open")
        self.assertEqual(self.text("status-reconnects"), "0")

    def test_dead_connection_is_noticed_by_the_heartbeat(self):
        # relayd goes silent (a stalled proxy): nothing closes, only the heartbeat can tell.
        self.open_page("?heartbeat=300&heartbeatTimeout=600&delays=200")
        self.wait(lambda d: self.text("status-state") == "open", 10, "open")
        self.driver.execute_script("""
            const ws = window.WebSocket.prototype;
            window.__realSend = ws.send;
            ws.send = function () {};  // heartbeats vanish, as through a dead path
        """)
        self.wait(lambda d: "No heartbeat response within 600 ms" in self.client_log(), 5, "heartbeat timeout")
        self.driver.execute_script("window.WebSocket.prototype.send = window.__realSend;")
        self.wait(lambda d: self.text("status-state") == "open" and self.text("status-reconnects") == "1", 10, "reconnected")

    def test_concurrent_chats_and_close_release_everything(self):
        self.open_page()
        result = self.driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            import('/relay-client.js').then(async ({ RelayClient }) => {
              const client = new RelayClient({ logger: null });
              const chats = [];
              for (let i = 0; i < 40; i++) chats.push(client.chat({ messages: [{ role: 'user', content: 'chat ' + (i % 4) }] }));
              const results = await Promise.all(chats.map((chat) => chat.result));
              const during = client.stats();
              client.close();
              done({ contents: results.map((r) => r.content), during, after: client.stats() });
            }).catch((error) => done({ error: String(error) }));
        """)
        self.assertNotIn("error", result)
        expected = self.relayd.answers([f"chat {index % 4}" for index in range(40)])
        self.assertEqual(result["contents"], expected)
        self.assertEqual(result["during"]["chats"], 0)
        after = result["after"]
        self.assertEqual((after["state"], after["chats"], after["timers"], after["sockets"], after["requests"], after["listeners"]),
                         ("closed", 0, 0, 0, 0, 0))

    def test_cross_origin_front_end(self):
        # The page's origin (127.0.0.1:proxy) is not relayd's (localhost:relayd), as for a
        # front end on Vercel: CORS preflights, exposed headers and the WebSocket Origin check.
        message = "From another origin"
        for transport, label in (("http", "HTTP"), ("websocket", "WebSocket")):
            self.open_page(f"?url=http://localhost:{self.relayd.port}&transport={transport}")
            self.send_from_form(message)
            answer = self.wait_for_answer()
            self.assertEqual(answer["state"], "done", transport)
            self.assertEqual(answer["content"], self.relayd.answer(message), transport)
            self.assertEqual(self.text("status-transport"), label)

    def test_http_only_transport(self):
        message = "Over HTTP from the start"
        self.open_page("?transport=http")
        self.send_from_form(message)
        answer = self.wait_for_answer()
        self.assertEqual(answer["content"], self.relayd.answer(message))
        self.assertEqual(self.text("status-transport"), "HTTP")


def main():
    global RELAYD
    parser = argparse.ArgumentParser()
    parser.add_argument("--relayd", required=True)
    parser.add_argument("-k", dest="pattern", action="append", default=[])
    arguments = parser.parse_args()
    RELAYD = os.path.abspath(arguments.relayd)
    if not find_executable("chromium", "chromium-browser", "google-chrome"):
        sys.exit("chromium is missing: apt-get install chromium chromium-driver")
    argv = [sys.argv[0], "-v"] + [item for pattern in arguments.pattern for item in ("-k", pattern)]
    unittest.main(module=__name__, argv=argv)


if __name__ == "__main__":
    main()
