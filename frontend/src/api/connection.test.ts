import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

/** A fresh copy of the module per test: its state (reachable, the timer) is module-level on purpose. */
async function load() {
  vi.resetModules();
  return import("./connection");
}

describe("connection", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("probes /health with backoff while unreachable and clears itself on the first answer", async () => {
    const calls: number[] = [];
    let up = false;
    vi.stubGlobal("fetch", async (url: string) => {
      calls.push(Date.now());
      expect(url).toBe("/health");
      if (!up) throw new TypeError("Failed to fetch");
      return new Response("{}", { status: 503 }); // degraded still means the server answered
    });
    const connection = await load();
    const seen: boolean[] = [];
    connection.onReachabilityChange((reachable) => seen.push(reachable));

    const start = Date.now();
    connection.markUnreachable();
    expect(connection.isReachable()).toBe(false);
    await vi.advanceTimersByTimeAsync(1000); // first probe after 1 s: refused
    await vi.advanceTimersByTimeAsync(2000); // then 2 s later: refused
    expect(calls.map((t) => t - start)).toEqual([1000, 3000]);
    up = true;
    await vi.advanceTimersByTimeAsync(4000); // then 4 s later: answered
    expect(connection.isReachable()).toBe(true);
    expect(seen).toEqual([false, true]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(3); // nothing polls while all is well
  });

  it("an answered request clears it at once and stops the probing", async () => {
    const fetch = vi.fn(async () => {
      throw new TypeError("Failed to fetch");
    });
    vi.stubGlobal("fetch", fetch);
    const connection = await load();
    connection.markUnreachable();
    connection.markReachable();
    expect(connection.isReachable()).toBe(true);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(fetch).not.toHaveBeenCalled();
  });
});
