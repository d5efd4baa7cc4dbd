/**
 * Knows which auth mode the server runs in and who is signed in. The token itself lives in `tokenStore`, so a 401
 * seen by any request (which clears the token) or a sign-out in another tab updates this state too. In supabase
 * mode with a project it also keeps the sign-in fresh (supabaseSession.ts): a due refresh runs before the first
 * account lookup, and a new token from a refresh is looked up like any other token change.
 */

import { useCallback, useEffect, useMemo, useState, type ReactNode } from "react";
import { ApiError, isAbortError, tokenStore } from "../api/client";
import {
  fetchAuthConfig,
  fetchMe,
  login,
  NO_ACCOUNTS,
  register as registerAccount,
  tokenOf,
  type Account,
  type AuthConfig,
  type AuthMode,
} from "./api";
import { AuthContext, type AuthState } from "./context";
import { keepSessionFresh, refreshNow, revokeSession, sessionStore, type SupabaseSession } from "./supabaseSession";

export function AuthProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<AuthState["status"]>("loading");
  const [config, setConfig] = useState<AuthConfig>(NO_ACCOUNTS);
  const mode: AuthMode = config.mode;
  const [user, setUser] = useState<Account | null>(null);
  const [error, setError] = useState<string | null>(null);

  // An answer to /me describes the token it was asked with. If the token changed while it was in flight (a sign-out
  // right after signing in, a new sign-in in another tab), the answer is stale and must not sign anyone back in.
  const loadUser = useCallback(async (signal?: AbortSignal) => {
    const token = tokenStore.get();
    if (!token) {
      setUser(null);
      return;
    }
    try {
      const me = await fetchMe(signal);
      if (tokenStore.get() === token) setUser(me);
    } catch (err) {
      if (isAbortError(err)) return;
      // 401 already cleared the token; any other failure leaves the token for the next attempt.
      if (tokenStore.get() === token) setUser(null);
    }
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    fetchAuthConfig(controller.signal)
      .then(async (config) => {
        setConfig(config);
        // An expired token would be refused (and cleared) by the lookup below: refresh it first when due.
        if (config.supabase) await refreshNow(config.supabase);
        if (controller.signal.aborted) return;
        if (config.mode !== "none") await loadUser(controller.signal);
        setStatus("ready");
      })
      .catch((err: unknown) => {
        if (isAbortError(err)) return;
        setError(err instanceof ApiError ? err.message : "Could not read the server's sign-in settings.");
        setStatus("error");
      });
    return () => controller.abort();
  }, [loadUser]);

  useEffect(
    () =>
      tokenStore.subscribe((token) => {
        if (token === null) setUser(null);
        else void loadUser();
      }),
    [loadUser],
  );

  const project = config.supabase;
  useEffect(() => (project ? keepSessionFresh(project) : undefined), [project]);

  const signIn = useCallback(async (email: string, password: string) => {
    const answer = await login(email, password);
    tokenStore.set(tokenOf(answer));
    if (answer.user) setUser(answer.user);
  }, []);

  const register = useCallback(async (email: string, password: string, displayName: string) => {
    const answer = await registerAccount(email, password, displayName);
    tokenStore.set(tokenOf(answer));
    if (answer.user) setUser(answer.user);
  }, []);

  const signInWithToken = useCallback(async (token: string, session?: SupabaseSession | null) => {
    const trimmed = token.trim();
    // The session goes first: a token without a matching session (a pasted one) drops any older session.
    if (session && session.accessToken === trimmed) sessionStore.set(session);
    tokenStore.set(trimmed);
    const me = await fetchMe();
    if (tokenStore.get() === trimmed) setUser(me);
  }, []);

  const signOut = useCallback(() => {
    const session = sessionStore.get();
    // Revoke at the project too (best effort, not awaited): the refresh token must not outlive the sign-out.
    if (project && session && session.accessToken === tokenStore.get()) void revokeSession(project, session);
    sessionStore.clear(); // the refresh token goes with the access token
    tokenStore.clear();
    setUser(null);
  }, [project]);

  const value = useMemo<AuthState>(
    () => ({
      status,
      mode,
      config,
      user,
      signedIn: mode === "none" ? status === "ready" : user !== null,
      error,
      signIn,
      register,
      signInWithToken,
      signOut,
    }),
    [status, mode, config, user, error, signIn, register, signInWithToken, signOut],
  );

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
