/** `/signin`: the sign-in form on its own page; returns to `?next=` (a same-site path only) afterwards. */

import { Link, useNavigate, useSearchParams } from "react-router-dom";
import { useDocumentTitle } from "../components/useDocumentTitle";
import { useAuth } from "./context";
import { SignInForm } from "./SignInForm";

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
