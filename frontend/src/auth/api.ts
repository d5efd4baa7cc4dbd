/**
 * The account endpoints. Paths and shapes live here only, so the auth context and tests agree on one place.
 * `GET /api/auth/config` says which mode the server runs in; `local` mode issues our own bearer tokens.
 */

import { ApiError, apiFetch } from "../api/client";

export type AuthMode = "none" | "local" | "supabase";

export interface AuthConfig {
  mode: AuthMode;
  /** Local mode: whether "Create account" is offered. */
  registration_open: boolean;
  password_min_length: number | null;
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

const NO_ACCOUNTS: AuthConfig = { mode: "none", registration_open: false, password_min_length: null };

export async function fetchAuthConfig(signal?: AbortSignal): Promise<AuthConfig> {
  try {
    const config = await apiFetch<Partial<AuthConfig>>(AUTH_PATHS.config, { signal });
    const mode = config?.mode === "local" || config?.mode === "supabase" ? config.mode : "none";
    return {
      mode,
      registration_open: config?.registration_open ?? mode === "local",
      password_min_length: typeof config?.password_min_length === "number" ? config.password_min_length : null,
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
