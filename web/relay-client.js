// relay-client.js: relayd's browser client. One dependency-free ES module, no build step.
//
//   import { RelayClient } from "./relay-client.js";
//   const client = new RelayClient({ url: "https://your-relayd.up.railway.app" });
//   const chat = client.chat({ messages: [{ role: "user", content: "hi" }] }, {
//     onChunk: (event) => output.append(event.content ?? ""),
//   });
//   const { content } = await chat.result;
//
// What it does for the page, so the page does not have to:
// - one WebSocket for every chat, a heartbeat every 30 s, and a dead connection noticed
//   when the heartbeat goes unanswered (or at once when the tab comes back or the network
//   returns, since background tabs throttle timers);
// - reconnects up to 3 times (1 s, 2 s, 4 s, spread by jitter so a deploy does not bring
//   every client back in the same second), then HTTP (POST /api/chat/stream, SSE read with
//   fetch) while it keeps probing for WebSocket in the background;
// - every chat in flight survives all of that: relayd numbers each event with a `seq`, the
//   client resumes each unfinished stream after the last `seq` it saw (WebSocket `resume`, or
//   GET /api/streams/{id}?after=) and drops anything it has already seen, so the page gets
//   one uninterrupted stream of chunks.
// The declarations are in relay-client.d.ts; relayd's protocol is in its README.

const DEFAULTS = Object.freeze({
  heartbeatIntervalMs: 30000,
  heartbeatTimeoutMs: 10000,
  connectTimeoutMs: 10000,
  attempts: 3,
  delaysMs: [1000, 2000, 4000],
  jitter: 0.2,
  probeDelaysMs: [5000, 10000, 20000, 40000, 60000],
});

/** A server's retry hint is honoured up to this long; a bigger one is treated as a mistake. */
const MAX_RETRY_HINT_MS = 5 * 60 * 1000;

// ---------------------------------------------------------------------------------------
// Pure helpers (no I/O, no timers), exported for tests and for front ends that want the
// same rules.
// ---------------------------------------------------------------------------------------

/** The wait before reconnect attempt `attempt` (1-based): delaysMs[attempt - 1], the last one
 *  repeating, spread evenly over ±jitter of itself. */
export function backoffDelay(attempt, delaysMs, jitter, random = Math.random) {
  if (!Array.isArray(delaysMs) || delaysMs.length === 0) return 0;
  const index = Math.min(Math.max(1, Math.floor(attempt)), delaysMs.length) - 1;
  const base = Math.max(0, Number(delaysMs[index]) || 0);
  const spread = Math.min(Math.max(Number(jitter) || 0, 0), 1);
  return Math.max(0, Math.round(base * (1 + spread * (2 * random() - 1))));
}

/** A wait the server asked for in a close reason (`retry_after_ms=1500`), or null. relayd
 *  puts one in its 1012 (restart) closes so clients come back spread out. */
export function retryHintFromCloseReason(reason) {
  const match = /retry_after_ms\s*[=:]\s*(\d{1,9})/i.exec(typeof reason === "string" ? reason : "");
  return match ? Math.min(Number(match[1]), MAX_RETRY_HINT_MS) : null;
}

/** A `Retry-After` header (seconds or an HTTP date) in ms, or null. */
export function retryAfterHeaderMs(value, now = Date.now()) {
  if (typeof value !== "string" || value.trim() === "") return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_HINT_MS);
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.min(Math.max(0, date - now), MAX_RETRY_HINT_MS);
}

/** What a WebSocket close code means for the client.
 *  - stop: the server refused on purpose or the client is at fault (policy/authentication
 *    1008, protocol errors 1002/1003/1007, a message too big 1009, 1010); reconnecting would
 *    be refused the same way;
 *  - reconnect-now: 4000, relayd closed a client that fell behind: resume at once; and 1008
 *    with the reason `token_expired` when the client can fetch a fresh token (its `token`
 *    option is a function): the same token would be refused, a new one is not;
 *  - reconnect: everything else (1006 abnormal, 1001 going away, 1011, 1012 restart, 1013,
 *    4001 heartbeat timeout, …), after the backoff or the server's hint. */
export function closeAction(code, reason = "", { canRenewToken = false } = {}) {
  switch (code) {
    case 1008:
      return reason === "token_expired" && canRenewToken ? "reconnect-now" : "stop";
    case 1002: case 1003: case 1007: case 1009: case 1010:
      return "stop";
    case 4000:
      return "reconnect-now";
    default:
      return "reconnect";
  }
}

/** Keeps one stream's events in order, once each. relayd's seq is 0 for `start`, then 1, 2,
 *  3…; after a resume the server replays from last_seq + 1, and a retried submit replays from
 *  0, so anything at or below what was seen is a duplicate. */
export class SeqTracker {
  constructor(lastSeq = -1) {
    this.lastSeq = lastSeq;
  }

  /** True when `seq` is new (and remembers it); false for a duplicate. */
  accept(seq) {
    if (typeof seq !== "number" || !Number.isFinite(seq)) return true;
    if (seq <= this.lastSeq) return false;
    this.lastSeq = seq;
    return true;
  }
}

/** An incremental text/event-stream parser following the WHATWG rules: lines end in CRLF, LF
 *  or CR (a CR at the end of one piece may pair with an LF at the start of the next), `:`
 *  starts a comment (relayd's `: ping`), a blank line dispatches, data lines join with LF. */
export class SSEParser {
  #buffer = "";
  #skipLF = false;
  #event = "";
  #data = [];
  #id = null;

  /** Feeds decoded text; returns the events it completed. */
  push(text) {
    const events = [];
    let input = this.#buffer + text;
    if (this.#skipLF && input.startsWith("\n")) input = input.slice(1);
    this.#skipLF = false;
    let start = 0;
    for (let i = 0; i < input.length; i++) {
      const ch = input.charCodeAt(i);
      if (ch !== 10 && ch !== 13) continue;
      this.#line(input.slice(start, i), events);
      if (ch === 13) {
        if (i + 1 < input.length) {
          if (input.charCodeAt(i + 1) === 10) i++;
        } else {
          this.#skipLF = true;
        }
      }
      start = i + 1;
    }
    this.#buffer = input.slice(start);
    return events;
  }

  #line(line, events) {
    if (line === "") {
      if (this.#data.length > 0) {
        events.push({ event: this.#event || "message", data: this.#data.join("\n"), id: this.#id });
      }
      this.#event = "";
      this.#data = [];
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event": this.#event = value; break;
      case "data": this.#data.push(value); break;
      case "id": if (!value.includes("\0")) this.#id = value; break;
      default: break; // `retry` and unknown fields: the client keeps its own schedule.
    }
  }
}

/** An error that ends a chat: relayd's `error` event, or the client's own
 *  (`connection_lost`, `closed`, `connection_refused`). */
export class RelayError extends Error {
  constructor(code, message, retryable = false, event = null) {
    super(message);
    this.name = "RelayError";
    this.code = code;
    this.retryable = retryable;
    this.event = event;
  }
}

function randomId(random) {
  const cryptoObject = globalThis.crypto;
  if (cryptoObject && typeof cryptoObject.randomUUID === "function") return cryptoObject.randomUUID().replace(/-/g, "");
  let text = "";
  for (let i = 0; i < 32; i++) text += Math.floor(random() * 16).toString(16);
  return text;
}

// ---------------------------------------------------------------------------------------
// One chat: its events in order, its callbacks, its async iterator.
// ---------------------------------------------------------------------------------------

class Chat {
  constructor(client, id, request, callbacks) {
    this.client = client;
    this.id = id;
    /** Lets a resent chat (a reconnect before `start` arrived) attach to the stream relayd
     *  already started instead of calling the provider twice. */
    this.clientId = request.client_id ?? id;
    this.request = request;
    this.callbacks = callbacks;
    this.seq = new SeqTracker();
    this.streamId = null;
    this.provider = null;
    this.model = null;
    this.content = "";
    this.reasoning = "";
    this.finished = false;
    /** "websocket" or "http" once sent; null while waiting for a transport. */
    this.via = null;
    /** The fetch in flight when on HTTP. */
    this.abort = null;
    this.retryTimer = null;
    this.httpFailures = 0;
    this.events = [];
    this.waiters = [];
    this.result = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Nobody has to await `result`: a chat read through callbacks must not report an
    // unhandled rejection.
    this.result.catch(() => {});
  }

  summary(finishReason, usage) {
    return {
      id: this.id, streamId: this.streamId, provider: this.provider, model: this.model,
      content: this.content, reasoning: this.reasoning, finishReason, usage: usage ?? null,
    };
  }

  /** One event from either transport. Returns false for a duplicate. */
  receive(event) {
    if (this.finished) return false;
    if (typeof event.seq === "number") {
      const expected = this.seq.lastSeq + 1;
      if (!this.seq.accept(event.seq)) return false;
      if (event.seq !== expected) {
        this.client._log("warn", `Stream ${this.streamId ?? this.id}: events ${expected}…${event.seq - 1} missing`);
      }
    }
    switch (event.type) {
      case "start":
        this.streamId = event.stream_id ?? this.streamId;
        this.provider = event.provider ?? null;
        this.model = event.model ?? null;
        this.deliver(event, "onStart", event);
        break;
      case "chunk":
        if (typeof event.content === "string") this.content += event.content;
        if (typeof event.reasoning === "string") this.reasoning += event.reasoning;
        this.deliver(event, "onChunk", event);
        break;
      case "done": {
        const result = this.summary(event.finish_reason ?? "stop", event.usage);
        this.finish();
        this.deliver(event, "onDone", event, result);
        this.resolve(result);
        break;
      }
      case "error":
        this.fail(new RelayError(event.code ?? "error", event.message ?? "error", event.retryable === true, event), event);
        break;
      default:
        break;
    }
    return true;
  }

  /** Ends the chat with an error (from relayd, or the client's own). */
  fail(error, event = null) {
    if (this.finished) return;
    const errorEvent = event ?? {
      type: "error", id: this.id, stream_id: this.streamId ?? undefined,
      code: error.code, message: error.message, retryable: error.retryable,
    };
    this.finish();
    this.deliver(errorEvent, "onError", error);
    this.reject(error);
  }

  /** Ends the chat locally as cancelled (no transport to hear relayd's `done`). */
  cancelledLocally() {
    if (this.finished) return;
    const event = { type: "done", id: this.id, seq: this.seq.lastSeq, finish_reason: "cancelled" };
    const result = this.summary("cancelled", null);
    this.finish();
    this.deliver(event, "onDone", event, result);
    this.resolve(result);
  }

  finish() {
    this.finished = true;
    this.client._chatFinished(this);
  }

  deliver(event, callbackName, ...args) {
    this.events.push(event);
    for (const wake of this.waiters.splice(0)) wake();
    this.call("onEvent", event);
    this.call(callbackName, ...args);
  }

  call(name, ...args) {
    const callback = this.callbacks[name];
    if (typeof callback !== "function") return;
    try {
      callback(...args);
    } catch (error) {
      // A page's callback that throws must not break the stream for anyone else.
      this.client._log("error", `chat ${this.id}: ${name} threw`, error);
    }
  }

  handle() {
    const chat = this;
    return {
      get id() { return chat.id; },
      get streamId() { return chat.streamId; },
      get lastSeq() { return chat.seq.lastSeq; },
      get content() { return chat.content; },
      get reasoning() { return chat.reasoning; },
      get finished() { return chat.finished; },
      result: chat.result,
      cancel: () => chat.client._cancel(chat),
      [Symbol.asyncIterator]() {
        let index = 0;
        let stopped = false;
        return {
          next: async () => {
            while (!stopped) {
              if (index < chat.events.length) return { value: chat.events[index++], done: false };
              if (chat.finished) break;
              await new Promise((wake) => chat.waiters.push(wake));
            }
            return { value: undefined, done: true };
          },
          return: async () => {
            stopped = true;
            return { value: undefined, done: true };
          },
          [Symbol.asyncIterator]() { return this; },
        };
      },
    };
  }
}

// ---------------------------------------------------------------------------------------
// The client: one WebSocket (or HTTP) for every chat.
// ---------------------------------------------------------------------------------------

const OPEN = 1;

export class RelayClient {
  #options;
  #baseURL;
  #WebSocket;
  #fetch;
  #setTimeout;
  #clearTimeout;
  #random;
  #now;
  #logger;
  #listeners = { state: new Set(), heartbeat: new Set(), log: new Set() };

  #state = "idle";
  #transport = null;
  /** "websocket", or "http" after falling back (or when forced). */
  #mode;
  #closedByUser = false;
  /** The page is in the back/forward cache: no sockets, no timers until it is shown. */
  #suspended = false;

  #ws = null;
  /** Between deciding to open a socket and creating it (the token may be fetched first). */
  #opening = false;
  /** The token for the socket being opened: sent as its first message. */
  #socketToken = null;
  #everOpened = false;
  /** Consecutive WebSocket attempts that failed; reset once a connection answers. */
  #failures = 0;
  #probeAttempt = 0;
  #reconnects = 0;
  #lastRtt = null;

  #timers = new Set();
  #connectTimer = null;
  #reconnectTimer = null;
  #probeTimer = null;
  #heartbeatTimer = null;
  #heartbeatDeadline = null;

  #chats = new Map();
  #requests = new Set();
  #readyWaiters = [];
  #domListeners = [];

  constructor(options = {}) {
    const reconnect = options.reconnect ?? {};
    this.#options = {
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? DEFAULTS.heartbeatIntervalMs,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? DEFAULTS.heartbeatTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      attempts: reconnect.attempts ?? DEFAULTS.attempts,
      delaysMs: reconnect.delaysMs ?? DEFAULTS.delaysMs,
      jitter: reconnect.jitter ?? DEFAULTS.jitter,
      probeDelaysMs: options.probeDelaysMs ?? DEFAULTS.probeDelaysMs,
      transport: options.transport ?? "auto",
      token: options.token ?? null,
    };
    if (!["auto", "websocket", "http"].includes(this.#options.transport)) {
      throw new TypeError(`transport must be "auto", "websocket" or "http", not ${this.#options.transport}`);
    }
    const base = options.url ?? globalThis.location?.origin;
    if (!base) throw new TypeError("RelayClient needs a url (relayd's base URL)");
    this.#baseURL = String(base).replace(/\/+$/, "");
    this.#WebSocket = options.WebSocket ?? globalThis.WebSocket ?? null;
    this.#fetch = options.fetch ?? globalThis.fetch?.bind(globalThis) ?? null;
    this.#setTimeout = options.setTimeout ?? ((callback, ms) => globalThis.setTimeout(callback, ms));
    this.#clearTimeout = options.clearTimeout ?? ((handle) => globalThis.clearTimeout(handle));
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger === undefined ? globalThis.console ?? null : options.logger;
    // Without a WebSocket implementation (an old runtime), HTTP is all there is.
    this.#mode = this.#options.transport === "http" || !this.#WebSocket ? "http" : "websocket";

    const documentTarget = options.document !== undefined ? options.document : globalThis.document ?? null;
    const windowTarget = options.window !== undefined ? options.window : globalThis.window ?? null;
    // Background tabs run timers once a minute at best, so a dead connection may go unnoticed
    // for a long time: check it the moment the page is looked at again or the network returns.
    if (documentTarget?.addEventListener) {
      this.#listen(documentTarget, "visibilitychange", () => {
        if (documentTarget.visibilityState === undefined || documentTarget.visibilityState === "visible") this.#checkNow("page visible");
      });
    }
    if (windowTarget?.addEventListener) {
      this.#listen(windowTarget, "online", () => this.#checkNow("network online"));
      // A page kept in the back/forward cache must not hold a WebSocket open (the browser may
      // keep it, and relayd would keep serving a page nobody sees): let go when the page is
      // hidden that way, and come back, resuming every chat, when it is shown again.
      this.#listen(windowTarget, "pagehide", (event) => { if (event.persisted !== false) this.#suspend(); });
      this.#listen(windowTarget, "pageshow", (event) => { if (event.persisted) this.#wake(); });
    }
  }

  get state() { return this.#state; }
  get transport() { return this.#transport; }
  get reconnects() { return this.#reconnects; }
  get lastHeartbeatRttMs() { return this.#lastRtt; }

  on(event, listener) {
    const set = this.#listeners[event];
    if (!set) throw new TypeError(`unknown event ${event}`);
    set.add(listener);
    return () => set.delete(listener);
  }

  stats() {
    return {
      state: this.#state,
      transport: this.#transport,
      chats: this.#chats.size,
      timers: this.#timers.size,
      sockets: this.#ws ? 1 : 0,
      requests: this.#requests.size,
      listeners: this.#domListeners.length,
      reconnects: this.#reconnects,
      lastHeartbeatRttMs: this.#lastRtt,
    };
  }

  connect() {
    if (this.#closedByUser) return Promise.reject(new RelayError("closed", "the client was closed"));
    if (this.#isReady()) return Promise.resolve();
    const ready = new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
    this.#ensureConnecting();
    return ready;
  }

  chat(request, callbacks = {}) {
    if (!request || !Array.isArray(request.messages)) throw new TypeError("chat needs { messages: [...] }");
    const id = typeof request.id === "string" && request.id ? request.id : `c-${randomId(this.#random)}`;
    const chat = new Chat(this, id, { ...request, id }, callbacks);
    if (this.#closedByUser) {
      chat.fail(new RelayError("closed", "the client was closed"));
      return chat.handle();
    }
    if (this.#chats.has(id)) throw new TypeError(`a chat with id ${id} is already running`);
    this.#chats.set(id, chat);
    this.#attach(chat);
    return chat.handle();
  }

  dropConnection() {
    if (!this.#ws) return;
    this._log("warn", "Dropping the WebSocket on purpose");
    this.#abandonSocket(4100, "dropped by the client");
    this.#socketClosed(1006, "dropped by the client");
  }

  close() {
    if (this.#closedByUser) return;
    this.#closedByUser = true;
    for (const [target, type, listener] of this.#domListeners) target.removeEventListener(type, listener);
    this.#domListeners = [];
    for (const handle of this.#timers) this.#clearTimeout(handle);
    this.#timers.clear();
    this.#connectTimer = this.#reconnectTimer = this.#probeTimer = this.#heartbeatTimer = this.#heartbeatDeadline = null;
    this.#abandonSocket(1000, "client closed");
    for (const controller of this.#requests) controller.abort();
    this.#requests.clear();
    for (const chat of [...this.#chats.values()]) chat.fail(new RelayError("closed", "the client was closed"));
    this.#setState("closed");
    for (const waiter of this.#readyWaiters.splice(0)) waiter.reject(new RelayError("closed", "the client was closed"));
    for (const set of Object.values(this.#listeners)) set.clear();
  }

  // -- internal: used by Chat ------------------------------------------------------------

  _log(level, message, ...details) {
    for (const listener of this.#listeners.log) {
      try { listener({ level, message }); } catch { /* a log listener must not break the client */ }
    }
    const write = this.#logger?.[level];
    if (typeof write === "function") write.call(this.#logger, message, ...details);
  }

  _chatFinished(chat) {
    this.#chats.delete(chat.id);
    this.#releaseHTTP(chat);
  }

  /** Stops a chat's HTTP request and its retry timer, if it has them. */
  #releaseHTTP(chat) {
    this.#cancelTimer(chat.retryTimer);
    chat.retryTimer = null;
    if (chat.abort) {
      chat.abort.abort();
      this.#requests.delete(chat.abort);
      chat.abort = null;
    }
  }

  _cancel(chat) {
    if (chat.finished) return;
    if (chat.via === "websocket" && this.#ws?.readyState === OPEN) {
      // relayd answers with done/cancelled, for every client attached to the stream.
      this.#send({ type: "cancel", id: chat.id });
      return;
    }
    // Over HTTP, or between connections: end it here and tell relayd over HTTP, which works
    // whatever state the WebSocket is in.
    if (chat.streamId) this.#deleteStream(chat.streamId);
    chat.cancelledLocally();
  }

  // -- timers: every one is tracked, so close() leaves none behind ------------------------

  #after(ms, callback) {
    const handle = this.#setTimeout(() => {
      this.#timers.delete(handle);
      callback();
    }, ms);
    this.#timers.add(handle);
    return handle;
  }

  #cancelTimer(handle) {
    if (handle != null && this.#timers.delete(handle)) this.#clearTimeout(handle);
  }

  #listen(target, type, listener) {
    target.addEventListener(type, listener);
    this.#domListeners.push([target, type, listener]);
  }

  // -- state -------------------------------------------------------------------------------

  #isReady() {
    return (this.#mode === "http" && this.#state !== "idle" && this.#state !== "closed")
      || (this.#mode === "websocket" && this.#ws?.readyState === OPEN);
  }

  #setState(state, detail = {}) {
    const previous = this.#state;
    if (previous === state && state !== "reconnecting") return;
    this.#state = state;
    const change = { state, previous, transport: this.#transport, ...detail };
    for (const listener of this.#listeners.state) {
      try { listener(change); } catch (error) { this._log("error", "state listener threw", error); }
    }
    if (state === "open" || state === "http-fallback") {
      for (const waiter of this.#readyWaiters.splice(0)) waiter.resolve();
    } else if (state === "closed") {
      for (const waiter of this.#readyWaiters.splice(0)) waiter.reject(new RelayError(detail.code === 1008 ? "unauthorized" : "closed", detail.reason || "connection closed"));
    }
  }

  #ensureConnecting() {
    if (this.#closedByUser || this.#suspended) return;
    if (this.#mode === "http") {
      if (this.#state === "idle" || this.#state === "closed") {
        this.#transport = "http";
        this.#setState(this.#options.transport === "http" || !this.#WebSocket ? "open" : "http-fallback");
      }
      return;
    }
    if (this.#ws || this.#opening || this.#reconnectTimer != null) return;
    if (this.#state === "closed") this.#failures = 0;
    this.#setState(this.#everOpened ? "reconnecting" : "connecting");
    this.#openSocket();
  }

  #suspend() {
    if (this.#closedByUser || this.#suspended) return;
    this.#suspended = true;
    this._log("info", "Page hidden: letting go of the connection until it is shown again");
    this.#abandonSocket(1000, "page hidden"); // browsers let scripts send only 1000 and 3000–4999
    for (const handle of [this.#reconnectTimer, this.#probeTimer]) this.#cancelTimer(handle);
    this.#reconnectTimer = this.#probeTimer = null;
    for (const chat of this.#chats.values()) {
      this.#releaseHTTP(chat);
      chat.via = null;
    }
  }

  #wake() {
    if (this.#closedByUser || !this.#suspended) return;
    this.#suspended = false;
    const wasOpen = this.#state !== "idle" && this.#state !== "closed";
    if (this.#mode === "http") {
      for (const chat of this.#chats.values()) this.#attach(chat);
      this.#scheduleProbe();
    } else if (wasOpen || this.#chats.size > 0) {
      this.#failures = 0;
      this.#ensureConnecting();
    }
  }

  /** The page came back or the network returned: find out now rather than at the next tick. */
  #checkNow(why) {
    if (this.#closedByUser || this.#suspended) return;
    if (this.#ws?.readyState === OPEN) {
      this._log("debug", `Checking the connection (${why})`);
      this.#sendHeartbeat();
    } else if (this.#reconnectTimer != null) {
      this.#cancelTimer(this.#reconnectTimer);
      this.#reconnectTimer = null;
      this.#openSocket();
    } else if (this.#probeTimer != null) {
      this.#cancelTimer(this.#probeTimer);
      this.#probeTimer = null;
      this.#openSocket();
    }
  }

  // -- WebSocket -----------------------------------------------------------------------------

  #webSocketURL() {
    return `${this.#baseURL.replace(/^http/i, "ws")}/ws`;
  }

  async #token() {
    const token = this.#options.token;
    return typeof token === "function" ? await token() : token;
  }

  async #openSocket() {
    if (this.#opening || this.#ws) return;
    this.#opening = true;
    let token = null;
    try {
      token = await this.#token();
    } catch (error) {
      this._log("error", "token provider failed", error);
    } finally {
      this.#opening = false;
    }
    if (this.#closedByUser || this.#suspended || this.#ws) return;
    let ws;
    // Browsers cannot set headers on a WebSocket. The token goes in the first message
    // rather than the URL, where proxies' access logs would keep it.
    this.#socketToken = token;
    try {
      ws = new this.#WebSocket(this.#webSocketURL());
    } catch (error) {
      this._log("error", "WebSocket could not be created", error);
      this.#socketClosed(1006, String(error?.message ?? error));
      return;
    }
    this.#ws = ws;
    this.#connectTimer = this.#after(this.#options.connectTimeoutMs, () => {
      this.#connectTimer = null;
      if (this.#ws !== ws || ws.readyState === OPEN) return;
      this._log("warn", "WebSocket did not open in time");
      this.#abandonSocket(4100, "connect timeout");
      this.#socketClosed(1006, "connect timeout");
    });
    ws.onopen = () => { if (this.#ws === ws) this.#socketOpened(); };
    ws.onmessage = (message) => { if (this.#ws === ws) this.#receive(message.data); };
    ws.onclose = (close) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#socketClosed(close.code, close.reason);
    };
    ws.onerror = () => {}; // a close event follows, with the code
  }

  /** Forgets the current socket without waiting for its close event. */
  #abandonSocket(code, reason) {
    const ws = this.#ws;
    this.#ws = null;
    this.#stopSocketTimers();
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    try { ws.close(code, reason); } catch { /* already closing */ }
  }

  #stopSocketTimers() {
    this.#cancelTimer(this.#connectTimer);
    this.#cancelTimer(this.#heartbeatTimer);
    this.#cancelTimer(this.#heartbeatDeadline);
    this.#connectTimer = this.#heartbeatTimer = this.#heartbeatDeadline = null;
  }

  #socketOpened() {
    this.#cancelTimer(this.#connectTimer);
    this.#connectTimer = null;
    const fromHTTP = this.#mode === "http";
    if (this.#everOpened) this.#reconnects++;
    this.#everOpened = true;
    this.#mode = "websocket";
    this.#transport = "websocket";
    this.#probeAttempt = 0;
    this._log("info", fromHTTP ? "WebSocket connected successfully (leaving HTTP mode)" : "WebSocket connected successfully");
    if (this.#socketToken) this.#send({ type: "auth", token: this.#socketToken });
    this.#socketToken = null;
    this.#setState("open");
    // A first heartbeat at once: it proves the path works end to end (some proxies complete
    // the upgrade and then pass nothing) and gives the round-trip time.
    this.#sendHeartbeat();
    for (const chat of this.#chats.values()) {
      if (chat.via === null || (chat.via === "http" && chat.retryTimer != null)) {
        this.#cancelTimer(chat.retryTimer);
        chat.retryTimer = null;
        this.#attach(chat);
      }
    }
  }

  #socketClosed(code, reason) {
    this.#stopSocketTimers();
    for (const chat of this.#chats.values()) if (chat.via === "websocket") chat.via = null;
    if (this.#closedByUser) return;
    // An expired token is fetched anew (when `token` is a function) on the way back; a fixed
    // token would only be refused again. Reconnects still count against `attempts`.
    const action = closeAction(code, reason, { canRenewToken: typeof this.#options.token === "function" });
    if (action === "stop") {
      this._log("error", `WebSocket closed by the server (${code}${reason ? ` ${reason}` : ""}); not reconnecting`);
      this.#setState("closed", { code, reason });
      const error = new RelayError(code === 1008 ? "unauthorized" : "connection_closed", reason || `WebSocket closed with ${code}`);
      for (const chat of [...this.#chats.values()]) if (chat.via !== "http") chat.fail(error);
      return;
    }
    if (this.#mode === "http") {
      // A background probe failed: try again later, more slowly.
      this.#scheduleProbe();
      return;
    }
    this.#failures++;
    const { attempts } = this.#options;
    if (this.#failures <= attempts) {
      const hint = retryHintFromCloseReason(reason);
      const delay = hint ?? (action === "reconnect-now" && this.#failures === 1
        ? 0
        : backoffDelay(this.#failures, this.#options.delaysMs, this.#options.jitter, this.#random));
      this._log("warn", `WebSocket连接失败，尝试重连 (${this.#failures}/${attempts})`, { code, reason, delayMs: delay });
      this.#setState("reconnecting", { attempt: this.#failures, delayMs: delay, code, reason });
      this.#reconnectTimer = this.#after(delay, () => {
        this.#reconnectTimer = null;
        this.#openSocket();
      });
      return;
    }
    if (this.#options.transport === "websocket") {
      this._log("error", "WebSocket重连失败", { code, reason });
      this.#setState("closed", { code, reason });
      const error = new RelayError("connection_lost", "could not reconnect to relayd", true);
      for (const chat of [...this.#chats.values()]) chat.fail(error);
      return;
    }
    this._log("warn", "WebSocket重连失败，切换到HTTP模式");
    this.#failures = 0;
    this.#mode = "http";
    this.#transport = "http";
    this.#setState("http-fallback", { code, reason });
    for (const chat of this.#chats.values()) if (chat.via === null) this.#attach(chat);
    this.#scheduleProbe();
  }

  #scheduleProbe() {
    if (this.#closedByUser || this.#probeTimer != null || !this.#WebSocket || this.#options.transport !== "auto") return;
    this.#probeAttempt++;
    const delay = backoffDelay(this.#probeAttempt, this.#options.probeDelaysMs, this.#options.jitter, this.#random);
    this._log("debug", `Probing WebSocket again in ${delay} ms`);
    this.#probeTimer = this.#after(delay, () => {
      this.#probeTimer = null;
      this.#openSocket();
    });
  }

  #send(message) {
    try {
      this.#ws.send(JSON.stringify(message));
      return true;
    } catch (error) {
      this._log("warn", "WebSocket send failed", error);
      return false;
    }
  }

  #sendHeartbeat() {
    if (this.#ws?.readyState !== OPEN) return;
    this.#cancelTimer(this.#heartbeatTimer);
    this._log("debug", "💓 Sending heartbeat...");
    this.#send({ type: "heartbeat", timestamp: this.#now() });
    if (this.#heartbeatDeadline == null) {
      this.#heartbeatDeadline = this.#after(this.#options.heartbeatTimeoutMs, () => {
        this.#heartbeatDeadline = null;
        this._log("warn", `No heartbeat response within ${this.#options.heartbeatTimeoutMs} ms: the connection is dead`);
        this.#abandonSocket(4001, "heartbeat timeout");
        this.#socketClosed(4001, "heartbeat timeout");
      });
    }
    this.#heartbeatTimer = this.#after(this.#options.heartbeatIntervalMs, () => {
      this.#heartbeatTimer = null;
      this.#sendHeartbeat();
    });
  }

  #receive(data) {
    if (typeof data !== "string") return;
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      this._log("warn", "relayd sent something that is not JSON");
      return;
    }
    if (!message || typeof message !== "object") return;
    // The connection answers: it counts as working, whatever came before.
    this.#failures = 0;
    switch (message.type) {
      case "heartbeat_ack": {
        this.#cancelTimer(this.#heartbeatDeadline);
        this.#heartbeatDeadline = null;
        const rtt = typeof message.timestamp === "number" ? Math.max(0, this.#now() - message.timestamp) : null;
        this.#lastRtt = rtt;
        this._log("debug", "✅ Heartbeat response received", { rttMs: rtt });
        const info = { rttMs: rtt, serverTime: typeof message.server_time === "number" ? message.server_time : null };
        for (const listener of this.#listeners.heartbeat) {
          try { listener(info); } catch (error) { this._log("error", "heartbeat listener threw", error); }
        }
        break;
      }
      case "start": case "chunk": case "done": case "error": {
        const chat = this.#chatFor(message);
        if (chat && message.type === "error" && message.code === "draining" && chat.seq.lastSeq < 0) {
          // relayd is restarting and took no new chat: send it again once reconnected (the
          // socket is closed with 1012 when its last answer ends) or after a short wait.
          chat.via = null;
          this.#cancelTimer(chat.retryTimer);
          chat.retryTimer = this.#after(backoffDelay(2, this.#options.delaysMs, this.#options.jitter, this.#random), () => {
            chat.retryTimer = null;
            if (chat.via === null) this.#attach(chat);
          });
          break;
        }
        if (chat) chat.receive(message);
        else if (message.type === "error") this._log("warn", `relayd: ${message.code}: ${message.message}`);
        break;
      }
      default:
        break;
    }
  }

  #chatFor(message) {
    if (typeof message.id === "string") {
      const chat = this.#chats.get(message.id);
      if (chat) return chat;
    }
    if (typeof message.stream_id === "string") {
      for (const chat of this.#chats.values()) if (chat.streamId === message.stream_id) return chat;
    }
    return null;
  }

  // -- sending a chat on whichever transport is up ------------------------------------------

  #attach(chat) {
    if (chat.finished || this.#closedByUser || this.#suspended) return;
    if (this.#mode === "websocket") {
      if (this.#ws?.readyState === OPEN) {
        chat.via = "websocket";
        const message = chat.streamId
          ? { type: "resume", stream_id: chat.streamId, last_seq: chat.seq.lastSeq }
          : { ...chat.request, type: "chat", id: chat.id, client_id: chat.clientId };
        if (!this.#send(message)) chat.via = null;
      } else {
        chat.via = null;
        this.#ensureConnecting();
      }
      return;
    }
    this.#ensureConnecting();
    chat.via = "http";
    this.#streamOverHTTP(chat);
  }

  async #authorizationHeaders() {
    let token = null;
    try {
      token = await this.#token();
    } catch (error) {
      this._log("error", "token provider failed", error);
    }
    return token ? { Authorization: `Bearer ${token}` } : {};
  }

  /** One SSE response for the chat: the first POST, or a resume after its last seq. */
  async #streamOverHTTP(chat) {
    if (!this.#fetch) {
      chat.fail(new RelayError("connection_lost", "no WebSocket and no fetch in this runtime"));
      return;
    }
    const controller = new AbortController();
    chat.abort = controller;
    this.#requests.add(controller);
    const headers = { Accept: "text/event-stream", ...(await this.#authorizationHeaders()) };
    let url;
    const init = { headers, signal: controller.signal, cache: "no-store" };
    if (chat.streamId) {
      // `?after=` rather than Last-Event-ID: a simple GET needs no CORS preflight.
      url = `${this.#baseURL}/api/streams/${encodeURIComponent(chat.streamId)}?after=${chat.seq.lastSeq}`;
      init.method = "GET";
    } else {
      url = `${this.#baseURL}/api/chat/stream`;
      init.method = "POST";
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify({ ...chat.request, id: chat.id, client_id: chat.clientId });
    }
    let resumeNow = false;
    let retryHint = null;
    try {
      if (controller.signal.aborted) return;
      const response = await this.#fetch(url, init);
      if (!response.ok) {
        const body = await response.json().catch(() => null);
        const code = body?.error?.code ?? `http_${response.status}`;
        const message = body?.error?.message ?? `relayd answered ${response.status}`;
        const transient = response.status >= 500 || response.status === 408 || response.status === 429;
        if (!transient) {
          chat.fail(new RelayError(response.status === 401 ? "unauthorized" : code, message, false));
          return;
        }
        retryHint = retryAfterHeaderMs(response.headers.get("Retry-After"), this.#now());
        throw new RelayError(code, message, true);
      }
      const streamId = response.headers.get("X-Stream-Id");
      if (streamId && !chat.streamId) chat.streamId = streamId;
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      const parser = new SSEParser();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const event of parser.push(decoder.decode(value, { stream: true }))) {
          let data;
          try {
            data = JSON.parse(event.data);
          } catch {
            continue;
          }
          chat.httpFailures = 0;
          if (event.event === "resume" || data.type === "resume") {
            // relayd ended a long response (platforms cap request time): carry on at once.
            resumeNow = true;
            continue;
          }
          chat.receive(data);
        }
        if (chat.finished) {
          reader.cancel().catch(() => {});
          return;
        }
      }
      if (chat.finished) return;
      if (!resumeNow) throw new RelayError("connection_lost", "the response ended early", true);
    } catch (error) {
      if (controller.signal.aborted || chat.finished) return;
      chat.httpFailures++;
      if (chat.httpFailures > this.#options.attempts) {
        chat.fail(error instanceof RelayError ? error : new RelayError("connection_lost", String(error?.message ?? error), true));
        return;
      }
      this._log("warn", `HTTP stream failed, retrying (${chat.httpFailures}/${this.#options.attempts})`, String(error?.message ?? error));
    } finally {
      this.#requests.delete(controller);
      if (chat.abort === controller) chat.abort = null;
    }
    if (chat.finished || this.#closedByUser) return;
    const delay = resumeNow ? 0 : retryHint ?? backoffDelay(chat.httpFailures, this.#options.delaysMs, this.#options.jitter, this.#random);
    chat.retryTimer = this.#after(delay, () => {
      chat.retryTimer = null;
      this.#attach(chat);
    });
  }

  #deleteStream(streamId) {
    if (!this.#fetch) return;
    this.#authorizationHeaders()
      .then((headers) => this.#fetch(`${this.#baseURL}/api/streams/${encodeURIComponent(streamId)}`, { method: "DELETE", headers }))
      .catch((error) => this._log("warn", "cancel over HTTP failed", String(error?.message ?? error)));
  }
}
