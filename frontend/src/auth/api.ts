/**
 * The account endpoints. Paths and shapes live here only, so the auth context and tests agree on one place.
 * `GET /api/auth/config` says which mode the server runs in; `local` mode issues our own bearer tokens.
 */

import { ApiError, apiFetch } from "../api/client";

export type AuthMode = "none" | "local" | "supabase";

/** A Supabase project the browser can sign in to directly (its anon key is public by design). */
export interface SupabaseProject {
  url: string;
  anonKey: string;
  /** OAuth providers enabled in the project (google, github, ...), offered as buttons. */
  providers: string[];
}

export interface AuthConfig {
  mode: AuthMode;
  /** Local mode: whether "Create account" is offered. */
  registration_open: boolean;
  password_min_length: number | null;
  /** Supabase mode with SUPABASE_URL and SUPABASE_ANON_KEY set: email and password sign-in is offered. */
  supabase: SupabaseProject | null;
}

export interface Account {
  id?: string;
  email?: string | null;
  display_name?: string | null;
  role?: string;
}

export interface TokenAnswer {
  access_token?: string;
  token?: string;
  user?: Account;
}

export const AUTH_PATHS = {
  config: "/api/auth/config",
  login: "/api/auth/login",
  register: "/api/auth/register",
  me: "/api/auth/me",
} as const;

/** What a server without accounts (or one whose config cannot be read yet) looks like. */
export const NO_ACCOUNTS: AuthConfig = { mode: "none", registration_open: false, password_min_length: null, supabase: null };

interface ConfigAnswer extends Partial<Omit<AuthConfig, "supabase">> {
  supabase_url?: string | null;
  supabase_anon_key?: string | null;
  supabase_oauth_providers?: string[] | null;
}

export async function fetchAuthConfig(signal?: AbortSignal): Promise<AuthConfig> {
  try {
    const config = await apiFetch<ConfigAnswer>(AUTH_PATHS.config, { signal });
    const mode = config?.mode === "local" || config?.mode === "supabase" ? config.mode : "none";
    const url = config?.supabase_url;
    const anonKey = config?.supabase_anon_key;
    return {
      mode,
      registration_open: config?.registration_open ?? mode === "local",
      password_min_length: typeof config?.password_min_length === "number" ? config.password_min_length : null,
      supabase:
        mode === "supabase" && url && anonKey
          ? { url: url.replace(/\/+$/, ""), anonKey, providers: config?.supabase_oauth_providers ?? [] }
          : null,
    };
  } catch (error) {
    // A server without account routes is a single-user install: nothing to sign in to.
    if (error instanceof ApiError && error.status === 404) return NO_ACCOUNTS;
    throw error;
  }
}

export function tokenOf(answer: TokenAnswer): string {
  const token = answer.access_token ?? answer.token;
  if (!token) {
    throw new ApiError("The server did not return a sign-in token.", { status: 200, code: "no_token" });
  }
  return token;
}

export function login(email: string, password: string): Promise<TokenAnswer> {
  return apiFetch<TokenAnswer>(AUTH_PATHS.login, { method: "POST", body: { email, password } });
}

export function register(email: string, password: string, displayName: string): Promise<TokenAnswer> {
  const body: Record<string, string> = { email, password };
  if (displayName.trim()) body.display_name = displayName.trim();
  return apiFetch<TokenAnswer>(AUTH_PATHS.register, { method: "POST", body });
}

export function fetchMe(signal?: AbortSignal): Promise<Account> {
  return apiFetch<Account>(AUTH_PATHS.me, { signal });
}
