// relayd's demo chat page. Plain ES module, no build step; codes against relay-client.d.ts.
// The page's CSP forbids inline styles, so every visual state is a class or data-* attribute.
import { RelayClient } from "./relay-client.js";

const byId = (id) => document.getElementById(id);

const ui = {
  provider: byId("provider"),
  model: byId("model"),
  messages: byId("messages"),
  form: byId("composer"),
  input: byId("message"),
  send: byId("send"),
  stop: byId("stop"),
  drop: byId("drop"),
  transport: byId("status-transport"),
  state: byId("status-state"),
  rtt: byId("status-rtt"),
  reconnects: byId("status-reconnects"),
  note: byId("status-note"),
  error: byId("status-error"),
  log: byId("log"),
};

const LOG_LIMIT = 200;
const TRANSPORT_LABELS = { websocket: "WebSocket", http: "HTTP" };
// Used when /api/providers cannot be read: relayd always has the built-in demo provider.
const FALLBACK_PROVIDERS = [{ name: "demo", models: ["demo"], default_model: "demo" }];

// ---------------------------------------------------------------------------
// Query parameters: tests and curious people tune the client from the URL.

const params = new URLSearchParams(location.search);
const paramWarnings = [];

function numberParam(name) {
  const raw = params.get(name);
  if (raw === null || raw.trim() === "") return undefined;
  const value = Number(raw);
  if (Number.isFinite(value) && value >= 0) return value;
  paramWarnings.push(`ignored ${name}=${raw}: not a non-negative number`);
  return undefined;
}

function listParam(name) {
  const raw = params.get(name);
  if (raw === null || raw.trim() === "") return undefined;
  const values = raw.split(",").map((part) => Number(part.trim()));
  if (values.every((value) => Number.isFinite(value) && value >= 0)) return values;
  paramWarnings.push(`ignored ${name}=${raw}: expected comma-separated milliseconds`);
  return undefined;
}

/** Copies only the values that were given, so the client's own defaults apply to the rest. */
function assignDefined(target, values) {
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) target[key] = value;
  }
  return target;
}

function clientOptionsFromQuery() {
  let transport = params.get("transport") || undefined;
  if (transport && !["auto", "websocket", "http"].includes(transport)) {
    paramWarnings.push(`ignored transport=${transport}: expected auto, websocket or http`);
    transport = undefined;
  }
  const reconnect = assignDefined({}, {
    attempts: numberParam("attempts"),
    delaysMs: listParam("delays"),
    jitter: numberParam("jitter"),
  });
  return assignDefined({}, {
    url: params.get("url") || undefined,
    transport,
    heartbeatIntervalMs: numberParam("heartbeat"),
    heartbeatTimeoutMs: numberParam("heartbeatTimeout"),
    reconnect: Object.keys(reconnect).length > 0 ? reconnect : undefined,
    probeDelaysMs: listParam("probe"),
  });
}

// relayd's base URL: the `url` parameter or this page's origin (which serves the page).
const baseUrl = (params.get("url") || location.origin).replace(/\/+$/, "");

// ---------------------------------------------------------------------------
// Status bar and log.

let lastRttMs = null;

function showNote(text) {
  ui.note.textContent = text || "";
  ui.note.hidden = !text;
}

// Problems (bad query parameters, unreadable providers, a failed connect) stay on screen together.
const problems = [];

function reportProblem(text) {
  problems.push(text);
  ui.error.textContent = problems.join(" ");
  ui.error.hidden = false;
}

function renderStatus(client) {
  const state = client.state;
  ui.state.textContent = state;
  ui.state.dataset.state = state;
  ui.transport.textContent = TRANSPORT_LABELS[client.transport] ?? "—";
  const rtt = lastRttMs ?? client.lastHeartbeatRttMs;
  ui.rtt.textContent = rtt == null ? "—" : `${Math.round(rtt)} ms`;
  ui.reconnects.textContent = String(client.reconnects ?? 0);
  // Dropping only means something while a WebSocket is up; over HTTP there is nothing to drop.
  ui.drop.disabled = !(state === "open" && client.transport === "websocket");
}

/** A human sentence for the states worth explaining; the rest clear the note. */
function describeState(change) {
  switch (change.state) {
    case "reconnecting": {
      const wait = change.delayMs == null ? "" : ` in ${(change.delayMs / 1000).toFixed(1)} s`;
      return `Connection lost: reconnect attempt ${change.attempt ?? "?"}${wait}. Answers in flight resume afterwards.`;
    }
    case "http-fallback":
      return "WebSocket unavailable: chats go over HTTP (SSE) and the client keeps probing for WebSocket.";
    case "closed":
      return `Connection closed${change.code ? ` (${change.code}${change.reason ? `: ${change.reason}` : ""})` : ""}.`;
    default:
      return "";
  }
}

const logLines = [];

function addLog(level, message) {
  const time = new Date().toISOString().slice(11, 23);
  logLines.push(`${time} ${String(level).padEnd(5)} ${message}`);
  if (logLines.length > LOG_LIMIT) logLines.splice(0, logLines.length - LOG_LIMIT);
  const atBottom = isNearBottom(ui.log);
  ui.log.textContent = logLines.join("\n");
  if (atBottom) ui.log.scrollTop = ui.log.scrollHeight;
}

function isNearBottom(element) {
  return element.scrollHeight - element.scrollTop - element.clientHeight < 48;
}

// ---------------------------------------------------------------------------
// Providers and models.

let providers = FALLBACK_PROVIDERS;

/** Keeps only well-formed entries, so a surprising answer cannot break the pickers. */
function normalizeProviders(list) {
  return list
    .filter((entry) => entry && typeof entry.name === "string" && entry.name)
    .map((entry) => ({
      name: entry.name,
      models: Array.isArray(entry.models) ? entry.models.filter((model) => typeof model === "string") : [],
      default_model: typeof entry.default_model === "string" ? entry.default_model : null,
    }));
}

async function loadProviders() {
  try {
    // Only an Accept header, so a cross-origin `url` needs no CORS preflight; the timeout keeps
    // a hung request from holding back the page's `ready` flag forever.
    const response = await fetch(`${baseUrl}/api/providers`, {
      headers: { Accept: "application/json" },
      signal: AbortSignal.timeout(10000),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const body = await response.json();
    const list = normalizeProviders(Array.isArray(body?.providers) ? body.providers : []);
    if (list.length === 0) throw new Error("the answer lists no providers");
    return { list, defaultName: body.default };
  } catch (error) {
    reportProblem(`Could not load providers from ${baseUrl}/api/providers (${error.message}); offering demo/demo.`);
    addLog("error", `providers: ${error.message}`);
    return { list: FALLBACK_PROVIDERS, defaultName: "demo" };
  }
}

function replaceOptions(select, values, selected) {
  select.replaceChildren(...values.map((value) => new Option(value, value)));
  if (selected !== undefined && values.includes(selected)) select.value = selected;
}

function fillModels(providerName, preferred) {
  const provider = providers.find((entry) => entry.name === providerName);
  const models = [...(provider?.models ?? [])];
  if (provider?.default_model && !models.includes(provider.default_model)) models.unshift(provider.default_model);
  // A model asked for in the URL but not listed is still offered: handy for trying errors.
  if (preferred && !models.includes(preferred)) models.push(preferred);
  replaceOptions(ui.model, models, preferred ?? provider?.default_model ?? undefined);
}

function fillProviders(list, defaultName) {
  providers = list;
  const names = list.map((entry) => entry.name);
  const wanted = params.get("provider");
  if (wanted && !names.includes(wanted)) {
    names.push(wanted);
    providers = [...list, { name: wanted, models: [], default_model: null }];
  }
  const selected = wanted || (names.includes(defaultName) ? defaultName : names[0]);
  replaceOptions(ui.provider, names, selected);
  fillModels(selected, params.get("model") || undefined);
}

// ---------------------------------------------------------------------------
// The conversation. Each exchange is one user turn and the assistant's answer to it.

const exchanges = [];
const inFlight = new Set();

/** The turns so far, for a multi-turn request. Exchanges with no answer are left out so roles alternate. */
function history() {
  const messages = [];
  for (const exchange of exchanges) {
    if (!exchange.answer) continue;
    messages.push({ role: "user", content: exchange.prompt }, { role: "assistant", content: exchange.answer });
  }
  return messages;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Appends to the conversation, following the bottom only if the reader was already there. */
function appendMessage(node) {
  const atBottom = isNearBottom(ui.messages);
  ui.messages.append(node);
  if (atBottom) scrollToBottom();
}

function scrollToBottom() {
  ui.messages.scrollTop = ui.messages.scrollHeight;
}

function userBubble(text) {
  const item = element("li", "message user");
  item.append(element("span", "role", "You"), element("div", "content", text));
  return item;
}

function assistantBubble() {
  const item = element("li", "message assistant");
  item.dataset.state = "streaming";
  const role = element("span", "role", "Assistant");
  const reasoning = element("details", "reasoning");
  reasoning.hidden = true; // shown with the first reasoning chunk
  const reasoningText = element("div", "reasoning-text");
  reasoning.append(element("summary", "", "Reasoning"), reasoningText);
  const content = element("div", "content");
  const errorText = element("p", "error-text");
  errorText.hidden = true;
  const meta = element("p", "meta");
  item.append(role, reasoning, content, errorText, meta);
  return { item, role, reasoning, reasoningText, content, errorText, meta };
}

function noteSeq(exchange, seq) {
  if (typeof seq !== "number" || seq <= exchange.lastSeq) return;
  exchange.lastSeq = seq;
  exchange.view.item.dataset.lastSeq = String(seq);
}

function describeUsage(usage) {
  if (!usage || typeof usage.completion_tokens !== "number") return "";
  return ` · ${usage.completion_tokens} tokens`;
}

/** Ends an exchange once, whichever of the callbacks or the result promise gets there first. */
function settle(exchange, state, metaText) {
  if (exchange.settled) return;
  exchange.settled = true;
  exchange.view.item.dataset.state = state;
  exchange.view.meta.textContent = metaText;
  inFlight.delete(exchange);
  updateControls();
}

function finishDone(exchange, event, result) {
  if (exchange.settled) return;
  // The handle's assembled answer is authoritative (it has seen every event once, in order).
  if (result && typeof result.content === "string" && result.content !== exchange.answer) {
    exchange.answer = result.content;
    exchange.view.content.textContent = result.content;
  }
  const reason = event?.finish_reason ?? result?.finishReason ?? "stop";
  const state = reason === "cancelled" ? "cancelled" : "done";
  settle(exchange, state, `${reason}${describeUsage(event?.usage ?? result?.usage)}`);
}

function finishError(exchange, error) {
  if (exchange.settled) return;
  const code = error?.code ?? "error";
  // After Stop, whatever ends the chat (a cancelled done, a `closed` error) is a cancellation.
  if (exchange.cancelRequested || code === "cancelled") {
    settle(exchange, "cancelled", "cancelled");
    return;
  }
  exchange.view.errorText.textContent = error?.message || "The chat failed.";
  exchange.view.errorText.hidden = false;
  settle(exchange, "error", `${code}${error?.retryable ? " (retryable)" : ""}`);
}

function callbacksFor(exchange) {
  const { view } = exchange;
  return {
    onEvent: (event) => noteSeq(exchange, event.seq),
    onStart(event) {
      view.item.dataset.streamId = event.stream_id;
      view.role.textContent = `Assistant · ${event.provider}/${event.model}`;
    },
    onChunk(event) {
      const atBottom = isNearBottom(ui.messages);
      if (event.reasoning) {
        view.reasoningText.append(event.reasoning);
        view.reasoning.hidden = false;
      }
      if (event.content) {
        exchange.answer += event.content;
        view.content.append(event.content); // a text node: model output is never parsed as HTML
      }
      if (atBottom) scrollToBottom();
    },
    onDone: (event, result) => finishDone(exchange, event, result),
    onError: (error) => finishError(exchange, error),
  };
}

function currentRequest(prompt) {
  const request = { messages: [...history(), { role: "user", content: prompt }] };
  if (ui.provider.value) request.provider = ui.provider.value;
  if (ui.model.value) request.model = ui.model.value;
  return request;
}

/** Starts a chat turn and returns its ChatHandle (null for an empty message). */
function send(text) {
  const prompt = String(text ?? "").trim();
  if (!prompt) return null;
  const request = currentRequest(prompt);
  const exchange = { prompt, answer: "", lastSeq: -1, settled: false, cancelRequested: false, handle: null };
  exchange.view = assistantBubble();
  exchanges.push(exchange);
  inFlight.add(exchange);
  appendMessage(userBubble(prompt));
  appendMessage(exchange.view.item);
  scrollToBottom(); // the reader just sent something: show it
  updateControls();
  try {
    exchange.handle = client.chat(request, callbacksFor(exchange));
  } catch (error) {
    finishError(exchange, error);
    return null;
  }
  // A backstop in case a chat ends without a callback; also keeps rejections from going unhandled.
  exchange.handle.result.then(
    (result) => finishDone(exchange, null, result),
    (error) => finishError(exchange, error),
  );
  return exchange.handle;
}

function stopAll() {
  for (const exchange of inFlight) {
    if (exchange.cancelRequested || !exchange.handle) continue;
    exchange.cancelRequested = true;
    exchange.handle.cancel();
  }
  updateControls();
}

function updateControls() {
  const streaming = [...inFlight].some((exchange) => !exchange.cancelRequested);
  ui.stop.disabled = !streaming;
  // One answer at a time from the form keeps the conversation in order (relayDemo.send is not limited).
  ui.send.disabled = inFlight.size > 0;
}

// ---------------------------------------------------------------------------
// Wiring.

function createClient() {
  const options = clientOptionsFromQuery();
  try {
    return new RelayClient(options);
  } catch (error) {
    reportProblem(`Bad client options (${error.message}); using the defaults.`);
    return new RelayClient();
  }
}

const client = createClient();
for (const warning of paramWarnings) addLog("warn", warning);
if (paramWarnings.length > 0) reportProblem(`Query parameters: ${paramWarnings.join("; ")}.`);

client.on("log", (line) => addLog(line.level, line.message));
client.on("heartbeat", (info) => {
  lastRttMs = info.rttMs;
  renderStatus(client);
});
client.on("state", (change) => {
  showNote(describeState(change));
  renderStatus(client);
});

ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (ui.send.disabled) return;
  if (send(ui.input.value)) ui.input.value = "";
  ui.input.focus();
});

ui.input.addEventListener("keydown", (event) => {
  // Enter sends, Shift+Enter is a new line; never interrupt an IME composition.
  if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
  event.preventDefault();
  ui.form.requestSubmit();
});

ui.provider.addEventListener("change", () => fillModels(ui.provider.value));
ui.stop.addEventListener("click", stopAll);
ui.drop.addEventListener("click", () => {
  addLog("demo", "dropping the connection on purpose");
  client.dropConnection();
});

window.relayDemo = { client, send };
renderStatus(client);

// Connect now so the status bar fills in before the first chat (chats would connect anyway).
client.connect().then(
  () => renderStatus(client),
  (error) => {
    reportProblem(`Could not connect: ${error?.message ?? error}`);
    renderStatus(client);
  },
);

const { list, defaultName } = await loadProviders();
fillProviders(list, defaultName);
document.body.dataset.ready = "1";
