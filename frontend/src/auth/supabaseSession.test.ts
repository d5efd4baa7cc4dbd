/**
 * The refresh logic without a browser: parsing grants, when to refresh, what a refresh answer means, and how
 * `refreshNow` updates (or leaves alone) the stored token. Storage is the in-memory fallback here (Node has no
 * localStorage) and `fetch` is a fake that records what it was sent.
 */

import { beforeEach, describe, expect, it } from "vitest";
import { tokenStore } from "../api/token";
import {
  delayUntilRefresh,
  MAX_WAIT_MS,
  refreshDueAt,
  refreshNow,
  requestRefresh,
  retryDelay,
  revokeSession,
  sessionFromGrant,
  sessionStore,
  type SupabaseSession,
} from "./supabaseSession";

const project = { url: "https://abcd.supabase.co", anonKey: "anon-key", providers: [] };
const HOUR = 3_600_000;

function session(overrides: Partial<SupabaseSession> = {}): SupabaseSession {
  return { accessToken: "a1", refreshToken: "r1", expiresAt: 10 * HOUR, expiresIn: 3600, ...overrides };
}

interface Sent {
  url: string;
  init: RequestInit;
}

/** A fake fetch answering `answer()` (a Response, or a thrown error) and recording each call. */
function fakeFetch(answer: () => Response | Promise<Response>): { fetchImpl: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  const fetchImpl = (async (url: RequestInfo | URL, init?: RequestInit) => {
    sent.push({ url: String(url), init: init ?? {} });
    return answer();
  }) as typeof fetch;
  return { fetchImpl, sent };
}

const rotated = () => Response.json({ access_token: "a2", refresh_token: "r2", expires_in: 3600 });
const refusal = () =>
  Response.json({ error: "invalid_grant", error_description: "Invalid Refresh Token: Already Used" }, { status: 400 });

function signInWith(current: SupabaseSession): void {
  sessionStore.set(current); // session first, as the app does: a token without its session drops the session
  tokenStore.set(current.accessToken);
}

beforeEach(() => {
  tokenStore.clear();
  sessionStore.clear();
});

describe("reading a grant", () => {
  it("counts expires_in from receipt, so a wrong local clock does not make the token look expired", () => {
    // expires_at (epoch seconds, server clock) says 2000 s; this machine's clock is years ahead of it.
    const fields = { access_token: "a", refresh_token: "r", expires_in: "3600", expires_at: "2000" };
    expect(sessionFromGrant(fields, 9_000_000_000)).toEqual({
      accessToken: "a",
      refreshToken: "r",
      expiresAt: 9_000_000_000 + HOUR,
      expiresIn: 3600,
    });
  });

  it("falls back to expires_at when expires_in is missing", () => {
    expect(sessionFromGrant({ access_token: "a", refresh_token: "r", expires_at: 1_000 }, 400_000)).toMatchObject({
      expiresAt: 1_000_000,
      expiresIn: 600,
    });
  });

  it("has nothing to refresh without a refresh token or without any expiry", () => {
    expect(sessionFromGrant({ access_token: "a", expires_in: 3600 }, 0)).toBeNull();
    expect(sessionFromGrant({ access_token: "a", refresh_token: "", expires_in: 3600 }, 0)).toBeNull();
    expect(sessionFromGrant({ access_token: "a", refresh_token: "r" }, 0)).toBeNull();
    expect(sessionFromGrant({ access_token: "a", refresh_token: "r", expires_in: "soon" }, 0)).toBeNull();
    expect(sessionFromGrant({ refresh_token: "r", expires_in: 3600 }, 0)).toBeNull();
  });
});

describe("when to refresh", () => {
  it("refreshes an hour-long token a minute before it expires", () => {
    expect(refreshDueAt(session({ expiresAt: HOUR, expiresIn: 3600 }))).toBe(HOUR - 60_000);
  });

  it("refreshes a short token halfway, so it is not refreshed over and over", () => {
    expect(refreshDueAt(session({ expiresAt: 10_000, expiresIn: 4 }))).toBe(8_000);
    expect(refreshDueAt(session({ expiresAt: 120_000, expiresIn: 120 }))).toBe(60_000);
  });

  it("waits until due, looks again at least every 30 s, and goes at once when already due or expired", () => {
    const hourLong = session({ expiresAt: HOUR, expiresIn: 3600 });
    expect(delayUntilRefresh(hourLong, 0)).toBe(MAX_WAIT_MS);
    expect(delayUntilRefresh(hourLong, HOUR - 70_000)).toBe(10_000);
    expect(delayUntilRefresh(hourLong, HOUR - 60_000)).toBe(0);
    expect(delayUntilRefresh(hourLong, HOUR + 5 * HOUR)).toBe(0);
  });

  it("backs off while the project cannot be reached, up to a minute", () => {
    expect([1, 2, 3, 4, 5, 6, 10].map(retryDelay)).toEqual([2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]);
  });
});

describe("one refresh request", () => {
  it("sends the refresh token with the anon key and reads the rotated pair", async () => {
    const { fetchImpl, sent } = fakeFetch(rotated);
    const outcome = await requestRefresh(project, "r1", () => 1_000, fetchImpl);
    expect(outcome).toEqual({
      kind: "refreshed",
      session: { accessToken: "a2", refreshToken: "r2", expiresAt: 1_000 + HOUR, expiresIn: 3600 },
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.url).toBe("https://abcd.supabase.co/auth/v1/token?grant_type=refresh_token");
    expect(sent[0]?.init.method).toBe("POST");
    expect(new Headers(sent[0]?.init.headers).get("apikey")).toBe("anon-key");
    expect(JSON.parse(String(sent[0]?.init.body))).toEqual({ refresh_token: "r1" });
  });

  it("treats 400 and 401 as a definitive refusal", async () => {
    expect(await requestRefresh(project, "r1", Date.now, fakeFetch(refusal).fetchImpl)).toEqual({ kind: "refused" });
    const badKey = () => Response.json({ message: "Invalid API key" }, { status: 401 });
    expect(await requestRefresh(project, "r1", Date.now, fakeFetch(badKey).fetchImpl)).toEqual({ kind: "refused" });
  });

  it("treats network errors, 5xx, 429 and odd answers as 'try again later'", async () => {
    const answers = [
      () => Promise.reject(new TypeError("Failed to fetch")),
      () => new Response("bad gateway", { status: 502 }),
      () => Response.json({ message: "slow down" }, { status: 429 }),
      () => Response.json({ access_token: "a2" }), // no refresh token: cannot keep going with this
      () => new Response("<html>", { status: 200 }),
    ];
    for (const answer of answers) {
      expect(await requestRefresh(project, "r1", Date.now, fakeFetch(answer).fetchImpl)).toEqual({
        kind: "unavailable",
      });
    }
  });
});

describe("revoking at sign-out", () => {
  it("asks the project to end this sign-in with its access token and the anon key", async () => {
    const { fetchImpl, sent } = fakeFetch(() => new Response(null, { status: 204 }));
    expect(await revokeSession(project, session({ accessToken: "a9" }), fetchImpl)).toBe(true);
    expect(sent[0]?.url).toBe("https://abcd.supabase.co/auth/v1/logout?scope=local");
    expect(sent[0]?.init.method).toBe("POST");
    const headers = new Headers(sent[0]?.init.headers);
    expect([headers.get("apikey"), headers.get("Authorization")]).toEqual(["anon-key", "Bearer a9"]);
    expect(sent[0]?.init.keepalive).toBe(true);
  });

  it("never throws: an unreachable or refusing project does not block signing out", async () => {
    const down = fakeFetch(() => Promise.reject(new TypeError("Failed to fetch"))).fetchImpl;
    expect(await revokeSession(project, session(), down)).toBe(false);
    const refuses = fakeFetch(() => Response.json({ msg: "invalid JWT" }, { status: 401 })).fetchImpl;
    expect(await revokeSession(project, session(), refuses)).toBe(false);
  });
});

describe("refreshNow", () => {
  const dueNow = () => 10 * HOUR - 30_000; // within the last minute of session()'s token

  it("stores the rotated tokens and makes the new access token the one requests send", async () => {
    signInWith(session());
    const seen: (string | null)[] = [];
    const unsubscribe = tokenStore.subscribe((token) => seen.push(token));
    const { fetchImpl } = fakeFetch(rotated);
    expect(await refreshNow(project, { now: dueNow, fetchImpl })).toBe("refreshed");
    unsubscribe();
    expect(tokenStore.get()).toBe("a2");
    expect(seen).toEqual(["a2"]);
    expect(sessionStore.get()).toEqual({
      accessToken: "a2",
      refreshToken: "r2",
      expiresAt: dueNow() + HOUR,
      expiresIn: 3600,
    });
  });

  it("does nothing before the refresh is due", async () => {
    signInWith(session());
    const { fetchImpl, sent } = fakeFetch(rotated);
    expect(await refreshNow(project, { now: () => HOUR, fetchImpl })).toBe("skipped");
    expect(sent).toHaveLength(0);
    expect(tokenStore.get()).toBe("a1");
  });

  it("sends one request for concurrent callers: a rotated refresh token must not be spent twice", async () => {
    signInWith(session());
    const { fetchImpl, sent } = fakeFetch(rotated);
    const results = await Promise.all([
      refreshNow(project, { now: dueNow, fetchImpl }),
      refreshNow(project, { now: dueNow, fetchImpl }),
    ]);
    expect(results).toEqual(["refreshed", "refreshed"]);
    expect(sent).toHaveLength(1);
    // A later caller finds the fresh session and has nothing to do.
    expect(await refreshNow(project, { now: dueNow, fetchImpl })).toBe("skipped");
    expect(sent).toHaveLength(1);
  });

  it("signs out on a refusal: token and refresh token both gone", async () => {
    signInWith(session());
    expect(await refreshNow(project, { now: dueNow, fetchImpl: fakeFetch(refusal).fetchImpl })).toBe("refused");
    expect(tokenStore.get()).toBeNull();
    expect(sessionStore.get()).toBeNull();
  });

  it("keeps the sign-in when the project is unreachable, for a retry", async () => {
    signInWith(session());
    const down = fakeFetch(() => Promise.reject(new TypeError("Failed to fetch")));
    expect(await refreshNow(project, { now: dueNow, fetchImpl: down.fetchImpl })).toBe("unavailable");
    expect(tokenStore.get()).toBe("a1");
    expect(sessionStore.get()).toEqual(session());
  });

  it("adopts another tab's refresh instead of signing out when its own old refresh token is refused", async () => {
    signInWith(session());
    const otherTab = session({ accessToken: "a9", refreshToken: "r9", expiresAt: 11 * HOUR });
    const { fetchImpl } = fakeFetch(() => {
      signInWith(otherTab); // the other tab rotated r1 while this request was on its way
      return refusal();
    });
    expect(await refreshNow(project, { now: dueNow, fetchImpl })).toBe("skipped");
    expect(tokenStore.get()).toBe("a9");
    expect(sessionStore.get()).toEqual(otherTab);
  });

  it("does not sign back in when the user signed out while the refresh was in flight", async () => {
    signInWith(session());
    const { fetchImpl } = fakeFetch(() => {
      tokenStore.clear();
      return rotated();
    });
    expect(await refreshNow(project, { now: dueNow, fetchImpl })).toBe("skipped");
    expect(tokenStore.get()).toBeNull();
    expect(sessionStore.get()).toBeNull();
  });

  it("never refreshes a pasted token, and a pasted token drops the earlier session", async () => {
    signInWith(session());
    tokenStore.set("pasted.token");
    expect(sessionStore.get()).toBeNull();
    const { fetchImpl, sent } = fakeFetch(rotated);
    expect(await refreshNow(project, { now: dueNow, fetchImpl })).toBe("skipped");
    expect(sent).toHaveLength(0);
    expect(tokenStore.get()).toBe("pasted.token");
  });
});
