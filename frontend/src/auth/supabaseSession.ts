/**
 * Keeps a Supabase sign-in alive past its access token's hour, the way supabase-js does, without supabase-js.
 *
 * The access token stays in `tokenStore` (every request reads it there, other callers rely on that contract).
 * Beside it, under `scriptorium.supabase.session`, lives what only the refresh needs: the refresh token, the
 * access token it belongs to, and when that expires. Shortly before expiry (and at page load when already due)
 * the refresh token is exchanged at the project's `/auth/v1/token?grant_type=refresh_token`; Supabase rotates
 * refresh tokens (the old one is spent), so the new pair is stored before anything else happens.
 *
 * The session record names its access token, so a token that changes for any other reason (sign-out, a 401, a
 * pasted token, another tab) leaves no refresh token behind: the record is dropped whenever it stops matching.
 * Tabs share the storage, so a refresh runs under a Web Lock and re-reads the record first: when another tab
 * already rotated the token, this one adopts the result instead of spending the old refresh token twice.
 */

import { storage, tokenStore } from "../api/token";
import type { SupabaseProject } from "./api";

export const SESSION_KEY = "scriptorium.supabase.session";
/** Refresh this long before expiry (at most half the token's lifetime, so short tokens are not refreshed nonstop). */
export const REFRESH_MARGIN_MS = 60_000;
/** Look at the clock at least this often: timers stall while a laptop sleeps, the wall clock does not. */
export const MAX_WAIT_MS = 30_000;
/** Never arm the timer for less than this: whatever a project answers, refreshes cannot run back to back. */
export const MIN_WAIT_MS = 1_000;
/** A refresh request that takes longer than this is abandoned and retried (it holds the cross-tab lock). */
export const REQUEST_TIMEOUT_MS = 15_000;
const LOCK_NAME = "scriptorium.supabase.refresh";
/**
 * How long the lock stays held after storing new tokens. Another tab's localStorage catches up asynchronously;
 * a tab that took the lock the moment it was released could still read the spent refresh token.
 */
export const LOCK_HANDOVER_MS = 500;

export interface SupabaseSession {
  accessToken: string;
  refreshToken: string;
  /** When the access token expires, in epoch milliseconds. */
  expiresAt: number;
  /** The access token's lifetime when issued, in seconds (decides how early to refresh). */
  expiresIn: number;
}

/** The fields GoTrue answers a grant with, in its JSON body or in the OAuth return fragment (as strings there). */
export interface GrantFields {
  access_token?: unknown;
  refresh_token?: unknown;
  expires_in?: unknown;
  expires_at?: unknown;
}

function positiveNumber(value: unknown): number | null {
  const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof number === "number" && Number.isFinite(number) && number > 0 ? number : null;
}

function nonEmpty(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

/**
 * A refreshable session from a grant received at `now`, or null when there is nothing to refresh with (no refresh
 * token) or no way to tell when to (neither `expires_in` nor `expires_at`). The expiry counts `expires_in` from
 * receipt on this machine's clock, so a clock that is off does not make every token look expired (a refresh
 * loop); the server's `expires_at` (epoch seconds) is used only when `expires_in` is missing.
 */
export function sessionFromGrant(fields: GrantFields, now: number): SupabaseSession | null {
  const accessToken = nonEmpty(fields.access_token);
  const refreshToken = nonEmpty(fields.refresh_token);
  const expiresIn = positiveNumber(fields.expires_in);
  const expiresAtSeconds = positiveNumber(fields.expires_at);
  if (!accessToken || !refreshToken) return null;
  if (expiresIn !== null) return { accessToken, refreshToken, expiresAt: now + expiresIn * 1000, expiresIn };
  if (expiresAtSeconds === null) return null;
  const expiresAt = expiresAtSeconds * 1000;
  return { accessToken, refreshToken, expiresAt, expiresIn: Math.max(1, (expiresAt - now) / 1000) };
}

/** When to refresh: a minute before expiry, or halfway through a token that lives two minutes or less. */
export function refreshDueAt(session: SupabaseSession): number {
  return session.expiresAt - Math.min(REFRESH_MARGIN_MS, (session.expiresIn * 1000) / 2);
}

/** How long to wait before looking again: until the refresh is due, but never longer than `MAX_WAIT_MS`. */
export function delayUntilRefresh(session: SupabaseSession, now: number): number {
  return Math.min(MAX_WAIT_MS, Math.max(0, refreshDueAt(session) - now));
}

/** Back-off after the project could not be reached: 2 s, 4 s, 8 s... up to a minute. */
export function retryDelay(failures: number): number {
  return Math.min(60_000, 2_000 * 2 ** Math.max(0, failures - 1));
}

function isSession(value: unknown): value is SupabaseSession {
  const record = value as Partial<SupabaseSession> | null;
  return (
    typeof record === "object" &&
    record !== null &&
    typeof record.accessToken === "string" &&
    typeof record.refreshToken === "string" &&
    typeof record.expiresAt === "number" &&
    typeof record.expiresIn === "number"
  );
}

/**
 * What became of a refresh: new tokens, a definitive refusal (the refresh token is spent, revoked or unknown:
 * sign in again), or the project could not give an answer now (network, timeout, 5xx, 429: try again later).
 */
export type RefreshOutcome =
  | { kind: "refreshed"; session: SupabaseSession }
  | { kind: "refused" }
  | { kind: "unavailable" };

/** One refresh request to the project; never throws. `fetchImpl` is there for tests. */
export async function requestRefresh(
  project: SupabaseProject,
  refreshToken: string,
  now: () => number = Date.now,
  fetchImpl: typeof fetch = fetch,
): Promise<RefreshOutcome> {
  let response: Response;
  try {
    response = await fetchImpl(`${project.url}/auth/v1/token?grant_type=refresh_token`, {
      method: "POST",
      headers: { apikey: project.anonKey, "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: refreshToken }),
      signal: typeof AbortSignal.timeout === "function" ? AbortSignal.timeout(REQUEST_TIMEOUT_MS) : undefined,
    });
  } catch {
    return { kind: "unavailable" };
  }
  // GoTrue refuses a spent, revoked or unknown refresh token with 400 invalid_grant (401/403 for a bad key).
  if (response.status === 400 || response.status === 401 || response.status === 403) return { kind: "refused" };
  if (!response.ok) return { kind: "unavailable" };
  const body: unknown = await response.json().catch(() => null);
  const session = body && typeof body === "object" ? sessionFromGrant(body as GrantFields, now()) : null;
  return session ? { kind: "refreshed", session } : { kind: "unavailable" };
}

/**
 * Ask the project to end this sign-in (GoTrue's `POST /auth/v1/logout?scope=local`), which revokes its refresh
 * token: without it, a copy of the refresh token taken before sign-out would keep minting access tokens. Best
 * effort and never throws: signing out locally must not wait for, or depend on, the project answering.
 */
export async function revokeSession(
  project: SupabaseProject,
  session: SupabaseSession,
  fetchImpl: typeof fetch = fetch,
): Promise<boolean> {
  try {
    const response = await fetchImpl(`${project.url}/auth/v1/logout?scope=local`, {
      method: "POST",
      headers: { apikey: project.anonKey, Authorization: `Bearer ${session.accessToken}` },
      keepalive: true, // survives the page navigating away right after "Sign out"
      signal: typeof AbortSignal.timeout === "function" ? AbortSignal.timeout(REQUEST_TIMEOUT_MS) : undefined,
    });
    return response.ok;
  } catch {
    return false;
  }
}

let memorySession: SupabaseSession | null = null;

/** The stored session, degrading to memory like `tokenStore` (private mode, Node tests). */
export const sessionStore = {
  get(): SupabaseSession | null {
    const store = storage();
    if (!store) return memorySession;
    try {
      const raw = store.getItem(SESSION_KEY);
      const parsed: unknown = raw ? JSON.parse(raw) : null;
      return isSession(parsed) ? parsed : null;
    } catch {
      return memorySession;
    }
  },

  set(session: SupabaseSession): void {
    memorySession = session;
    try {
      storage()?.setItem(SESSION_KEY, JSON.stringify(session));
    } catch {
      /* storage full or blocked: the in-memory copy still serves this tab */
    }
  },

  clear(): void {
    memorySession = null;
    try {
      storage()?.removeItem(SESSION_KEY);
    } catch {
      /* nothing stored */
    }
  },
};

// A session whose access token is no longer the one in use is worthless and must not outlive a sign-out: drop it
// whenever the token changes to anything else (sign-out, a 401, a pasted token, another tab's sign-out).
tokenStore.subscribe((token) => {
  const session = sessionStore.get();
  if (session && session.accessToken !== token) sessionStore.clear();
});

/** Store a fresh session and make its access token the one every request sends (session first: see above). */
export function adoptSession(session: SupabaseSession): void {
  sessionStore.set(session);
  tokenStore.set(session.accessToken);
}

/**
 * Run `task` while holding the cross-tab refresh lock where the browser has Web Locks, else just run it. The
 * result is handed back at once; after a refresh the lock is kept a little longer (see `LOCK_HANDOVER_MS`).
 */
function withLock(task: () => Promise<RefreshResult>): Promise<RefreshResult> {
  const locks = typeof navigator === "undefined" || typeof window === "undefined" ? undefined : navigator.locks;
  if (!locks) return task();
  return new Promise((resolve, reject) => {
    locks
      .request(LOCK_NAME, async () => {
        const result = await task();
        resolve(result);
        if (result === "refreshed") await new Promise((wait) => setTimeout(wait, LOCK_HANDOVER_MS));
      })
      .catch(reject);
  });
}

/** What `refreshNow` did: "skipped" means nothing was due (or another tab had already refreshed). */
export type RefreshResult = "refreshed" | "refused" | "unavailable" | "skipped";

export interface RefreshOptions {
  now?: () => number;
  fetchImpl?: typeof fetch;
}

let inFlight: Promise<RefreshResult> | null = null;

/**
 * Refresh the stored session if it is due; one refresh at a time per tab, and across tabs under a lock. On a
 * refusal the session and token are cleared (the UI then offers sign-in); when the project is unreachable
 * nothing changes and the caller retries later.
 */
export function refreshNow(project: SupabaseProject, options: RefreshOptions = {}): Promise<RefreshResult> {
  inFlight ??= withLock(() => refreshUnderLock(project, options)).finally(() => {
    inFlight = null;
  });
  return inFlight;
}

async function refreshUnderLock(project: SupabaseProject, options: RefreshOptions): Promise<RefreshResult> {
  const now = options.now ?? Date.now;
  // Read again now that we hold the lock: another tab may have rotated the refresh token while we waited.
  const session = sessionStore.get();
  if (!session || session.accessToken !== tokenStore.get()) return "skipped";
  if (now() < refreshDueAt(session)) return "skipped";

  const outcome = await requestRefresh(project, session.refreshToken, now, options.fetchImpl);
  // Meanwhile the user may have signed out or in as someone else, or (without Web Locks) another tab refreshed:
  // then this answer is stale and must neither sign anyone back in nor sign the new session out.
  const current = sessionStore.get();
  const unchanged = current?.refreshToken === session.refreshToken && tokenStore.get() === session.accessToken;
  if (outcome.kind === "refreshed") {
    if (!unchanged) return "skipped";
    adoptSession(outcome.session);
    return "refreshed";
  }
  if (outcome.kind === "refused") {
    if (!unchanged) return "skipped";
    sessionStore.clear();
    tokenStore.clear();
    return "refused";
  }
  return "unavailable";
}

/**
 * Keep the session fresh while the app runs: a timer set for the next refresh (re-armed whenever the token
 * changes here or in another tab), a look at the clock when the tab becomes visible or the network returns, and
 * back-off retries while the project is unreachable. Returns the function that stops all of it.
 */
export function keepSessionFresh(project: SupabaseProject): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let stopped = false;

  const schedule = () => {
    clearTimeout(timer);
    timer = undefined;
    if (stopped) return;
    const session = sessionStore.get();
    if (!session || session.accessToken !== tokenStore.get()) return; // nothing to refresh until a sign-in
    const wait = failures > 0 ? retryDelay(failures) : delayUntilRefresh(session, Date.now());
    timer = setTimeout(() => void tick(), Math.max(MIN_WAIT_MS, wait));
  };

  const tick = async () => {
    if (stopped) return;
    let result: RefreshResult;
    try {
      result = await refreshNow(project);
    } catch {
      result = "unavailable"; // e.g. the lock was refused: try again later like any other hiccup
    }
    failures = result === "unavailable" ? failures + 1 : 0;
    schedule();
  };

  const wake = () => {
    if (typeof document !== "undefined" && document.visibilityState === "hidden") return;
    const session = sessionStore.get();
    if (session && Date.now() >= refreshDueAt(session)) void tick();
  };

  const onStorage = (event: StorageEvent) => {
    if (event.key === SESSION_KEY || event.key === null) schedule();
  };

  const unsubscribe = tokenStore.subscribe(() => {
    failures = 0;
    schedule();
  });
  if (typeof window !== "undefined") {
    window.addEventListener("storage", onStorage);
    window.addEventListener("online", wake);
    document.addEventListener("visibilitychange", wake);
  }
  schedule();

  return () => {
    stopped = true;
    clearTimeout(timer);
    unsubscribe();
    if (typeof window !== "undefined") {
      window.removeEventListener("storage", onStorage);
      window.removeEventListener("online", wake);
      document.removeEventListener("visibilitychange", wake);
    }
  };
}
