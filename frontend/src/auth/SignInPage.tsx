/** `/signin`: the sign-in form on its own page; returns to `?next=` (a same-site path only) afterwards. */

import { useEffect, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import { ApiError } from "../api/client";
import { useDocumentTitle } from "../components/useDocumentTitle";
import { useAuth } from "./context";
import { SignInForm } from "./SignInForm";
import { readOAuthReturn } from "./supabase";

function safeNext(value: string | null): string {
  // Only local paths: "//evil.example" or "https://..." would turn the redirect into an open redirect.
  return value && value.startsWith("/") && !value.startsWith("//") ? value : "/";
}

export default function SignInPage() {
  useDocumentTitle("Sign in");
  const auth = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const [oauthError, setOauthError] = useState<string | null>(null);
  const { status, mode, signInWithToken } = auth;

  // Back from a provider (Supabase's implicit flow): take the tokens from the fragment, drop the fragment from the
  // address bar and history, then sign in with them like a password sign-in (refreshed before expiry).
  useEffect(() => {
    if (status !== "ready" || mode !== "supabase") return;
    const back = readOAuthReturn(window.location.hash);
    if (!back) return;
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    if ("error" in back) {
      setOauthError(back.error);
      return;
    }
    signInWithToken(back.token, back.session)
      .then(() => navigate(next, { replace: true }))
      .catch((err: unknown) =>
        setOauthError(err instanceof ApiError ? err.message : "Signing in with that account failed. Try again."),
      );
  }, [status, mode, signInWithToken, navigate, next]);

  if (auth.status === "ready" && auth.mode === "none") {
    return (
      <div className="container">
        <section className="card auth-panel stack">
          <h1>No sign-in needed</h1>
          <p>This server runs for a single person: everything is available without an account.</p>
          <Link className="btn btn-primary" to="/">
            Go to the start page
          </Link>
        </section>
      </div>
    );
  }

  return (
    <div className="container">
      <section className="card auth-panel stack" aria-labelledby="signin-title">
        <h1 id="signin-title">{auth.user ? "You are signed in" : "Sign in"}</h1>
        {oauthError && (
          <p className="alert alert-error" role="alert">
            {oauthError}
          </p>
        )}
        {auth.user ? (
          <Link className="btn btn-primary" to={next}>
            Continue
          </Link>
        ) : (
          <SignInForm onDone={() => navigate(next, { replace: true })} />
        )}
      </section>
    </div>
  );
}
