/**
 * Sign in or create an account (local mode), or paste a Supabase access token (supabase mode). Server-side
 * validation errors appear under the field they name; anything else appears above the button.
 */

import { useId, useState, type FormEvent, type ReactElement } from "react";
import { ApiError } from "../api/client";
import { useAuth } from "./context";

type Tab = "signin" | "register";

function messageOf(error: unknown): string {
  return error instanceof ApiError ? error.message : "Something went wrong. Try again.";
}

export function SignInForm({ onDone }: { onDone?: () => void }) {
  const auth = useAuth();
  const id = useId();
  const [tab, setTab] = useState<Tab>("signin");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | Error | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (auth.mode === "supabase") await auth.signInWithToken(token);
      else if (tab === "signin") await auth.signIn(email, password);
      else await auth.register(email, password, displayName);
      onDone?.();
    } catch (err) {
      setError(err instanceof Error ? err : new Error(messageOf(err)));
    } finally {
      setBusy(false);
    }
  }

  const fieldError = (field: string) => (error instanceof ApiError ? error.fieldMessage(field) : undefined);
  const general = error && !(error instanceof ApiError && error.fieldErrors.length) ? messageOf(error) : null;

  if (auth.mode === "supabase") {
    return (
      <form className="stack" onSubmit={submit} aria-label="Sign in with a Supabase token">
        <p className="muted">
          This server uses Supabase accounts. Paste the access token your Supabase project issued to you.
        </p>
        <div className="field">
          <label htmlFor={`${id}-token`}>Access token</label>
          <textarea
            id={`${id}-token`}
            className="textarea mono"
            required
            value={token}
            onChange={(event) => setToken(event.target.value)}
          />
        </div>
        {general && <p className="alert alert-error" role="alert">{general}</p>}
        <button className="btn btn-primary" type="submit" disabled={busy}>
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
    );
  }

  const field = (name: string, label: string, input: ReactElement, hint?: string) => (
    <div className="field">
      <label htmlFor={`${id}-${name}`}>{label}</label>
      {input}
      {hint && <span className="hint">{hint}</span>}
      {fieldError(name) && (
        <span className="field-error" id={`${id}-${name}-error`}>
          {fieldError(name)}
        </span>
      )}
    </div>
  );
  const invalid = (name: string) => ({
    "aria-invalid": fieldError(name) ? true : undefined,
    "aria-describedby": fieldError(name) ? `${id}-${name}-error` : undefined,
  });

  return (
    <form className="stack" onSubmit={submit} aria-label={tab === "signin" ? "Sign in" : "Create account"}>
      {auth.config.registration_open && (
        <div className="tabs" role="tablist" aria-label="Account">
          {(["signin", "register"] as const).map((name) => (
            <button
              key={name}
              type="button"
              role="tab"
              aria-selected={tab === name}
              onClick={() => {
                setTab(name);
                setError(null);
              }}
            >
              {name === "signin" ? "Sign in" : "Create account"}
            </button>
          ))}
        </div>
      )}
      {tab === "register" &&
        field(
          "display_name",
          "Name (optional)",
          <input
            id={`${id}-display_name`}
            className="input"
            autoComplete="name"
            value={displayName}
            onChange={(event) => setDisplayName(event.target.value)}
            {...invalid("display_name")}
          />,
        )}
      {field(
        "email",
        "Email",
        <input
          id={`${id}-email`}
          className="input"
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          {...invalid("email")}
        />,
      )}
      {field(
        "password",
        "Password",
        <input
          id={`${id}-password`}
          className="input"
          type="password"
          autoComplete={tab === "signin" ? "current-password" : "new-password"}
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          {...invalid("password")}
        />,
        tab === "register" && auth.config.password_min_length
          ? `At least ${auth.config.password_min_length} characters.`
          : undefined,
      )}
      {general && (
        <p className="alert alert-error" role="alert">
          {general}
        </p>
      )}
      <button className="btn btn-primary" type="submit" disabled={busy}>
        {busy ? "Please wait…" : tab === "signin" ? "Sign in" : "Create account"}
      </button>
    </form>
  );
}
