/** Small pieces every admin section shares: the loading line, an error with "Try again", a pager, "Admins only". */

import type { ReactNode } from "react";
import { Link } from "react-router-dom";
import { useAuth } from "../auth/context";
import { pageRange, personLabel } from "./format";

export function Pending({ label = "Loading…" }: { label?: string }) {
  return (
    <p className="muted" role="status">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

export function Failed({ error, onRetry }: { error: string; onRetry(): void }) {
  return (
    <div className="alert alert-error spread" role="alert">
      <span>{error}</span>
      <button type="button" className="btn btn-sm" onClick={onRetry}>
        Try again
      </button>
    </div>
  );
}

/** A section's body by state: spinner first, then the error (with retry), the empty note, or the content. */
export function Loadable<T>({
  state,
  empty,
  isEmpty,
  children,
}: {
  state: { data: T | null; error: string | null; reload(): void };
  empty: ReactNode;
  isEmpty(data: T): boolean;
  children(data: T): ReactNode;
}) {
  if (state.error) return <Failed error={state.error} onRetry={state.reload} />;
  if (state.data === null) return <Pending />;
  if (isEmpty(state.data)) return <div className="empty">{empty}</div>;
  return <>{children(state.data)}</>;
}

/** "21–40 of 53", with Previous/Next when there is more than one page; `page` is 1-based. */
export function Pager({
  label,
  page,
  perPage,
  shown,
  total,
  onPage,
  busy = false,
}: {
  label: string;
  page: number;
  perPage: number;
  shown: number;
  total: number;
  onPage(page: number): void;
  busy?: boolean;
}) {
  const last = Math.max(1, Math.ceil(total / perPage));
  return (
    <nav className="spread admin-pager" aria-label={label}>
      <span className="small muted" aria-live="polite">
        {pageRange(page, perPage, shown, total)}
        {busy ? " · loading…" : ""}
      </span>
      {(last > 1 || page > 1) && (
        <span className="cluster">
          <button type="button" className="btn btn-sm" disabled={page <= 1} onClick={() => onPage(page - 1)}>
            Previous
          </button>
          <button type="button" className="btn btn-sm" disabled={page >= last} onClick={() => onPage(page + 1)}>
            Next
          </button>
        </span>
      )}
    </nav>
  );
}

/** What a signed-in non-admin sees at /admin: the server answered 403. */
export function AdminsOnly() {
  const auth = useAuth();
  const who = auth.user ? personLabel(auth.user) : null;
  return (
    <div className="container">
      <section className="card stack-sm admin-denied" aria-labelledby="admins-only-title">
        <h1 id="admins-only-title">Admins only</h1>
        <p>
          This page shows every account's activity, so only the server's administrators can open it.
          {who ? (
            <>
              {" "}
              You are signed in as <strong>{who}</strong>, which is not an admin account.
            </>
          ) : null}
        </p>
        <p className="small muted">
          Administrators are the accounts listed in <code>ADMIN_EMAILS</code> and the first local account created on
          the server. Ask one of them if you need access.
        </p>
        <div className="cluster">
          <Link className="btn btn-primary" to="/scribe">
            Go to Scribe
          </Link>
          <Link className="btn" to="/">
            Start page
          </Link>
        </div>
      </section>
    </div>
  );
}
