/** The account corner of the top navigation: nothing in mode "none", else who is signed in or a sign-in link. */

import { Link, useLocation } from "react-router-dom";
import { useAuth } from "./context";

export function AccountMenu() {
  const auth = useAuth();
  const location = useLocation();
  if (auth.status !== "ready" || auth.mode === "none") return null;
  if (auth.user) {
    const name = auth.user.display_name || auth.user.email || "Signed in";
    return (
      <>
        <span className="who small muted" title={name}>
          {name}
        </span>
        <button className="btn btn-ghost btn-sm" type="button" onClick={auth.signOut}>
          Sign out
        </button>
      </>
    );
  }
  if (location.pathname === "/signin") return null;
  const next = encodeURIComponent(location.pathname + location.search);
  return (
    <Link className="btn btn-sm" to={`/signin?next=${next}`}>
      Sign in
    </Link>
  );
}
