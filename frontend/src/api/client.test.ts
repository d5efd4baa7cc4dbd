/**
 * The API client against a real HTTP server on 127.0.0.1 (node:http), so headers, bodies, status codes, chunked
 * streams and aborts go over an actual socket rather than through a fake `fetch`.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ApiError, apiFetch, eventSource, sse, tokenStore } from "./client";

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen) => void;

let server: Server;
let base = "";
const seen: Seen[] = [];
const routes = new Map<string, Handler>();
const closed: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      const record = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body };
      seen.push(record);
      res.on("close", () => closed.push(record.url));
      const handler = routes.get(`${req.method} ${req.url?.split("?")[0]}`);
      if (handler) handler(req, res, record);
      else json(res, 404, { detail: "no such route", code: "not_found", request_id: "rid-404" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

afterEach(() => {
  seen.length = 0;
  closed.length = 0;
  routes.clear();
  tokenStore.clear();
  vi.restoreAllMocks();
});

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function stream(res: ServerResponse): void {
  res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-store" });
}

/** The ApiError a call rejects with (fails the test if it resolves or throws something else). */
async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("apiFetch", () => {
  it("sends JSON with the bearer token and returns the parsed answer", async () => {
    tokenStore.set("tok-123");
    routes.set("POST /api/things", (_req, res, record) => json(res, 201, { echoed: JSON.parse(record.body) }));

    const answer = await apiFetch<{ echoed: unknown }>(`${base}/api/things`, { method: "POST", body: { a: 1 } });

    expect(answer.echoed).toEqual({ a: 1 });
    expect(seen[0]?.headers["content-type"]).toBe("application/json");
    expect(seen[0]?.headers.authorization).toBe("Bearer tok-123");
    expect(seen[0]?.headers.accept).toBe("application/json");
  });

  it("sends no Authorization header without a token and resolves 204 to undefined", async () => {
    routes.set("DELETE /api/things/1", (_req, res) => {
      res.writeHead(204);
      res.end();
    });
    await expect(apiFetch(`${base}/api/things/1`, { method: "DELETE" })).resolves.toBeUndefined();
    expect(seen[0]?.headers.authorization).toBeUndefined();
  });

  it("turns a 422 field list into a readable message and per-field messages", async () => {
    routes.set("POST /api/auth/register", (_req, res) =>
      json(res, 422, {
        detail: [
          { loc: ["body", "email"], field: "email", msg: "value is not a valid email address", type: "value_error" },
          { loc: ["body", "password"], field: "password", msg: "String should have at least 8 characters" },
        ],
        code: "validation_error",
        request_id: "rid-1",
      }),
    );
    const error = await failure(apiFetch(`${base}/api/auth/register`, { method: "POST", body: {} }));

    expect(error.status).toBe(422);
    expect(error.code).toBe("validation_error");
    expect(error.requestId).toBe("rid-1");
    expect(error.message).toBe(
      "Email: Value is not a valid email address; Password: String should have at least 8 characters",
    );
    expect(error.fieldMessage("password")).toBe("String should have at least 8 characters");
  });

  it("uses the server's detail text, and a status sentence when the body is not ours", async () => {
    const notFound = await failure(apiFetch(`${base}/api/missing`));
    expect(notFound.message).toBe("no such route");
    expect(notFound.code).toBe("not_found");

    routes.set("GET /api/proxy", (_req, res) => {
      res.writeHead(502, { "Content-Type": "text/html" });
      res.end("<html><body>Bad gateway</body></html>");
    });
    const gateway = await failure(apiFetch(`${base}/api/proxy`));
    expect(gateway.message).toBe("The server had a problem (HTTP 502). Try again shortly.");
    expect(gateway.code).toBe("http_502");
  });

  it("reports Retry-After on 429", async () => {
    routes.set("GET /api/busy", (_req, res) =>
      json(res, 429, { detail: "Slow down.", code: "rate_limited", request_id: "r" }, { "Retry-After": "7" }),
    );
    const error = await failure(apiFetch(`${base}/api/busy`));
    expect(error.retryAfter).toBe(7);
    expect(error.message).toBe("Slow down. (retry in 7 s)");
  });

  it("forgets a token the server rejects", async () => {
    tokenStore.set("expired");
    const changes: (string | null)[] = [];
    const unsubscribe = tokenStore.subscribe((token) => changes.push(token));
    routes.set("GET /api/me", (_req, res) => json(res, 401, { detail: "your session has expired; sign in again" }));

    const error = await failure(apiFetch(`${base}/api/me`));
    unsubscribe();

    expect(error.message).toBe("your session has expired; sign in again");
    expect(tokenStore.get()).toBeNull();
    expect(changes).toEqual([null]);
  });

  it("keeps a token that replaced the rejected one while the request was out", async () => {
    tokenStore.set("expired");
    routes.set("GET /api/slow-401", (_req, res) => {
      tokenStore.set("refreshed"); // a refresh lands while this request is on the wire
      json(res, 401, { detail: "your session has expired; sign in again" });
    });

    await failure(apiFetch(`${base}/api/slow-401`));

    expect(tokenStore.get()).toBe("refreshed");
  });

  it("says the server is unreachable when nothing listens", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));

    const error = await failure(apiFetch(`http://127.0.0.1:${port}/api/x`));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(0);
    expect(error.code).toBe("network_error");
  });
});

describe("sse", () => {
  it("POSTs the body and calls handlers frame by frame, across chunk and UTF-8 boundaries", async () => {
    tokenStore.set("tok-sse");
    routes.set("POST /api/chat", async (_req, res) => {
      stream(res);
      const bytes = Buffer.from('event: token\ndata: {"text":"Café "}\n\nevent: token\ndata: {"text":"ok"}\n\n');
      for (let i = 0; i < bytes.length; i += 5) {
        res.write(bytes.subarray(i, i + 5));
        await wait(1);
      }
      res.end('event: done\ndata: {"pages":[3]}\nid: 9\n\n');
    });
    const tokens: string[] = [];
    let done: unknown = null;

    const result = await sse<{ token: { text: string }; done: { pages: number[] } }>(
      `${base}/api/chat`,
      { body: { question: "Who?" } },
      { token: (data) => tokens.push(data.text), done: (data) => (done = data) },
    );

    expect(tokens.join("")).toBe("Café ok");
    expect(done).toEqual({ pages: [3] });
    expect(result.lastEventId).toBe("9");
    expect(seen[0]?.method).toBe("POST");
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual({ question: "Who?" });
    expect(seen[0]?.headers.accept).toBe("text/event-stream");
    expect(seen[0]?.headers.authorization).toBe("Bearer tok-sse");
  });

  it("stops quietly when aborted and closes the connection", async () => {
    routes.set("POST /api/forever", (_req, res) => {
      stream(res);
      const timer = setInterval(() => res.write('event: token\ndata: {"text":"."}\n\n'), 5);
      res.on("close", () => clearInterval(timer));
    });
    const controller = new AbortController();
    let count = 0;

    await sse(`${base}/api/forever`, { body: {}, signal: controller.signal }, {
      token: () => {
        count += 1;
        if (count === 3) controller.abort();
      },
    });

    expect(count).toBe(3);
    await vi.waitFor(() => expect(closed).toContain("/api/forever"));
  });

  it("rejects with the server's error before the stream starts", async () => {
    routes.set("POST /api/chat", (_req, res) =>
      json(res, 409, { detail: "This session is already answering.", code: "conflict", request_id: "r" }),
    );
    const error = await failure(sse(`${base}/api/chat`, { body: {} }, {}));
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(409);
    expect(error.message).toBe("This session is already answering.");
  });

  it("rejects an answer that is not an event stream", async () => {
    routes.set("POST /api/chat", (_req, res) => json(res, 200, { answer: "not streamed" }));
    const error = await failure(sse(`${base}/api/chat`, { body: {} }, {}));
    expect(error.code).toBe("not_a_stream");
  });

  it("keeps streaming when one handler throws", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    routes.set("GET /api/events", (_req, res) => {
      stream(res);
      res.end("event: a\ndata: 1\n\nevent: b\ndata: 2\n\n");
    });
    const got: unknown[] = [];
    await sse(`${base}/api/events`, {}, {
      a: () => {
        throw new Error("boom");
      },
      b: (data) => got.push(data),
    });
    expect(got).toEqual([2]);
    expect(logged).toHaveBeenCalledOnce();
    expect(seen[0]?.method).toBe("GET");
  });
});

describe("eventSource", () => {
  it("reconnects with Last-Event-ID and stops when the server answers 204", async () => {
    let connections = 0;
    routes.set("GET /api/jobs/1/events", (_req, res) => {
      connections += 1;
      if (connections === 3) {
        res.writeHead(204);
        res.end();
        return;
      }
      stream(res);
      res.end(`retry: 10\nid: ${connections}\nevent: progress\ndata: {"n":${connections}}\n\n`);
    });
    const progress: number[] = [];

    const handle = eventSource<{ progress: { n: number } }>(`${base}/api/jobs/1/events`, {
      progress: (data) => progress.push(data.n),
    });
    await handle.closed;

    expect(progress).toEqual([1, 2]);
    expect(seen.map((s) => s.headers["last-event-id"])).toEqual([undefined, "1", "2"]);
  });

  it("gives up on a 4xx and reports it once", async () => {
    routes.set("GET /api/jobs/2/events", (_req, res) => json(res, 404, { detail: "job not found", code: "not_found" }));
    const errors: ApiError[] = [];

    await eventSource(`${base}/api/jobs/2/events`, {}, { onError: (e) => errors.push(e), retryMs: 10 }).closed;

    expect(errors.map((e) => e.message)).toEqual(["job not found"]);
    expect(seen).toHaveLength(1);
  });

  it("retries a failing server, then gives up after maxRetries", async () => {
    routes.set("GET /api/flaky", (_req, res) => json(res, 503, { detail: "busy" }));
    const errors: ApiError[] = [];

    await eventSource(`${base}/api/flaky`, {}, { retryMs: 5, maxRetries: 2, onError: (e) => errors.push(e) }).closed;

    expect(seen).toHaveLength(3);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.status).toBe(503);
  });

  it("close() ends a stream that is still open", async () => {
    routes.set("GET /api/open", (_req, res) => {
      stream(res);
      res.write("event: hello\ndata: 1\n\n");
    });
    let handle: ReturnType<typeof eventSource> | null = null;
    const hello = new Promise<void>((resolve) => {
      handle = eventSource(`${base}/api/open`, { hello: () => resolve() });
    });
    await hello;
    handle!.close();
    await handle!.closed;
    await vi.waitFor(() => expect(closed).toContain("/api/open"));
  });
});
