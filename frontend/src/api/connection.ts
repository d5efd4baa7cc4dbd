/**
 * Whether the server can be reached, learnt from the calls the app makes anyway. A request that gets no answer
 * marks the server unreachable and starts polling `GET /health` with backoff (1 s doubling to 15 s, and at once
 * when the browser says it is back online); any answer at all, even a 503, marks it reachable again. So a
 * "could not reach the server" notice clears itself without the reader reloading, and nothing polls while all is
 * well.
 */

type Listener = (reachable: boolean) => void;

const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 15_000;

let reachable = true;
let delay = FIRST_DELAY_MS;
let timer: ReturnType<typeof setTimeout> | null = null;
let healthUrl = "/health";
const listeners = new Set<Listener>();

function notify(): void {
  for (const listener of listeners) listener(reachable);
}

async function probe(): Promise<void> {
  timer = null;
  try {
    await fetch(healthUrl, { cache: "no-store" });
    markReachable();
  } catch {
    if (reachable) return;
    delay = Math.min(delay * 2, MAX_DELAY_MS);
    schedule(delay);
  }
}

function schedule(ms: number): void {
  if (timer !== null) clearTimeout(timer);
  timer = setTimeout(() => void probe(), ms);
}

function onBrowserOnline(): void {
  if (!reachable) schedule(0);
}

/** Where the probe goes (the client sets it from API_BASE). */
export function setHealthUrl(url: string): void {
  healthUrl = url;
}

/** A request got no answer: say so and start probing until the server answers again. */
export function markUnreachable(): void {
  if (!reachable) return;
  reachable = false;
  delay = FIRST_DELAY_MS;
  schedule(delay);
  if (typeof window !== "undefined") window.addEventListener("online", onBrowserOnline);
  notify();
}

/** The server answered something: stop probing and clear any notice. */
export function markReachable(): void {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  if (reachable) return;
  reachable = true;
  if (typeof window !== "undefined") window.removeEventListener("online", onBrowserOnline);
  notify();
}

export function isReachable(): boolean {
  return reachable;
}

/** Be told when reachability changes; returns the unsubscribe function. */
export function onReachabilityChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}
