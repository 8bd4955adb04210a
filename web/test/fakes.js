// Test doubles for relay-client.js under `node --test`: a manual clock, a scripted
// WebSocket and a scripted fetch. They stand in for the browser only; the real browser and
// a real relayd are exercised by Tests/browser.

/** setTimeout/clearTimeout on a clock that moves only when the test says so. */
export class FakeClock {
  now = 1_000_000;
  #next = 1;
  #timers = new Map();

  setTimeout = (callback, ms) => {
    const handle = this.#next++;
    this.#timers.set(handle, { at: this.now + Math.max(0, ms), callback });
    return handle;
  };

  clearTimeout = (handle) => {
    this.#timers.delete(handle);
  };

  get pending() { return this.#timers.size; }

  /** Delays of the timers now pending, from now. */
  get delays() { return [...this.#timers.values()].map((timer) => timer.at - this.now).sort((a, b) => a - b); }

  /** Moves the clock forward, running each timer due on the way, in order. */
  async advance(ms) {
    const end = this.now + ms;
    for (;;) {
      await flush();
      let due = null;
      for (const [handle, timer] of this.#timers) {
        if (timer.at <= end && (due === null || timer.at < due[1].at)) due = [handle, timer];
      }
      if (!due) break;
      this.#timers.delete(due[0]);
      this.now = Math.max(this.now, due[1].at);
      due[1].callback();
    }
    this.now = end;
    await flush();
  }
}

/** Lets pending promise callbacks run. */
export async function flush() {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** A WebSocket whose other end is the test. */
export function fakeWebSocketClass() {
  class FakeWebSocket {
    static CONNECTING = 0;
    static OPEN = 1;
    static CLOSING = 2;
    static CLOSED = 3;
    static instances = [];

    constructor(url) {
      this.url = url;
      this.readyState = 0;
      this.sent = [];
      this.closedWith = null;
      FakeWebSocket.instances.push(this);
    }

    send(text) {
      if (this.readyState !== 1) throw new Error("not open");
      this.sent.push(JSON.parse(text));
    }

    close(code, reason) {
      // As browsers do: a script may close with 1000 or 3000–4999 only.
      if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999)) throw new DOMException("invalid code", "InvalidAccessError");
      this.closedWith = { code, reason };
      this.readyState = 3;
    }

    // -- the server's side --
    open() {
      this.readyState = 1;
      this.onopen?.({});
    }

    deliver(message) {
      this.onmessage?.({ data: JSON.stringify(message) });
    }

    serverClose(code = 1006, reason = "") {
      this.readyState = 3;
      this.onclose?.({ code, reason });
    }

    /** Fails before opening, as a refused upgrade does: the browser reports 1006. */
    refuse() {
      this.readyState = 3;
      this.onerror?.({});
      this.onclose?.({ code: 1006, reason: "" });
    }

    sentOfType(type) { return this.sent.filter((message) => message.type === type); }

    static get last() { return FakeWebSocket.instances[FakeWebSocket.instances.length - 1]; }
  }
  return FakeWebSocket;
}

/** An SSE response body the test writes into. */
export function sseResponse({ status = 200, headers = {}, json = null } = {}) {
  const encoder = new TextEncoder();
  let controller;
  const body = new ReadableStream({ start(c) { controller = c; } });
  const response = new Response(json ? JSON.stringify(json) : body, { status, headers });
  return {
    response,
    write(text) { controller.enqueue(encoder.encode(text)); },
    event(data, event = data.type) {
      this.write(`event: ${event}\nid: ${data.seq ?? ""}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    end() { try { controller.close(); } catch { /* already closed */ } },
    fail() { try { controller.error(new TypeError("network error")); } catch { /* already closed */ } },
  };
}

/** A fetch that records requests and answers with what the test queues. */
export function fakeFetch() {
  const requests = [];
  const fetch = (url, init = {}) => new Promise((resolve, reject) => {
    const request = { url, init, resolve, reject, body: init.body ? JSON.parse(init.body) : null };
    requests.push(request);
    init.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
  });
  return { fetch, requests };
}

/** A logger that keeps lines. */
export function recordingLogger() {
  const lines = [];
  const logger = {};
  for (const level of ["debug", "info", "warn", "error"]) logger[level] = (message) => lines.push({ level, message });
  return { logger, lines };
}
