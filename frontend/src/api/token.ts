/**
 * Where the bearer token lives: localStorage under `scriptorium.token`, with change notifications so the auth
 * context hears about a sign-out from another tab or a 401 seen by any request. Storage can be missing (private
 * mode, Node tests), so every access degrades to an in-memory value instead of throwing.
 */

export const TOKEN_KEY = "scriptorium.token";

type Listener = (token: string | null) => void;

const listeners = new Set<Listener>();
let memoryToken: string | null = null;

/** localStorage when this environment has a usable one (not in Node tests, not when blocked), else null. */
export function storage(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null;
  }
}

function notify(token: string | null): void {
  for (const listener of listeners) listener(token);
}

export const tokenStore = {
  get(): string | null {
    const store = storage();
    if (!store) return memoryToken;
    try {
      return store.getItem(TOKEN_KEY);
    } catch {
      return memoryToken;
    }
  },

  set(token: string): void {
    memoryToken = token;
    try {
      storage()?.setItem(TOKEN_KEY, token);
    } catch {
      /* storage full or blocked: the in-memory copy still works for this tab */
    }
    notify(token);
  },

  clear(): void {
    memoryToken = null;
    try {
      storage()?.removeItem(TOKEN_KEY);
    } catch {
      /* nothing stored */
    }
    notify(null);
  },

  /** Call `listener` whenever the token changes (here or in another tab); returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

if (typeof window !== "undefined") {
  window.addEventListener("storage", (event) => {
    if (event.key === TOKEN_KEY) notify(event.newValue);
  });
}
