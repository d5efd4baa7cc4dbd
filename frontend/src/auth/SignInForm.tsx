/**
 * Sign in or create an account (local mode); in supabase mode, sign in with email and password at the Supabase
 * project (when the server names it and its anon key) or paste an access token. Server-side validation errors
 * appear under the field they name; anything else appears above the button.
 */

import { useId, useState, type FormEvent, type KeyboardEvent } from "react";
import { ApiError } from "../api/client";
import { TextField } from "../components/TextField";
import { useAuth } from "./context";
import { oauthStartUrl, providerLabel, supabasePasswordSignIn } from "./supabase";

type Tab = "signin" | "register";

const FORM_FIELDS = ["email", "password", "display_name"];

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
  const project = auth.config.supabase;

  async function submit(event: FormEvent, withToken = false) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (auth.mode === "supabase" && project && !withToken) {
        const signedIn = await supabasePasswordSignIn(project, email, password);
        await auth.signInWithToken(signedIn.token, signedIn.session);
      } else if (auth.mode === "supabase") await auth.signInWithToken(token);
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
  const minLength = auth.config.password_min_length;
  // Errors for the fields on this form appear under them; anything else (rate limit, a field we do not show) above.
  const underFields =
    error instanceof ApiError &&
    error.fieldErrors.length > 0 &&
    error.fieldErrors.every((item) => FORM_FIELDS.includes(item.field));
  const general = error && !underFields ? messageOf(error) : null;

  const alert = general && (
    <p className="alert alert-error" role="alert">
      {general}
    </p>
  );
  const tokenField = (
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
  );

  if (auth.mode === "supabase" && project) {
    return (
      <div className="stack">
        <form className="stack" onSubmit={(event) => void submit(event)} aria-label="Sign in">
          <p className="muted">This server uses Supabase accounts: sign in with your Supabase email and password.</p>
          <TextField label="Email" type="email" autoComplete="email" required value={email} onValueChange={setEmail} />
          <TextField
            label="Password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onValueChange={setPassword}
          />
          {alert}
          <button className="btn btn-primary" type="submit" disabled={busy}>
            {busy ? "Checking…" : "Sign in"}
          </button>
        </form>
        {project.providers.length > 0 && (
          <div className="stack-sm" role="group" aria-label="Other ways to sign in">
            {project.providers.map((provider) => (
              <a
                key={provider}
                className="btn"
                href={oauthStartUrl(project, provider, window.location.href.replace(/#.*$/, ""))}
              >
                Continue with {providerLabel(provider)}
              </a>
            ))}
          </div>
        )}
        <details>
          <summary>Use an access token instead</summary>
          <form className="stack" onSubmit={(event) => void submit(event, true)} aria-label="Sign in with a token">
            {tokenField}
            <button className="btn" type="submit" disabled={busy}>
              Sign in with the token
            </button>
          </form>
        </details>
      </div>
    );
  }

  if (auth.mode === "supabase") {
    return (
      <form className="stack" onSubmit={(event) => void submit(event, true)} aria-label="Sign in with a Supabase token">
        <p className="muted">
          This server uses Supabase accounts. Paste the access token your Supabase project issued to you.
        </p>
        {tokenField}
        {alert}
        <button className="btn btn-primary" type="submit" disabled={busy}>
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
    );
  }

  const tabs = ["signin", "register"] as const;
  const choose = (name: Tab) => {
    setTab(name);
    setError(null);
  };
  // Tabs follow the ARIA pattern: one tab stop, arrow keys move between them, the form is the tab panel.
  const onTabKey = (event: KeyboardEvent<HTMLButtonElement>) => {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    const next = tab === "signin" ? "register" : "signin";
    choose(next);
    document.getElementById(`${id}-tab-${next}`)?.focus();
  };

  return (
    <>
      {auth.config.registration_open && (
        <div className="tabs" role="tablist" aria-label="Account">
          {tabs.map((name) => (
            <button
              key={name}
              id={`${id}-tab-${name}`}
              type="button"
              role="tab"
              aria-selected={tab === name}
              aria-controls={`${id}-panel`}
              tabIndex={tab === name ? 0 : -1}
              onClick={() => choose(name)}
              onKeyDown={onTabKey}
            >
              {name === "signin" ? "Sign in" : "Create account"}
            </button>
          ))}
        </div>
      )}
      <form
        id={`${id}-panel`}
        className="stack"
        onSubmit={submit}
        role={auth.config.registration_open ? "tabpanel" : undefined}
        aria-labelledby={auth.config.registration_open ? `${id}-tab-${tab}` : undefined}
        aria-label={auth.config.registration_open ? undefined : "Sign in"}
      >
        {tab === "register" && (
          <TextField
            label="Name (optional)"
            autoComplete="name"
            value={displayName}
            onValueChange={setDisplayName}
            error={fieldError("display_name")}
          />
        )}
        <TextField
          label="Email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onValueChange={setEmail}
          error={fieldError("email")}
        />
        <TextField
          label="Password"
          type="password"
          autoComplete={tab === "signin" ? "current-password" : "new-password"}
          required
          value={password}
          onValueChange={setPassword}
          hint={minLength && tab === "register" ? `At least ${minLength} characters.` : undefined}
          error={fieldError("password")}
        />
        {general && (
          <p className="alert alert-error" role="alert">
            {general}
          </p>
        )}
        <button className="btn btn-primary" type="submit" disabled={busy}>
          {busy ? "Please wait…" : tab === "signin" ? "Sign in" : "Create account"}
        </button>
      </form>
    </>
  );
}
