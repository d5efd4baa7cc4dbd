/**
 * Email history: search, a status filter, discarded emails on request, pages of 20 with the total, and export of
 * exactly what the filter shows (CSV, JSON or a zip of .eml drafts). Drafts that need review stay out of an export
 * unless the box is ticked, and when the server says an export holds drafts that are not ready (or left some out),
 * the user reads that before the file is saved. The filter lives in the URL, so a reload or
 * a shared link shows the same page.
 */

import { useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { fetchFile, formatDate, saveBlob, scribeApi, statusBadge, STATUS_LABELS } from "./api";
import { ConfirmBar, type Ask } from "./ConfirmBar";
import { EmailMailBadge } from "./mail/MailBadge";
import { useToast } from "../components/toast-context";
import type { EmailPage } from "./types";

const PAGE = 20;

export function HistoryView() {
  const [params, setParams] = useSearchParams();
  const [page, setPage] = useState<EmailPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [query, setQuery] = useState(params.get("q") ?? "");
  const [includeReview, setIncludeReview] = useState(false);
  const [ask, setAsk] = useState<Ask | null>(null);
  const toast = useToast();
  const offset = Number(params.get("offset") ?? 0) || 0;

  useEffect(() => {
    const search = new URLSearchParams(params);
    search.set("limit", String(PAGE));
    scribeApi
      .emails(search)
      .then((result) => (setPage(result), setError(null)))
      .catch((problem: unknown) => setError(problem instanceof Error ? problem.message : String(problem)));
  }, [params]);

  function update(changes: Record<string, string | null>) {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === "") next.delete(key);
      else next.set(key, value);
    }
    if (!("offset" in changes)) next.delete("offset");
    setParams(next, { replace: true });
  }

  function exportAs(format: "csv" | "json" | "eml") {
    const search = new URLSearchParams();
    search.set("format", format);
    for (const key of ["q", "include_discarded", "status"]) {
      const value = params.get(key);
      if (value) search.set(key, value);
    }
    if (includeReview) search.set("include_review", "true");
    const name = format === "eml" ? "scribe-emails.zip" : `scribe-emails.${format}`;
    setAsk(null);
    fetchFile(`/api/email/export?${search.toString()}`)
      .then(({ blob, flagged, leftOut }) => {
        if (!flagged) {
          saveBlob(blob, name);
          if (leftOut) toast(`${leftOut} draft${leftOut === 1 ? "" : "s"} that need review ${leftOut === 1 ? "was" : "were"} left out. Tick "Include drafts that need review" to add them.`);
          return;
        }
        setAsk({
          title: "Before you download",
          message:
            `${flagged} draft${flagged === 1 ? "" : "s"} in this export ${flagged === 1 ? "is" : "are"} not ready to ` +
            "send: they need review or still hold a placeholder such as {{paper_title}}. Each one says why inside " +
            "the file." +
            (leftOut ? ` ${leftOut} other draft${leftOut === 1 ? "" : "s"} that need review ${leftOut === 1 ? "was" : "were"} left out.` : ""),
          confirm: "Download anyway",
          onConfirm: () => saveBlob(blob, name),
        });
      })
      .catch((problem: unknown) => setError(problem instanceof Error ? problem.message : String(problem)));
  }

  return (
    <section className="stack" aria-labelledby="history-title">
      <div className="spread">
        <h2 id="history-title" className="h-section">
          Emails
        </h2>
        <div className="cluster" role="group" aria-label="Export">
          <span className="small muted">Export</span>
          <button type="button" className="btn btn-sm" onClick={() => exportAs("csv")}>CSV</button>
          <button type="button" className="btn btn-sm" onClick={() => exportAs("json")}>JSON</button>
          <button type="button" className="btn btn-sm" onClick={() => exportAs("eml")}>.eml</button>
          <label className="checkbox small">
            <input type="checkbox" checked={includeReview} onChange={(event) => setIncludeReview(event.target.checked)} />
            Include drafts that need review
          </label>
        </div>
      </div>
      <ConfirmBar ask={ask} onClose={() => setAsk(null)} />
      <form className="cluster history-filters" role="search" onSubmit={(event) => (event.preventDefault(), update({ q: query }))}>
        <label className="visually-hidden" htmlFor="history-search">Search emails</label>
        <input id="history-search" className="input" type="search" placeholder="Search by name, topic or text"
          value={query} onChange={(event) => setQuery(event.target.value)} />
        <label className="visually-hidden" htmlFor="history-status">Status</label>
        <select id="history-status" className="select" value={params.get("status") ?? ""}
          onChange={(event) => update({ status: event.target.value })}>
          <option value="">Any status</option>
          <option value="completed">Ready</option>
          <option value="needs_review">Needs review</option>
        </select>
        <label className="checkbox small">
          <input type="checkbox" checked={params.get("include_discarded") === "true"}
            onChange={(event) => update({ include_discarded: event.target.checked ? "true" : null })} />
          Show discarded
        </label>
        <button type="submit" className="btn">Search</button>
      </form>
      {error && <p className="alert alert-error">{error}</p>}
      {page === null ? (
        <p className="muted" role="status"><span className="spinner" aria-hidden="true" /> Loading…</p>
      ) : page.items.length === 0 ? (
        <div className="empty">{params.get("q") ? "No email matches that search." : "No emails yet."}</div>
      ) : (
        <>
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Recipient</th>
                  <th scope="col">Subject</th>
                  <th scope="col">Status</th>
                  <th scope="col">Written</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((email) => (
                  <tr key={email.id} className={email.displayed ? undefined : "row-discarded"}>
                    <td>
                      <Link to={`/scribe/emails/${email.id}`}>{email.recipient_name}</Link>
                      <div className="small muted">{email.recipient_interest}</div>
                    </td>
                    <td>{email.subject}</td>
                    <td>
                      <span className={`badge ${statusBadge(email.status)}`}>{STATUS_LABELS[email.status]}</span>
                      {!email.displayed && <span className="badge badge-muted">discarded</span>}
                      <EmailMailBadge mail={email.mail} />
                    </td>
                    <td className="small muted">{formatDate(email.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav className="spread" aria-label="Pages">
            <span className="small muted" data-testid="history-range">
              {offset + 1}–{offset + page.items.length} of {page.total}
            </span>
            <span className="cluster">
              <button type="button" className="btn btn-sm" disabled={offset === 0}
                onClick={() => update({ offset: String(Math.max(0, offset - PAGE)) })}>Previous</button>
              <button type="button" className="btn btn-sm" disabled={offset + PAGE >= page.total}
                onClick={() => update({ offset: String(offset + PAGE) })}>Next</button>
            </span>
          </nav>
        </>
      )}
    </section>
  );
}
