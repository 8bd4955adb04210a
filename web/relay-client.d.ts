// Type declarations for relay-client.js: relayd's browser client.
// Copy both files into a front end, or import them from a running relayd:
//   import { RelayClient } from "https://your-relayd.example/relay-client.js";

/** Where the client stands. `http-fallback`: WebSocket failed and chats go over HTTP. */
export type ConnectionState = "idle" | "connecting" | "open" | "reconnecting" | "http-fallback" | "closed";

export type Transport = "websocket" | "http";

export interface Logger {
  debug?(message: string, ...details: unknown[]): void;
  info?(message: string, ...details: unknown[]): void;
  warn?(message: string, ...details: unknown[]): void;
  error?(message: string, ...details: unknown[]): void;
}

export interface ReconnectOptions {
  /** WebSocket reconnect attempts before switching to HTTP. Default 3. */
  attempts?: number;
  /** Wait before each attempt; the last one repeats. Default [1000, 2000, 4000]. */
  delaysMs?: number[];
  /** Each wait is spread by ±jitter (a fraction), so a deploy does not cause a reconnect storm. Default 0.2. */
  jitter?: number;
}

export interface RelayClientOptions {
  /** relayd's base URL, such as "https://your-relayd.up.railway.app". Default: the page's origin. */
  url?: string;
  /** A bearer token, or a function giving one (called at every connect): `Authorization` over HTTP, the first message (`{"type":"auth"}`) on the WebSocket. */
  token?: string | null | (() => string | null | Promise<string | null>);
  /** Default 30000. */
  heartbeatIntervalMs?: number;
  /** No `heartbeat_ack` within this counts the connection as dead. Default 10000. */
  heartbeatTimeoutMs?: number;
  /** A WebSocket that has not opened within this counts as failed. Default 10000. */
  connectTimeoutMs?: number;
  reconnect?: ReconnectOptions;
  /** "auto" (default): WebSocket, HTTP after the reconnect attempts fail, back to WebSocket when it works. */
  transport?: "auto" | Transport;
  /** While on HTTP in "auto" mode: waits between background WebSocket probes. Default [5000, 10000, 20000, 40000, 60000]. */
  probeDelaysMs?: number[];
  /** Where log lines go: `console` by default, `null` for none. Heartbeats log at debug. */
  logger?: Logger | null;
  /** For other runtimes and tests. Default: globalThis.WebSocket, fetch, setTimeout, clearTimeout, Math.random, Date.now. */
  WebSocket?: unknown;
  fetch?: typeof fetch;
  setTimeout?: (callback: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
  random?: () => number;
  now?: () => number;
  /** Where `visibilitychange` and `online` are watched. Default: globalThis.document / globalThis.window when present. */
  document?: EventTarget | null;
  window?: EventTarget | null;
}

export interface ChatMessage {
  role: "system" | "user" | "assistant" | string;
  content: string;
}

export interface ChatRequest {
  provider?: string;
  model?: string;
  messages: ChatMessage[];
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  stop?: string | string[];
  presence_penalty?: number;
  frequency_penalty?: number;
  seed?: number;
  reasoning_effort?: "minimal" | "low" | "medium" | "high";
  [parameter: string]: unknown;
}

export interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
  [field: string]: unknown;
}

/** relayd's stream events, as sent over WebSocket and in SSE `data:`. */
export type StartEvent = { type: "start"; id: string; seq: number; stream_id: string; provider: string; model: string };
export type ChunkEvent = { type: "chunk"; id: string; seq: number; content?: string; reasoning?: string };
export type DoneEvent = { type: "done"; id: string; seq: number; finish_reason: string; usage?: Usage };
export type ErrorEvent = { type: "error"; id?: string; seq?: number; stream_id?: string; code: string; message: string; retryable: boolean };
export type StreamEvent = StartEvent | ChunkEvent | DoneEvent | ErrorEvent;

export interface ChatResult {
  id: string;
  streamId: string | null;
  provider: string | null;
  model: string | null;
  content: string;
  reasoning: string;
  finishReason: string;
  usage: Usage | null;
}

export interface ChatCallbacks {
  onStart?(event: StartEvent): void;
  onChunk?(event: ChunkEvent): void;
  onDone?(event: DoneEvent, result: ChatResult): void;
  onError?(error: RelayError): void;
  /** Every event, in order, once each. */
  onEvent?(event: StreamEvent): void;
}

export declare class RelayError extends Error {
  /** relayd's error code (`upstream_timeout`, `stream_expired`, …) or the client's own: `connection_lost`, `closed`. */
  code: string;
  retryable: boolean;
  event: ErrorEvent | null;
}

/** One chat. Also an async iterator of its events: `for await (const event of handle) …` ends after `done` or `error`. */
export interface ChatHandle extends AsyncIterable<StreamEvent> {
  readonly id: string;
  readonly streamId: string | null;
  /** The highest `seq` received. */
  readonly lastSeq: number;
  readonly content: string;
  readonly finished: boolean;
  /** Resolves with the whole answer; rejects with a RelayError. */
  readonly result: Promise<ChatResult>;
  /** Stops the answer (and the provider). */
  cancel(): void;
}

export interface StateChange {
  state: ConnectionState;
  previous: ConnectionState;
  transport: Transport | null;
  /** For `reconnecting`: the attempt number and the wait before it. */
  attempt?: number;
  delayMs?: number;
  /** For a close: its code and reason. */
  code?: number;
  reason?: string;
}

export interface HeartbeatInfo {
  rttMs: number;
  serverTime: number | null;
}

export interface ClientStats {
  state: ConnectionState;
  transport: Transport | null;
  chats: number;
  timers: number;
  sockets: number;
  requests: number;
  listeners: number;
  reconnects: number;
  lastHeartbeatRttMs: number | null;
}

export declare class RelayClient {
  constructor(options?: RelayClientOptions);
  readonly state: ConnectionState;
  /** The transport chats use now, or null before the first connection. */
  readonly transport: Transport | null;
  /** Successful reconnects since the client was made. */
  readonly reconnects: number;
  readonly lastHeartbeatRttMs: number | null;
  /** Connects now (chats connect by themselves). Resolves when a transport is ready. */
  connect(): Promise<void>;
  chat(request: ChatRequest, callbacks?: ChatCallbacks): ChatHandle;
  /** Drops the WebSocket as a network failure would (for demos and tests): the client reconnects and resumes. */
  dropConnection(): void;
  /** Releases every socket, timer and listener; chats in flight end with a `closed` error. */
  close(): void;
  /** `state`, `heartbeat`, `log`: returns a function that removes the listener. */
  on(event: "state", listener: (change: StateChange) => void): () => void;
  on(event: "heartbeat", listener: (info: HeartbeatInfo) => void): () => void;
  on(event: "log", listener: (line: { level: string; message: string }) => void): () => void;
  stats(): ClientStats;
}

// Pure helpers, exported for tests and for front ends that want the same rules.

/** The wait before reconnect attempt `attempt` (1-based): delaysMs[attempt-1] (the last one repeating) spread by ±jitter. */
export declare function backoffDelay(attempt: number, delaysMs: number[], jitter: number, random?: () => number): number;

/** A wait the server asked for in a close reason (`retry_after_ms=1500`), or null. */
export declare function retryHintFromCloseReason(reason: string): number | null;

/** What a WebSocket close code means for the client. 1008 stops, except with the reason
 *  `token_expired` when `canRenewToken` (a `token` function fetches a fresh one): then reconnect now. */
export declare function closeAction(code: number, reason?: string, options?: { canRenewToken?: boolean }): "reconnect" | "reconnect-now" | "stop";

/** Keeps one stream's events in order, once each: accepts seq lastSeq+1 and above, drops the rest. */
export declare class SeqTracker {
  lastSeq: number;
  constructor(lastSeq?: number);
  accept(seq: number): boolean;
}

/** An incremental text/event-stream parser (WHATWG rules): feed text, get events. */
export declare class SSEParser {
  constructor();
  push(text: string): Array<{ event: string; data: string; id: string | null }>;
}
