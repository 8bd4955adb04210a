"""A real HTTP client (httpx) reading relayd's SSE fallback: python3 sse_peer.py PORT.

Streams a chat from POST /api/chat/stream, parses the text/event-stream per the WHATWG rules
for what relayd sends (event, id, data, comments), stops after a few chunks, resumes with
GET /api/streams/{id} and Last-Event-ID, and checks that the events join up: seq 0, 1, 2, ...
with no gap or repeat, `id:` equal to the seq, and the JSON the same as over WebSocket.
"""
import json
import sys

import httpx


def events(response):
    """Yields (event, id, data) per dispatched event; comments and retry are skipped."""
    event, data, last_id = "message", [], None
    for line in response.iter_lines():
        if line == "":
            if data:
                yield event, last_id, "\n".join(data)
            event, data = "message", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
        elif name == "id":
            last_id = value


def main(port: int) -> None:
    base = f"http://127.0.0.1:{port}"
    chat = {"id": "py-sse", "messages": [{"role": "user", "content": "hello over sse"}]}
    received = []
    with httpx.Client(timeout=10) as client:
        with client.stream("POST", f"{base}/api/chat/stream", json=chat) as response:
            assert response.status_code == 200, response.status_code
            assert response.headers["content-type"].startswith("text/event-stream"), response.headers
            assert response.headers["cache-control"] == "no-cache, no-transform"
            stream_id = response.headers["x-stream-id"]
            for event, event_id, data in events(response):
                received.append((event, event_id, json.loads(data)))
                if len(received) == 5:
                    break  # the connection drops here
        last = received[-1][1]
        with client.stream("GET", f"{base}/api/streams/{stream_id}", headers={"Last-Event-ID": last}) as response:
            assert response.status_code == 200, response.status_code
            for event, event_id, data in events(response):
                received.append((event, event_id, json.loads(data)))
        gone = client.get(f"{base}/api/streams/0000")
        assert gone.status_code == 410 and gone.json()["error"]["code"] == "stream_expired", gone.text

    for seq, (event, event_id, data) in enumerate(received):
        assert event_id == str(seq) and data["seq"] == seq, (seq, event_id, data)
        assert data["type"] == event and data["id"] == "py-sse", data
    assert received[0][0] == "start" and received[-1][0] == "done", received[-1]
    text = "".join(data.get("content", "") for _, _, data in received)
    assert "hello over sse" in text, text
    print("ALL OK")


main(int(sys.argv[1]))
