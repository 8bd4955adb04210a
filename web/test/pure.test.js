// The client's pure rules: backoff, retry hints, close codes, seq de-duplication, SSE parsing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { backoffDelay, retryHintFromCloseReason, retryAfterHeaderMs, closeAction, SeqTracker, SSEParser } from "../relay-client.js";

test("backoff follows 1 s, 2 s, 4 s and repeats the last delay", () => {
  const middle = () => 0.5; // no spread
  assert.deepEqual([1, 2, 3, 4, 9].map((n) => backoffDelay(n, [1000, 2000, 4000], 0.2, middle)), [1000, 2000, 4000, 4000, 4000]);
});

test("jitter spreads each delay over ±jitter and never below zero", () => {
  assert.equal(backoffDelay(1, [1000, 2000, 4000], 0.2, () => 0), 800);
  assert.equal(backoffDelay(2, [1000, 2000, 4000], 0.2, () => 0.999999), 2400);
  assert.equal(backoffDelay(3, [1000, 2000, 4000], 0, () => 0), 4000);
  assert.equal(backoffDelay(1, [1000], 5, () => 0), 0, "jitter is capped at 100%");
  // Many clients: delays cover the band rather than landing on one instant.
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const delays = Array.from({ length: 1000 }, () => backoffDelay(1, [1000], 0.2, random));
  assert.ok(Math.min(...delays) >= 800 && Math.max(...delays) <= 1200);
  assert.ok(new Set(delays).size > 300, "a thousand clients spread over many distinct instants");
  assert.equal(backoffDelay(1, [], 0.2), 0);
});

test("a close reason's retry hint is read and capped", () => {
  assert.equal(retryHintFromCloseReason("server restarting; retry_after_ms=2500"), 2500);
  assert.equal(retryHintFromCloseReason("retry_after_ms: 10"), 10);
  assert.equal(retryHintFromCloseReason("server restarting"), null);
  assert.equal(retryHintFromCloseReason(undefined), null);
  assert.equal(retryHintFromCloseReason("retry_after_ms=999999999"), 300000);
});

test("Retry-After in seconds or as a date", () => {
  assert.equal(retryAfterHeaderMs("3"), 3000);
  assert.equal(retryAfterHeaderMs(new Date(61_000).toUTCString(), 1_000), 60000);
  assert.equal(retryAfterHeaderMs("soon"), null);
  assert.equal(retryAfterHeaderMs(null), null);
});

test("close codes: policy and protocol errors stop, 4000 resumes at once, the rest back off", () => {
  for (const code of [1002, 1003, 1007, 1008, 1009, 1010]) assert.equal(closeAction(code), "stop", String(code));
  assert.equal(closeAction(4000), "reconnect-now");
  for (const code of [1000, 1001, 1006, 1011, 1012, 1013, 4001]) assert.equal(closeAction(code), "reconnect", String(code));
  // An expired token: a fresh one may be fetched (a token function), a fixed one would be refused again.
  assert.equal(closeAction(1008, "token_expired", { canRenewToken: true }), "reconnect-now");
  assert.equal(closeAction(1008, "token_expired"), "stop");
  assert.equal(closeAction(1008, "invalid_token", { canRenewToken: true }), "stop");
});

test("seq tracker accepts each seq once, in order, and skips replays", () => {
  const tracker = new SeqTracker();
  const seen = [0, 1, 2, 1, 2, 3, 0, 4, 4, 5].filter((seq) => tracker.accept(seq));
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5]);
  assert.equal(tracker.lastSeq, 5);
  assert.equal(tracker.accept(undefined), true, "events without seq (early errors) pass");
  assert.equal(new SeqTracker(12).accept(12), false);
});

test("SSE parser: events, comments, multi-line data, ids", () => {
  const parser = new SSEParser();
  const events = parser.push(": ping\n\nevent: start\nid: 0\ndata: {\"a\":1}\n\ndata: one\ndata: two\n\nevent: x\n\n");
  assert.deepEqual(events, [
    { event: "start", data: "{\"a\":1}", id: "0" },
    { event: "message", data: "one\ntwo", id: "0" },
  ]);
});

test("SSE parser: any split of the bytes gives the same events, CRLF and CR too", () => {
  const text = "event: chunk\r\nid: 1\r\ndata: {\"c\":\"é\"}\r\n\r\nevent: done\rid: 2\rdata:x\r\rdata: y\n\n";
  const whole = new SSEParser().push(text);
  assert.equal(whole.length, 3);
  assert.deepEqual(whole[1], { event: "done", data: "x", id: "2" });
  for (let cut = 0; cut <= text.length; cut++) {
    for (const size of [1, 2, 3, 7]) {
      const parser = new SSEParser();
      const events = [...parser.push(text.slice(0, cut))];
      for (let i = cut; i < text.length; i += size) events.push(...parser.push(text.slice(i, i + size)));
      assert.deepEqual(events, whole, `cut ${cut} size ${size}`);
    }
  }
});
