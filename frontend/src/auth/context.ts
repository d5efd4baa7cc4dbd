/** The auth context's shape and the `useAuth()` hook; the provider lives in AuthProvider.tsx. */

import { createContext, useContext } from "react";
import type { Account, AuthConfig, AuthMode } from "./api";
import type { SupabaseSession } from "./supabaseSession";

export interface AuthState {
  /** "loading" until `/api/auth/config` answered; "error" when the server could not be reached. */
  status: "loading" | "ready" | "error";
  mode: AuthMode;
  config: AuthConfig;
  user: Account | null;
  /** True when requests will be accepted: mode "none", or a token that the server accepted. */
  signedIn: boolean;
  error: string | null;
  signIn(email: string, password: string): Promise<void>;
  register(email: string, password: string, displayName: string): Promise<void>;
  /**
   * Supabase mode: use an access token issued by the Supabase project. With the `session` it came in (password
   * grant, OAuth return) the sign-in is refreshed before the token expires; a pasted token lasts as long as it does.
   */
  signInWithToken(token: string, session?: SupabaseSession | null): Promise<void>;
  signOut(): void;
}

export const AuthContext = createContext<AuthState | null>(null);

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error("useAuth() must be used inside <AuthProvider>");
  return state;
}
