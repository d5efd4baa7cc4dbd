/**
 * `/admin/users/:id`: one account's emails (paginated by the API's `page`/`per_page`, kept in the address so a
 * reload or a shared link shows the same page), its queue (probes excluded by the server) and its templates.
 *
 * The heading uses the row the users table passed along, or, on a direct link, `GET /api/admin/users/{id}`; an
 * unknown id is named by id (its sections then say there is no such user).
 */

import type { ReactNode } from "react";
import { Link, useLocation, useParams, useSearchParams } from "react-router-dom";
import { formatDate, STATUS_LABELS, STEP_LABELS, statusBadge } from "../scribe/api";
import { adminApi, LIST_MAX } from "./api";
import { formatCount, parsePositive, personLabel, plural } from "./format";
import { Loadable, Pager } from "./parts";
import type { AdminQueueItem, AdminUserRow, PaginatedEmails } from "./types";
import { useLoad, type Loaded } from "./useLoad";

const PER_PAGE_DEFAULT = 10;
const PER_PAGE_CHOICES = [10, 20, 50, 100];

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section className="stack-sm admin-section" aria-labelledby={id}>
      <h2 id={id} className="admin-h2">
        {title}
      </h2>
      {children}
    </section>
  );
}

function useAccount(id: string): AdminUserRow | null {
  const location = useLocation();
  const passed = (location.state as { user?: AdminUserRow } | null)?.user;
  const known = passed?.id === id ? passed : null;
  const lookup = useLoad((signal) => (known ? Promise.resolve(known) : adminApi.user(id, signal)), [id, known === null]);
  return known ?? lookup.data ?? null;
}

function Header({ id, account }: { id: string; account: AdminUserRow | null }) {
  return (
    <header className="page-header stack-sm">
      <Link className="small" to="/admin">
        ← All users
      </Link>
      <h1 data-testid="admin-user-name">{account ? personLabel(account) : `User ${id}`}</h1>
      {account && (
        <div className="cluster small muted">
          {account.email && account.display_name ? <span>{account.email}</span> : null}
          <span className={`badge ${account.role === "admin" ? "badge-info" : "badge-muted"}`}>{account.role}</span>
          <span>Joined {formatDate(account.created_at)}</span>
          <span>
            {plural(account.actual_email_count, "email")} · {formatCount(account.queue_submissions)} submitted ·{" "}
            {formatCount(account.failed_count)} failed · {plural(account.template_count, "template")}
          </span>
        </div>
      )}
    </header>
  );
}

function Emails({ emails, perPage }: { emails: Loaded<PaginatedEmails>; perPage: number }) {
  const [params, setParams] = useSearchParams();

  function go(changes: Record<string, number>) {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) next.set(key, String(value));
    setParams(next);
  }

  const total = emails.data?.total;
  return (
    <Section id="user-emails-title" title={total === undefined ? "Emails" : `Emails (${formatCount(total)})`}>
      <Loadable state={emails} isEmpty={(result) => result.total === 0} empty="This user has no emails yet.">
        {(result) =>
          result.items.length === 0 ? (
            <div className="empty">
              Page {result.page} is past the end.{" "}
              <button type="button" className="btn btn-sm" onClick={() => go({ page: 1 })}>
                Go to page 1
              </button>
            </div>
          ) : (
            <>
              <ul className="admin-list" data-testid="user-emails">
                {result.items.map((email) => (
                  <li key={email.id} className="card admin-email" data-email-id={email.id}>
                    <div className="spread">
                      <span>
                        <strong className="admin-recipient">{email.recipient_name}</strong>
                        <span className="small muted"> · {email.recipient_interest}</span>
                      </span>
                      <span className="cluster">
                        <span className={`badge ${statusBadge(email.status)}`}>
                          {STATUS_LABELS[email.status] ?? email.status}
                        </span>
                        {!email.displayed && <span className="badge badge-muted">discarded</span>}
                        <time className="small muted admin-when" dateTime={email.created_at}>
                          {formatDate(email.created_at)}
                        </time>
                      </span>
                    </div>
                    <details>
                      <summary>{email.subject || "(no subject)"}</summary>
                      <pre className="admin-body">{email.email_message}</pre>
                      {email.review_reasons.length > 0 && (
                        <div className="small muted">
                          Why it needs review:
                          <ul className="admin-reasons">
                            {email.review_reasons.map((reason) => (
                              <li key={reason}>{reason}</li>
                            ))}
                          </ul>
                        </div>
                      )}
                    </details>
                  </li>
                ))}
              </ul>
              <div className="spread">
                <Pager label="Email pages" page={result.page} perPage={result.per_page} shown={result.items.length}
                  total={result.total} onPage={(to) => go({ page: to })} busy={emails.loading} />
                <label className="cluster small muted">
                  Per page
                  <select className="select admin-per-page" value={perPage}
                    onChange={(event) => go({ per_page: Number(event.target.value), page: 1 })}>
                    {PER_PAGE_CHOICES.map((choice) => (
                      <option key={choice} value={choice}>{choice}</option>
                    ))}
                  </select>
                </label>
              </div>
            </>
          )
        }
      </Loadable>
    </Section>
  );
}

function describe(item: AdminQueueItem): string {
  if (item.status === "failed") return item.error_message || "Failed";
  if (item.status === "processing") return STEP_LABELS[item.current_step ?? ""] ?? "Starting";
  if (item.status === "pending") return item.error_message || "Waiting";
  return "—";
}

function Queue({ id }: { id: string }) {
  const queue = useLoad((signal) => adminApi.userQueue(id, signal), [id]);
  return (
    <Section id="user-queue-title" title="Queue">
      <Loadable state={queue} isEmpty={(rows) => rows.length === 0} empty="Nothing submitted yet.">
        {(rows) => (
          <>
            <div className="table-wrap">
              <table className="table" data-testid="user-queue">
                <thead>
                  <tr>
                    <th scope="col">Recipient</th>
                    <th scope="col">Status</th>
                    <th scope="col">Step or error</th>
                    <th scope="col" className="num">Tries</th>
                    <th scope="col">Submitted</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((item) => (
                    <tr key={item.id}>
                      <td>{item.recipient_name}</td>
                      <td>
                        <span className={`badge ${statusBadge(item.status)}`}>{STATUS_LABELS[item.status] ?? item.status}</span>
                      </td>
                      <td className={`small admin-message${item.status === "failed" ? " admin-bad" : " muted"}`}>
                        {describe(item)}
                      </td>
                      <td className="num">{item.attempts}</td>
                      <td className="small muted admin-when">{formatDate(item.created_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {rows.length >= LIST_MAX && <p className="small muted">The newest {LIST_MAX} are shown.</p>}
          </>
        )}
      </Loadable>
    </Section>
  );
}

function Templates({ id }: { id: string }) {
  const templates = useLoad((signal) => adminApi.userTemplates(id, signal), [id]);
  return (
    <Section id="user-templates-title" title="Templates">
      <Loadable state={templates} isEmpty={(rows) => rows.length === 0} empty="No saved templates.">
        {(rows) => (
          <ul className="admin-templates" data-testid="user-templates">
            {rows.map((template) => (
              <li key={template.id} className="card stack-sm admin-template">
                <div className="spread">
                  <strong>{template.name || "Untitled"}</strong>
                  {template.template_type && <span className="badge badge-info">{template.template_type}</span>}
                </div>
                <p className="small muted">
                  {template.origin === "resume" ? `From ${template.resume_filename ?? "a résumé"}` : "Written by hand"} ·{" "}
                  {formatDate(template.created_at)}
                  {template.placeholders.length > 0 ? ` · ${template.placeholders.join(" ")}` : ""}
                </p>
                <details>
                  <summary className="small">Show the text</summary>
                  <pre className="admin-body">{template.template_text}</pre>
                </details>
              </li>
            ))}
          </ul>
        )}
      </Loadable>
    </Section>
  );
}

export function UserView() {
  const { id = "" } = useParams();
  const account = useAccount(id);
  const [params] = useSearchParams();
  const page = parsePositive(params.get("page"), 1);
  const perPage = parsePositive(params.get("per_page"), PER_PAGE_DEFAULT, 100);
  // Loaded here rather than in <Emails>: its 404 means the account does not exist, which decides the whole page.
  const emails = useLoad((signal) => adminApi.userEmails(id, page, perPage, signal), [id, page, perPage]);
  if (emails.status === 404) {
    return (
      <div className="stack">
        <Header id={id} account={null} />
        <div className="empty">There is no user with this id. It may have been deleted.</div>
      </div>
    );
  }
  return (
    <div className="stack-lg">
      <Header id={id} account={account} />
      <Emails emails={emails} perPage={perPage} />
      <Queue id={id} />
      <Templates id={id} />
    </div>
  );
}
