/**
 * Email and password sign-in against the Supabase project itself (GoTrue's password grant). The browser talks to
 * Supabase directly with the project's public anon key; our server never sees the password and only verifies the
 * JWT that comes back, exactly as it does for a pasted token. Messages are ours: Supabase's text is not shown.
 * Both ways in (password, OAuth fragment) also hand back the refresh token and expiry that supabaseSession.ts
 * uses to keep the sign-in alive past the access token's hour.
 */

import { ApiError } from "../api/client";
import type { SupabaseProject } from "./api";
import { sessionFromGrant, type GrantFields, type SupabaseSession } from "./supabaseSession";

/** An access token, and the session to refresh it with when the project sent a refresh token. */
export interface SupabaseSignIn {
  token: string;
  session: SupabaseSession | null;
}

/** Errors in the shape the forms already show (only ApiError messages reach the screen). */
function failure(message: string, status: number, code: string): ApiError {
  return new ApiError(message, { status, code });
}

interface GoTrueAnswer extends GrantFields {
  error?: unknown;
  error_code?: unknown;
}

export async function supabasePasswordSignIn(
  project: SupabaseProject,
  email: string,
  password: string,
  now: () => number = Date.now,
): Promise<SupabaseSignIn> {
  let response: Response;
  try {
    response = await fetch(`${project.url}/auth/v1/token?grant_type=password`, {
      method: "POST",
      headers: { apikey: project.anonKey, "Content-Type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
  } catch {
    throw failure("Could not reach the sign-in service. Check your connection and try again.", 0, "unreachable");
  }
  const body = (await response.json().catch(() => ({}))) as GoTrueAnswer;
  if (body.error_code === "email_not_confirmed") {
    throw failure("Confirm your email address first: follow the link Supabase sent you, then sign in.", 400, "unconfirmed");
  }
  if (response.status === 400 || response.status === 401) {
    throw failure("Email or password is incorrect.", response.status, "invalid_grant");
  }
  if (response.status === 429) {
    throw failure("Too many sign-in attempts. Wait a minute and try again.", 429, "rate_limited");
  }
  if (!response.ok || typeof body.access_token !== "string") {
    throw failure("The sign-in service did not answer as expected. Try again later.", response.status, "bad_answer");
  }
  return { token: body.access_token, session: sessionFromGrant(body, now()) };
}

/** Where a provider button sends the browser: the project's OAuth start, coming back to `returnTo` afterwards. */
export function oauthStartUrl(project: SupabaseProject, provider: string, returnTo: string): string {
  const query = new URLSearchParams({ provider, redirect_to: returnTo });
  return `${project.url}/auth/v1/authorize?${query.toString()}`;
}

export type OAuthReturn = SupabaseSignIn | { error: string } | null;

/**
 * What the project put in the URL fragment on the way back (Supabase's implicit flow): an access token with its
 * refresh token and expiry, or an error. The fragment never reaches any server; the caller removes it from the
 * address bar at once.
 */
export function readOAuthReturn(hash: string, now: number = Date.now()): OAuthReturn {
  const fragment = new URLSearchParams(hash.replace(/^#/, ""));
  const token = fragment.get("access_token");
  if (token) return { token, session: sessionFromGrant(Object.fromEntries(fragment), now) };
  if (fragment.get("error")) {
    return { error: "Sign-in with that account was cancelled or refused. Try again, or use your email and password." };
  }
  return null;
}

const PROVIDER_NAMES: Record<string, string> = { github: "GitHub", gitlab: "GitLab", linkedin_oidc: "LinkedIn" };

export function providerLabel(provider: string): string {
  return PROVIDER_NAMES[provider] ?? provider.charAt(0).toUpperCase() + provider.slice(1).replace(/_.*/, "");
}
