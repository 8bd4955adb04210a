"""A real WebSocket client (the `websockets` library) against relayd: python3 ws_peer.py PORT."""
import asyncio
import json
import sys

import websockets


async def main(port: int) -> None:
    base = f"ws://127.0.0.1:{port}"
    async with websockets.connect(f"{base}/ws", compression="deflate") as ws:
        assert ws.response.headers.get("Sec-WebSocket-Extensions", "").startswith("permessage-deflate"), ws.response.headers
        await ws.send(json.dumps({"type": "heartbeat", "timestamp": 1754907229768}))
        ack = json.loads(await ws.recv())
        assert ack["type"] == "heartbeat_ack" and ack["timestamp"] == 1754907229768 and ack["server_time"] > 0, ack
        await ws.send("{oops")
        error = json.loads(await ws.recv())
        assert error["type"] == "error" and error["code"] == "bad_request" and error["retryable"] is False, error
        latency = await ws.ping(b"relayd")
        await asyncio.wait_for(latency, 5)
        # A chat with the built-in demo provider, streamed chunk by chunk.
        await ws.send(json.dumps({"type": "chat", "id": "py1", "messages": [{"role": "user", "content": "hello from python"}]}))
        start = json.loads(await ws.recv())
        assert start["type"] == "start" and start["id"] == "py1" and start["provider"] == "demo", start
        text, seq = "", 0
        while True:
            event = json.loads(await ws.recv())
            seq += 1
            assert event["id"] == "py1" and event["seq"] == seq, event
            if event["type"] == "done":
                assert event["finish_reason"] == "stop" and event["usage"]["completion_tokens"] == seq - 1, event
                break
            text += event["content"]
        assert "hello from python" in text, text
    assert ws.close_code == 1000, ws.close_code

    async with websockets.connect(f"{base}/echo", compression="deflate", max_size=None) as ws:
        for size in (0, 1, 125, 126, 65535, 65536, 1_000_000):
            text = "é" * (size // 2) + "x" * (size % 2)
            await ws.send(text)
            assert await ws.recv() == text, size
        blob = bytes(range(256)) * 4000
        await ws.send(blob)
        assert await ws.recv() == blob
    print("ALL OK")


asyncio.run(main(int(sys.argv[1])))
