/**
 * Wrap a page that needs an account: renders its children when the server needs no sign-in or the user is
 * signed in, and the sign-in form in their place otherwise. App pages use this instead of checking modes.
 */

import type { ReactNode } from "react";
import { useAuth } from "./context";
import { SignInForm } from "./SignInForm";

export function RequireAuth({ children, what = "this page" }: { children: ReactNode; what?: string }) {
  const auth = useAuth();
  if (auth.status === "loading") {
    return (
      <p className="muted" role="status">
        <span className="spinner" aria-hidden="true" /> Loading…
      </p>
    );
  }
  if (auth.signedIn || auth.mode === "none") return <>{children}</>;
  return (
    <section className="card auth-panel stack" aria-labelledby="auth-required-title">
      <h2 id="auth-required-title">Sign in to use {what}</h2>
      <SignInForm />
    </section>
  );
}
