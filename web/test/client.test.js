// RelayClient's behaviour against scripted transports: states, logs, reconnects, fallback,
// resume without loss or duplicates, heartbeats, cancel, and clean-up.
import { test } from "node:test";
import assert from "node:assert/strict";
import { RelayClient } from "../relay-client.js";
import { FakeClock, fakeWebSocketClass, fakeFetch, sseResponse, recordingLogger, flush } from "./fakes.js";

function setup(options = {}) {
  const clock = new FakeClock();
  const WebSocket = fakeWebSocketClass();
  const http = fakeFetch();
  const { logger, lines } = recordingLogger();
  const documentTarget = new EventTarget();
  documentTarget.visibilityState = "visible";
  const windowTarget = new EventTarget();
  const client = new RelayClient({
    url: "http://relay.test",
    WebSocket,
    fetch: http.fetch,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    now: () => clock.now,
    random: () => 0.5,
    logger,
    document: documentTarget,
    window: windowTarget,
    ...options,
  });
  const states = [];
  client.on("state", (change) => states.push(change.state));
  return { client, clock, WebSocket, http, lines, states, documentTarget, windowTarget };
}

const messages = [{ role: "user", content: "hi" }];
const words = ["Hello ", "from ", "a ", "stream ", "that ", "survives."];

function collect(handle) {
  const seen = [];
  return { seen, callbacks: { onEvent: (event) => seen.push(event) } };
}

/** Plays relayd's side of one chat on a socket: start, then chunks from..to. */
function play(ws, id, streamId, from, to) {
  for (let seq = from; seq <= to; seq++) {
    if (seq === 0) ws.deliver({ type: "start", id, seq: 0, stream_id: streamId, provider: "demo", model: "demo" });
    else if (seq <= words.length) ws.deliver({ type: "chunk", id, seq, content: words[seq - 1] });
    else ws.deliver({ type: "done", id, seq, finish_reason: "stop", usage: { completion_tokens: words.length } });
  }
}

test("connects, logs like the seed, heartbeats every interval and reports the round trip", async () => {
  const { client, clock, WebSocket, lines, states } = setup({ heartbeatIntervalMs: 30000 });
  const heartbeats = [];
  client.on("heartbeat", (info) => heartbeats.push(info));
  const ready = client.connect();
  await flush();
  assert.equal(client.state, "connecting");
  assert.equal(WebSocket.last.url, "ws://relay.test/ws");
  WebSocket.last.open();
  await ready;
  assert.equal(client.state, "open");
  assert.equal(client.transport, "websocket");
  assert.ok(lines.some((line) => line.level === "info" && line.message === "WebSocket connected successfully"));
  const first = WebSocket.last.sentOfType("heartbeat");
  assert.equal(first.length, 1, "one heartbeat at once on open");
  await clock.advance(12);
  WebSocket.last.deliver({ type: "heartbeat_ack", timestamp: first[0].timestamp, server_time: clock.now });
  assert.deepEqual(heartbeats, [{ rttMs: 12, serverTime: clock.now }]);
  assert.equal(client.lastHeartbeatRttMs, 12);
  assert.ok(lines.some((line) => line.level === "debug" && line.message === "💓 Sending heartbeat..."));
  assert.ok(lines.some((line) => line.level === "debug" && line.message === "✅ Heartbeat response received"));
  await clock.advance(29000);
  assert.equal(WebSocket.last.sentOfType("heartbeat").length, 1);
  await clock.advance(1000);
  assert.equal(WebSocket.last.sentOfType("heartbeat").length, 2, "the next one 30 s later");
  assert.deepEqual(states, ["connecting", "open"]);
  client.close();
});

test("a chat streams over WebSocket and duplicates are dropped", async () => {
  const { client, WebSocket } = setup();
  const { seen, callbacks } = collect();
  const handle = client.chat({ provider: "demo", messages }, callbacks);
  await flush();
  WebSocket.last.open();
  const [sent] = WebSocket.last.sentOfType("chat");
  assert.equal(sent.id, handle.id);
  assert.equal(sent.client_id, handle.id.length ? sent.client_id : null);
  assert.equal(sent.provider, "demo");
  assert.deepEqual(sent.messages, messages);
  play(WebSocket.last, handle.id, "s1", 0, 3);
  play(WebSocket.last, handle.id, "s1", 2, 7); // 2 and 3 again
  const result = await handle.result;
  assert.equal(result.content, words.join(""));
  assert.equal(result.finishReason, "stop");
  assert.deepEqual(seen.map((event) => event.seq), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(handle.streamId, "s1");
  assert.equal(client.stats().chats, 0);
  client.close();
});

test("a dropped connection reconnects after 1 s and resumes from the last seq, nothing lost or repeated", async () => {
  const { client, clock, WebSocket, lines, states } = setup();
  const { seen, callbacks } = collect();
  const handle = client.chat({ messages }, callbacks);
  await flush();
  const first = WebSocket.last;
  first.open();
  play(first, handle.id, "s1", 0, 3);
  first.serverClose(1006);
  assert.equal(client.state, "reconnecting");
  assert.ok(lines.some((line) => line.message === "WebSocket连接失败，尝试重连 (1/3)"));
  assert.deepEqual(clock.delays, [1000]);
  await clock.advance(999);
  assert.equal(WebSocket.instances.length, 1);
  await clock.advance(1);
  const second = WebSocket.last;
  assert.notEqual(second, first);
  second.open();
  assert.deepEqual(second.sentOfType("resume"), [{ type: "resume", stream_id: "s1", last_seq: 3 }]);
  assert.equal(second.sentOfType("chat").length, 0, "never submitted twice");
  play(second, handle.id, "s1", 1, 7); // a replay that overlaps what was seen
  const result = await handle.result;
  assert.equal(result.content, words.join(""));
  assert.deepEqual(seen.map((event) => event.seq), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(client.reconnects, 1);
  assert.deepEqual(states, ["connecting", "open", "reconnecting", "open"]);
  client.close();
});

test("a chat sent before start arrived is sent again with the same client_id", async () => {
  const { client, clock, WebSocket } = setup();
  const handle = client.chat({ messages });
  await flush();
  WebSocket.last.open();
  const [firstSend] = WebSocket.last.sentOfType("chat");
  WebSocket.last.serverClose(1006);
  await clock.advance(1000);
  WebSocket.last.open();
  const [again] = WebSocket.last.sentOfType("chat");
  assert.equal(again.client_id, firstSend.client_id);
  assert.equal(again.id, handle.id);
  client.close();
});

test("three failed attempts (1 s, 2 s, 4 s) switch to HTTP, the chat completes there, and WebSocket comes back", async () => {
  const { client, clock, WebSocket, http, lines, states } = setup({ probeDelaysMs: [5000, 10000] });
  const handle = client.chat({ messages });
  await flush();
  WebSocket.last.refuse();
  const waits = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    waits.push(clock.delays[0]);
    await clock.advance(clock.delays[0]);
    assert.equal(WebSocket.instances.length, attempt + 1);
    WebSocket.last.refuse();
  }
  assert.deepEqual(waits, [1000, 2000, 4000]);
  for (const n of [1, 2, 3]) assert.ok(lines.some((line) => line.message === `WebSocket连接失败，尝试重连 (${n}/3)`));
  assert.ok(lines.some((line) => line.message === "WebSocket重连失败，切换到HTTP模式"));
  assert.equal(client.state, "http-fallback");
  assert.equal(client.transport, "http");
  await flush();
  assert.equal(http.requests.length, 1);
  const [post] = http.requests;
  assert.equal(post.url, "http://relay.test/api/chat/stream");
  assert.equal(post.init.method, "POST");
  assert.equal(post.body.id, handle.id);
  assert.ok(post.body.client_id);
  const sse = sseResponse({ headers: { "X-Stream-Id": "s9" } });
  post.resolve(sse.response);
  sse.write(": ping\n\n");
  sse.event({ type: "start", id: handle.id, seq: 0, stream_id: "s9", provider: "demo", model: "demo" });
  sse.event({ type: "chunk", id: handle.id, seq: 1, content: "over " });
  sse.event({ type: "chunk", id: handle.id, seq: 2, content: "HTTP" });
  sse.event({ type: "done", id: handle.id, seq: 3, finish_reason: "stop" });
  assert.equal((await handle.result).content, "over HTTP");
  // The background probe, 5 s later, finds WebSocket working again.
  await clock.advance(5000);
  assert.equal(WebSocket.instances.length, 5);
  WebSocket.last.open();
  assert.equal(client.state, "open");
  assert.equal(client.transport, "websocket");
  const next = client.chat({ messages });
  assert.equal(WebSocket.last.sentOfType("chat")[0].id, next.id);
  assert.deepEqual(states, ["connecting", "reconnecting", "reconnecting", "reconnecting", "http-fallback", "open"]);
  client.close();
});

test("over HTTP, a dropped response and relayd's resume event continue with GET ?after=last seq", async () => {
  const { client, clock, http } = setup({ transport: "http" });
  const { seen, callbacks } = collect();
  const handle = client.chat({ messages }, callbacks);
  await flush();
  assert.equal(client.state, "open");
  assert.equal(client.transport, "http");
  const first = sseResponse({ headers: { "X-Stream-Id": "s2" } });
  http.requests[0].resolve(first.response);
  first.event({ type: "start", id: handle.id, seq: 0, stream_id: "s2", provider: "demo", model: "demo" });
  first.event({ type: "chunk", id: handle.id, seq: 1, content: "a" });
  await flush(); // a stream that errors drops what is still queued, as a network does
  first.fail();
  await flush();
  assert.deepEqual(clock.delays, [1000]);
  await clock.advance(1000);
  assert.equal(http.requests[1].url, "http://relay.test/api/streams/s2?after=1");
  assert.equal(http.requests[1].init.method, "GET");
  const second = sseResponse();
  http.requests[1].resolve(second.response);
  second.event({ type: "chunk", id: handle.id, seq: 1, content: "a" });
  second.event({ type: "chunk", id: handle.id, seq: 2, content: "b" });
  second.write(`event: resume\ndata: {"type":"resume","stream_id":"s2","last_seq":2}\n\n`);
  second.end();
  await flush();
  assert.deepEqual(clock.delays, [0]);
  await clock.advance(0);
  assert.equal(http.requests[2].url, "http://relay.test/api/streams/s2?after=2", "resumed at once");
  const third = sseResponse();
  http.requests[2].resolve(third.response);
  third.event({ type: "done", id: handle.id, seq: 3, finish_reason: "stop" });
  assert.equal((await handle.result).content, "ab");
  assert.deepEqual(seen.map((event) => event.seq), [0, 1, 2, 3]);
  client.close();
});

test("HTTP errors: 410 ends the chat with stream_expired; 503 is retried after Retry-After", async () => {
  const { client, clock, http } = setup({ transport: "http" });
  const handle = client.chat({ messages });
  await flush();
  http.requests[0].resolve(sseResponse({ status: 503, headers: { "Retry-After": "3", "Content-Type": "application/json" }, json: { error: { code: "service_unavailable", message: "draining" } } }).response);
  await flush();
  assert.deepEqual(clock.delays, [3000]);
  await clock.advance(3000);
  const ok = sseResponse({ headers: { "X-Stream-Id": "s3" } });
  http.requests[1].resolve(ok.response);
  ok.event({ type: "start", id: handle.id, seq: 0, stream_id: "s3", provider: "demo", model: "demo" });
  await flush();
  ok.fail();
  await flush();
  await clock.advance(clock.delays[0]);
  http.requests[2].resolve(sseResponse({ status: 410, json: { error: { code: "stream_expired", message: "gone" } } }).response);
  await assert.rejects(handle.result, (error) => error.code === "stream_expired" && error.retryable === false);
  client.close();
});

test("no heartbeat answer within the timeout counts as a dead connection", async () => {
  const { client, clock, WebSocket } = setup({ heartbeatIntervalMs: 30000, heartbeatTimeoutMs: 5000 });
  client.connect();
  await flush();
  const first = WebSocket.last;
  first.open();
  await clock.advance(4999);
  assert.equal(client.state, "open");
  await clock.advance(1);
  assert.equal(client.state, "reconnecting");
  assert.equal(first.closedWith.code, 4001);
  client.close();
});

test("the server's close code and retry hint are honoured", async () => {
  const { client, clock, WebSocket, http } = setup();
  const handle = client.chat({ messages });
  await flush();
  WebSocket.last.open();
  WebSocket.last.serverClose(1012, "server restarting; retry_after_ms=2500");
  assert.deepEqual(clock.delays, [2500]);
  await clock.advance(2500);
  WebSocket.last.open();
  WebSocket.last.deliver({ type: "heartbeat_ack", timestamp: clock.now }); // the connection works
  WebSocket.last.serverClose(4000, "too slow: reconnect and resume");
  assert.deepEqual(clock.delays, [0], "4000: resume at once");
  await clock.advance(0);
  WebSocket.last.open();
  const before = WebSocket.instances.length;
  WebSocket.last.serverClose(1008, "unauthorized");
  await assert.rejects(handle.result, (error) => error.code === "unauthorized");
  await clock.advance(60000);
  assert.equal(WebSocket.instances.length, before, "no reconnect after a policy close");
  assert.equal(http.requests.length, 0, "and no HTTP fallback either");
  assert.equal(client.state, "closed");
  client.close();
});

test("coming back to the tab or the network checks the connection at once", async () => {
  const { client, clock, WebSocket, documentTarget, windowTarget } = setup();
  client.connect();
  await flush();
  WebSocket.last.open();
  const sentBefore = WebSocket.last.sentOfType("heartbeat").length;
  documentTarget.dispatchEvent(new Event("visibilitychange"));
  assert.equal(WebSocket.last.sentOfType("heartbeat").length, sentBefore + 1);
  WebSocket.last.serverClose(1006);
  assert.deepEqual(clock.delays, [1000]);
  const count = WebSocket.instances.length;
  windowTarget.dispatchEvent(new Event("online"));
  await flush();
  assert.equal(WebSocket.instances.length, count + 1, "reconnects without waiting out the backoff");
  client.close();
});

test("cancel: over WebSocket relayd is told; between connections relayd is told over HTTP", async () => {
  const { client, clock, WebSocket, http } = setup();
  const one = client.chat({ messages });
  await flush();
  WebSocket.last.open();
  play(WebSocket.last, one.id, "s1", 0, 1);
  one.cancel();
  assert.deepEqual(WebSocket.last.sentOfType("cancel"), [{ type: "cancel", id: one.id }]);
  WebSocket.last.deliver({ type: "done", id: one.id, seq: 2, finish_reason: "cancelled" });
  assert.equal((await one.result).finishReason, "cancelled");
  const two = client.chat({ messages });
  play(WebSocket.last, two.id, "s2", 0, 1);
  WebSocket.last.serverClose(1006);
  two.cancel();
  assert.equal((await two.result).finishReason, "cancelled");
  await flush();
  assert.equal(http.requests.at(-1).url, "http://relay.test/api/streams/s2");
  assert.equal(http.requests.at(-1).init.method, "DELETE");
  await clock.advance(1000);
  WebSocket.last.open();
  assert.equal(WebSocket.last.sentOfType("resume").length, 0, "a cancelled chat is not resumed");
  client.close();
});

test("a chat is an async iterator of its events", async () => {
  const { client, WebSocket } = setup();
  const handle = client.chat({ messages });
  await flush();
  WebSocket.last.open();
  setTimeout(() => play(WebSocket.last, handle.id, "s1", 0, 7), 0);
  const types = [];
  for await (const event of handle) types.push(event.type);
  assert.deepEqual(types, ["start", "chunk", "chunk", "chunk", "chunk", "chunk", "chunk", "done"]);
  client.close();
});

test("websocket-only: after the attempts the chats fail rather than switch", async () => {
  const { client, clock, WebSocket, http } = setup({ transport: "websocket" });
  const handle = client.chat({ messages });
  await flush();
  WebSocket.last.refuse();
  for (let attempt = 1; attempt <= 3; attempt++) {
    await clock.advance(clock.delays[0]);
    WebSocket.last.refuse();
  }
  await assert.rejects(handle.result, (error) => error.code === "connection_lost" && error.retryable);
  assert.equal(client.state, "closed");
  assert.equal(http.requests.length, 0);
  client.close();
});

test("close() after 1,000 chats leaves no socket, timer, request, listener or chat behind", async () => {
  const { client, clock, WebSocket, http, documentTarget } = setup();
  let removed = 0;
  const remove = documentTarget.removeEventListener.bind(documentTarget);
  documentTarget.removeEventListener = (...args) => { removed++; remove(...args); };
  client.connect();
  await flush();
  WebSocket.last.open();
  for (let n = 0; n < 1000; n++) {
    const handle = client.chat({ messages });
    play(WebSocket.last, handle.id, `s${n}`, 0, 7);
    await handle.result;
    if (n % 250 === 0) WebSocket.last.serverClose(1006), await clock.advance(clock.delays[0]), WebSocket.last.open();
  }
  const open = [client.chat({ messages }), client.chat({ messages })];
  assert.equal(client.stats().chats, 2);
  client.close();
  assert.deepEqual(
    { ...client.stats(), lastHeartbeatRttMs: null },
    { state: "closed", transport: "websocket", chats: 0, timers: 0, sockets: 0, requests: 0, listeners: 0, reconnects: 4, lastHeartbeatRttMs: null },
  );
  assert.equal(clock.pending, 0);
  assert.equal(removed, 1);
  assert.equal(WebSocket.last.closedWith.code, 1000);
  for (const handle of open) await assert.rejects(handle.result, (error) => error.code === "closed");
  assert.equal(http.requests.length, 0);
});

test("a page put in the back/forward cache lets go of its socket and resumes when shown", async () => {
  const { client, clock, WebSocket, windowTarget } = setup();
  const handle = client.chat({ messages });
  await flush();
  const first = WebSocket.last;
  first.open();
  play(first, handle.id, "s1", 0, 2);
  const hide = new Event("pagehide");
  hide.persisted = true;
  windowTarget.dispatchEvent(hide);
  assert.equal(first.closedWith.code, 1000);
  assert.equal(client.stats().sockets, 0);
  await clock.advance(120000);
  assert.equal(WebSocket.instances.length, 1, "nothing reconnects while hidden");
  assert.equal(clock.pending, 0, "and no timer runs");
  const show = new Event("pageshow");
  show.persisted = true;
  windowTarget.dispatchEvent(show);
  await flush();
  WebSocket.last.open();
  assert.deepEqual(WebSocket.last.sentOfType("resume"), [{ type: "resume", stream_id: "s1", last_seq: 2 }]);
  play(WebSocket.last, handle.id, "s1", 3, 7);
  assert.equal((await handle.result).content, words.join(""));
  client.close();
});

test("a token goes in the first message, never in the URL", async () => {
  const { client, WebSocket } = setup({ token: async () => "secret-token-123" });
  client.chat({ messages });
  await flush();
  assert.equal(WebSocket.last.url, "ws://relay.test/ws");
  WebSocket.last.open();
  assert.deepEqual(WebSocket.last.sent[0], { type: "auth", token: "secret-token-123" });
  assert.equal(WebSocket.last.sent[1].type, "heartbeat");
  assert.equal(WebSocket.last.sent[2].type, "chat");
  client.close();
});

test("an expired token: a token function gets a fresh one at once; a fixed token stops", async () => {
  let issued = 0;
  const { client, clock, WebSocket } = setup({ token: async () => `token-${++issued}` });
  client.chat({ messages });
  await flush();
  WebSocket.last.open();
  const before = WebSocket.instances.length;
  WebSocket.last.serverClose(1008, "token_expired");
  assert.deepEqual(clock.delays, [0], "reconnects now");
  await clock.advance(0);
  await flush();
  assert.equal(WebSocket.instances.length, before + 1);
  WebSocket.last.open();
  assert.deepEqual(WebSocket.last.sent[0], { type: "auth", token: "token-2" }, "with a fresh token");
  client.close();

  const fixed = setup({ token: "fixed-token-0000" });
  const handle = fixed.client.chat({ messages });
  await flush();
  fixed.WebSocket.last.open();
  const count = fixed.WebSocket.instances.length;
  fixed.WebSocket.last.serverClose(1008, "token_expired");
  await assert.rejects(handle.result, (error) => error.code === "unauthorized");
  await fixed.clock.advance(60000);
  assert.equal(fixed.WebSocket.instances.length, count, "the same token would be refused: no reconnect");
  fixed.client.close();
});

test("a chat refused because relayd is draining is sent again later, with the same client_id", async () => {
  const { client, clock, WebSocket } = setup();
  const handle = client.chat({ messages });
  await flush();
  WebSocket.last.open();
  const [first] = WebSocket.last.sentOfType("chat");
  WebSocket.last.deliver({ type: "error", id: handle.id, code: "draining", message: "server restarting", retryable: true });
  assert.equal(handle.finished, false, "not an error for the page");
  await clock.advance(2000);
  const sent = WebSocket.last.sentOfType("chat");
  assert.equal(sent.length, 2);
  assert.equal(sent[1].client_id, first.client_id);
  play(WebSocket.last, handle.id, "s1", 0, 7);
  assert.equal((await handle.result).content, words.join(""));
  client.close();
});
