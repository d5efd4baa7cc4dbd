/**
 * The one way the UI talks to the server. `apiFetch` for JSON calls, `sse` for a single streamed request (POST
 * with a body, e.g. a chat answer), `eventSource` for a long-lived GET stream that reconnects (e.g. job progress).
 * All of them add the bearer token, resolve paths against `API_BASE` and throw `ApiError` with a readable message.
 */

import { markReachable, markUnreachable, setHealthUrl } from "./connection";
import { ApiError, errorFromResponse, isAbortError, networkError } from "./errors";
import { decodeData, pumpStream, SseParser, type SseFrame } from "./sse";
import { tokenStore } from "./token";

export { ApiError, isAbortError, type FieldError } from "./errors";
export { TOKEN_KEY, tokenStore } from "./token";
export type { SseFrame } from "./sse";

const env: Partial<ImportMetaEnv> = import.meta.env ?? {};

/** Absolute API origin for split deployments (Cloudflare Pages); empty means "same origin as the page". */
export const API_BASE: string = (env.VITE_API_BASE_URL ?? "").replace(/\/+$/, "");

export function apiUrl(path: string): string {
  if (/^https?:\/\//i.test(path)) return path;
  return `${API_BASE}${path.startsWith("/") ? path : `/${path}`}`;
}

setHealthUrl(apiUrl("/health"));

/** `fetch` options where `body` may be any JSON-able value (sent as JSON) or a ready `BodyInit` (FormData...). */
export type ApiInit = Omit<RequestInit, "body"> & { body?: unknown };

function isRawBody(body: unknown): body is BodyInit {
  return (
    typeof body === "string" ||
    body instanceof FormData ||
    body instanceof Blob ||
    body instanceof URLSearchParams ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body)
  );
}

function bearer(token: string): string {
  return `Bearer ${token}`;
}

function buildRequest(init: ApiInit, accept: string): RequestInit & { headers: Headers } {
  const headers = new Headers(init.headers);
  if (!headers.has("Accept")) headers.set("Accept", accept);
  const token = tokenStore.get();
  if (token && !headers.has("Authorization")) headers.set("Authorization", bearer(token));
  let body: BodyInit | undefined;
  if (init.body !== undefined && init.body !== null) {
    if (isRawBody(init.body)) {
      body = init.body;
    } else {
      body = JSON.stringify(init.body);
      if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
    }
  }
  return { ...init, headers, body };
}

async function send(path: string, init: ApiInit, accept: string): Promise<Response> {
  const request = buildRequest(init, accept);
  let response: Response;
  try {
    response = await fetch(apiUrl(path), request);
  } catch (error) {
    if (isAbortError(error)) throw error;
    markUnreachable();
    throw networkError();
  }
  markReachable();
  if (!response.ok) {
    const error = await errorFromResponse(response);
    // A rejected token is stale (expired, account gone): forget it so the UI offers sign-in again. Only the token
    // this request carried: if it was replaced while the request was out (a refresh, a new sign-in), keep the new one.
    const current = tokenStore.get();
    if (response.status === 401 && current && request.headers.get("Authorization") === bearer(current)) {
      tokenStore.clear();
    }
    throw error;
  }
  return response;
}

/** Call a JSON endpoint; resolves to the parsed body (undefined for 204), rejects with `ApiError`. */
export async function apiFetch<T = unknown>(path: string, init: ApiInit = {}): Promise<T> {
  const response = await send(path, init, "application/json");
  const text = response.status === 204 ? "" : await response.text();
  if (!text) return undefined as T;
  const type = response.headers.get("Content-Type") ?? "";
  return (type.includes("json") ? JSON.parse(text) : text) as T;
}

/** Handlers by event name; `data` is the frame's JSON (or its text when it is not JSON). */
export type SseHandlers<E extends object = Record<string, unknown>> = {
  [K in keyof E]?: (data: E[K], frame: SseFrame) => void;
};

export interface SseOptions {
  /** Defaults to POST when a body is given, GET otherwise. */
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
  headers?: HeadersInit;
  lastEventId?: string | null;
}

interface StreamResult {
  status: number;
  lastEventId: string | null;
  retryMs: number | null;
}

function dispatch<E extends object>(handlers: SseHandlers<E>, frame: SseFrame): void {
  const handler = (handlers as Record<string, ((data: unknown, frame: SseFrame) => void) | undefined>)[frame.event];
  if (!handler) return;
  try {
    handler(decodeData(frame.data), frame);
  } catch (error) {
    // A faulty handler must not tear down the stream for the others; it still shows up in the console.
    console.error(`SSE handler for "${frame.event}" failed`, error);
  }
}

async function openStream<E extends object>(
  path: string,
  options: SseOptions,
  handlers: SseHandlers<E>,
): Promise<StreamResult> {
  const headers = new Headers(options.headers);
  if (options.lastEventId) headers.set("Last-Event-ID", options.lastEventId);
  const method = options.method ?? (options.body === undefined ? "GET" : "POST");
  const parser = new SseParser((frame) => dispatch(handlers, frame));
  const response = await send(
    path,
    { method, body: options.body, signal: options.signal, headers, cache: "no-store" },
    "text/event-stream",
  );
  if (response.status === 204 || !response.body) return { status: response.status, lastEventId: null, retryMs: null };
  const type = response.headers.get("Content-Type") ?? "";
  if (!type.includes("text/event-stream")) {
    await response.body.cancel();
    throw new ApiError("The server answered with something other than an event stream.", {
      status: response.status,
      code: "not_a_stream",
    });
  }
  try {
    await pumpStream(response.body, parser);
  } catch (error) {
    if (isAbortError(error)) throw error;
    markUnreachable();
    throw networkError();
  }
  return { status: response.status, lastEventId: parser.lastId, retryMs: parser.retryMs };
}

/**
 * One streamed request: resolves when the server ends the stream or `signal` aborts it (no error for an abort);
 * rejects with `ApiError` when the server refuses (4xx/5xx) or the connection drops.
 */
export async function sse<E extends object = Record<string, unknown>>(
  path: string,
  options: SseOptions,
  handlers: SseHandlers<E>,
): Promise<{ lastEventId: string | null }> {
  try {
    const result = await openStream(path, options, handlers);
    return { lastEventId: result.lastEventId };
  } catch (error) {
    if (isAbortError(error)) return { lastEventId: null };
    throw error;
  }
}

export interface EventSourceOptions {
  /** Reopen the stream when the server ends it (as `EventSource` does). Default true; 204 always stops. */
  reconnect?: boolean;
  /** First reconnection delay in ms (the server's `retry:` overrides it). Default 2000. */
  retryMs?: number;
  /** Give up after this many failures in a row. Default 5. */
  maxRetries?: number;
  /** Called once when the stream gives up: a 4xx, or too many failures. */
  onError?: (error: ApiError) => void;
}

export interface StreamHandle {
  close(): void;
  /** Settles when the stream has stopped for good (closed, gave up, or ended without reconnect). */
  readonly closed: Promise<void>;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/** A GET event stream with auth headers and `Last-Event-ID` resumption, which plain `EventSource` cannot send. */
export function eventSource<E extends object = Record<string, unknown>>(
  path: string,
  handlers: SseHandlers<E>,
  options: EventSourceOptions = {},
): StreamHandle {
  const controller = new AbortController();
  const { signal } = controller;
  const maxRetries = options.maxRetries ?? 5;
  let delay = options.retryMs ?? 2000;

  async function run(): Promise<void> {
    let lastEventId: string | null = null;
    let failures = 0;
    while (!signal.aborted) {
      try {
        const result: StreamResult = await openStream(path, { method: "GET", signal, lastEventId }, handlers);
        lastEventId = result.lastEventId ?? lastEventId;
        delay = result.retryMs ?? delay;
        failures = 0;
        if (result.status === 204 || options.reconnect === false) return;
      } catch (error) {
        if (isAbortError(error)) return;
        const apiError = error instanceof ApiError ? error : networkError();
        const retryable = apiError.status === 0 || apiError.status === 429 || apiError.status >= 500;
        failures += 1;
        if (!retryable || failures > maxRetries) {
          options.onError?.(apiError);
          return;
        }
      }
      await sleep(delay * 2 ** Math.max(0, failures - 1), signal);
    }
  }

  return { close: () => controller.abort(), closed: run() };
}
