"""A scripted session against relayd, then its /metrics read with prometheus_client's parser.

    python3 metrics_session.py PORT

WebSocket (Python `websockets`): two heartbeats, a chat dropped mid-stream and resumed on a
second connection, a resume of an unknown stream; SSE (`httpx`): a chat, an unknown stream;
a request for an unknown path. Then every figure the session must have moved is checked
against the exposition, parsed by the reference Prometheus text parser. Prints ALL OK.
"""
import asyncio
import json
import sys
import time

import httpx
import websockets
from prometheus_client.parser import text_string_to_metric_families

PORT = int(sys.argv[1])
BASE = f"http://127.0.0.1:{PORT}"
URL = f"ws://127.0.0.1:{PORT}/ws"
CHAT = {"type": "chat", "id": "m1", "provider": "demo", "messages": [{"role": "user", "content": "metrics please"}]}


async def receive(ws):
    return json.loads(await asyncio.wait_for(ws.recv(), 10))


async def websocket_part():
    chunks = 0
    async with websockets.connect(URL, compression=None) as first:
        for stamp in (1, 2):
            await first.send(json.dumps({"type": "heartbeat", "timestamp": stamp}))
            ack = await receive(first)
            assert ack["type"] == "heartbeat_ack" and ack["timestamp"] == stamp, ack
        await first.send(json.dumps(CHAT))
        start = await receive(first)
        assert start["type"] == "start", start
        stream_id = start["stream_id"]
        last_seq = 0
        for _ in range(3):
            event = await receive(first)
            assert event["type"] == "chunk", event
            chunks += 1
            last_seq = event["seq"]
    # The first connection is gone (1000); the stream went on. Resume on a second one.
    await asyncio.sleep(0.2)
    async with websockets.connect(URL, compression=None) as second:
        await second.send(json.dumps({"type": "resume", "stream_id": stream_id, "last_seq": last_seq}))
        while True:
            event = await receive(second)
            assert event["seq"] == last_seq + 1, (event, last_seq)
            last_seq = event["seq"]
            if event["type"] == "chunk":
                chunks += 1
            if event["type"] == "done":
                break
        await second.send(json.dumps({"type": "resume", "stream_id": "0" * 32, "last_seq": -1}))
        expired = await receive(second)
        assert expired["code"] == "stream_expired", expired
    return chunks


def http_part():
    chunks = 0
    with httpx.Client(base_url=BASE, timeout=10) as client:
        body = {"id": "m2", "provider": "demo", "messages": [{"role": "user", "content": "over sse"}]}
        with client.stream("POST", "/api/chat/stream", json=body) as response:
            assert response.status_code == 200
            for line in response.iter_lines():
                if line == "event: chunk":
                    chunks += 1
        assert client.get("/api/streams/" + "1" * 32).status_code == 410
        assert client.get("/no/such/path").status_code == 404
    return chunks


def scrape():
    text = httpx.get(BASE + "/metrics", timeout=5).text
    samples = {}
    families = {}
    for family in text_string_to_metric_families(text):
        families[family.name] = family.type
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples, families


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


def main():
    ws_chunks = asyncio.run(websocket_part())
    sse_chunks = http_part()
    expected = {
        ("relayd_websocket_connects_total", ()): 2,
        ("relayd_websocket_disconnects_total", (("code", "1000"),)): 2,
        ("relayd_heartbeats_received_total", ()): 2,
        ("relayd_heartbeats_acked_total", ()): 2,
        ("relayd_dead_peers_dropped_total", ()): 0,
        ("relayd_resumes_total", (("outcome", "recovered"), ("transport", "websocket"))): 1,
        ("relayd_resumes_total", (("outcome", "expired"), ("transport", "websocket"))): 1,
        ("relayd_resumes_total", (("outcome", "expired"), ("transport", "sse"))): 1,
        ("relayd_streams_started_total", (("provider", "demo"),)): 2,
        ("relayd_streams_active", ()): 0,
        ("relayd_streams_kept", ()): 2,
        ("relayd_time_to_first_chunk_seconds_count", (("provider", "demo"),)): 2,
        ("relayd_inter_chunk_gap_seconds_count", (("provider", "demo"),)): ws_chunks + sse_chunks - 2,
        ("relayd_http_requests_total", (("route", "/ws"), ("status", "101"))): 2,
        ("relayd_http_requests_total", (("route", "/api/chat/stream"), ("status", "200"))): 1,
        ("relayd_http_requests_total", (("route", "/api/streams/{id}"), ("status", "410"))): 1,
        ("relayd_http_requests_total", (("route", "unmatched"), ("status", "404"))): 1,
        ("relayd_connections_open", (("transport", "websocket"),)): 0,
        ("relayd_connections_open", (("transport", "sse"),)): 0,
    }
    # Closes are counted when the server has processed them: give it a moment.
    deadline = time.time() + 5
    while True:
        samples, families = scrape()
        wrong = {key: (samples.get(key), want) for key, want in expected.items() if samples.get(key) != want}
        if not wrong or time.time() > deadline:
            break
        time.sleep(0.1)
    assert not wrong, f"wrong figures (got, wanted): {wrong}"
    assert value(samples, "relayd_resume_events_replayed_total") >= 1
    assert value(samples, "relayd_replay_buffer_bytes") > 0
    assert value(samples, "relayd_connections_open", transport="http") >= 1  # this scrape's own
    for name in ("relayd_time_to_first_chunk_seconds", "relayd_inter_chunk_gap_seconds"):
        assert families[name] == "histogram", families.get(name)
        buckets = sorted((float(dict(labels)["le"]), count) for (sample, labels), count in samples.items()
                         if sample == name + "_bucket")
        counts = [count for _, count in buckets]
        assert counts == sorted(counts) and buckets[-1][0] == float("inf"), buckets
    for name in ("relayd_websocket_connects", "relayd_http_requests", "relayd_resumes"):
        assert families[name] == "counter", (name, families.get(name))
    assert families["relayd_connections_open"] == "gauge"
    print("ALL OK", json.dumps({"ws_chunks": ws_chunks, "sse_chunks": sse_chunks}))


if __name__ == "__main__":
    main()
