/**
 * Reviewing one email: the draft beside its evidence. Every claim is a card that names the sources behind it
 * with the excerpt actually used, so checking a fact takes one glance. The verdict (ready or needs review), the
 * reasons and each check are shown above the draft; edit, regenerate, discard, copy and export are one click.
 */

import { useCallback, useEffect, useState, type ReactNode } from "react";
import { Link, useParams } from "react-router-dom";
import { ApiError } from "../api/client";
import { useToast } from "../components/toast-context";
import { useDocumentTitle } from "../components/useDocumentTitle";
import { SOURCE_LABELS, download, formatDate, scribeApi } from "./api";
import type { EmailDetail, Source } from "./types";

const CHECK_LABELS: Record<string, string> = {
  evidence: "Evidence about this person",
  composer: "Composer model",
  placeholders: "No placeholders left",
  recipient_name: "Recipient named",
  titles: "Cited titles are in the sources",
  claims: "Every claim has a source",
  links: "No invented links or addresses",
  style: "No AI tells",
  length: "Length",
};

/** The body with every placeholder still in it marked, so what is left to fill cannot be missed. */
function BodyWithLeftovers({ body, placeholders }: { body: string; placeholders: string[] }) {
  const present = placeholders.filter((raw) => body.includes(raw));
  if (present.length === 0) return <>{body}</>;
  const pattern = new RegExp(present.map((raw) => raw.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g");
  const parts: ReactNode[] = [];
  let last = 0;
  for (const match of body.matchAll(pattern)) {
    const start = match.index ?? 0;
    parts.push(body.slice(last, start), <mark key={start} className="leftover">{match[0]}</mark>);
    last = start + match[0].length;
  }
  parts.push(body.slice(last));
  return <>{parts}</>;
}

function SourceCard({ source }: { source: Source }) {
  return (
    <article className="source-card" data-testid="source-card">
      <div className="spread">
        <span className="badge badge-muted">
          {source.source_key} · {SOURCE_LABELS[source.kind] ?? source.kind}
        </span>
        <span className="small muted">retrieved {formatDate(source.retrieved_at)}</span>
      </div>
      <h4 className="source-title">
        {source.url ? (
          <a href={source.url} target="_blank" rel="noopener noreferrer nofollow">
            {source.title || source.url}
          </a>
        ) : (
          source.title
        )}
      </h4>
      {source.excerpt && <blockquote className="source-excerpt">{source.excerpt}</blockquote>}
    </article>
  );
}

function Editor({ email, onSaved }: { email: EmailDetail; onSaved: (email: EmailDetail) => void }) {
  const [subject, setSubject] = useState(email.subject);
  const [body, setBody] = useState(email.email_message);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  async function save() {
    setSaving(true);
    setError(null);
    try {
      onSaved(await scribeApi.updateEmail(email.id, { subject, email_message: body }));
    } catch (problem) {
      setError(problem instanceof ApiError ? problem.message : "Could not save.");
    } finally {
      setSaving(false);
    }
  }
  return (
    <form className="stack-sm" onSubmit={(event) => (event.preventDefault(), void save())}>
      <div className="field">
        <label htmlFor="email-subject">Subject</label>
        <input id="email-subject" className="input" value={subject} onChange={(e) => setSubject(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="email-body">Body</label>
        <textarea id="email-body" className="textarea email-body-input" value={body}
          onChange={(e) => setBody(e.target.value)} />
      </div>
      {error && <p className="alert alert-error small">{error}</p>}
      <div className="cluster">
        <button type="submit" className="btn btn-primary" disabled={saving}>
          {saving ? "Saving…" : "Save"}
        </button>
        <button type="button" className="btn btn-ghost" onClick={() => onSaved(email)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function EmailView() {
  const { id = "" } = useParams();
  const toast = useToast();
  const [email, setEmail] = useState<EmailDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const [rewriting, setRewriting] = useState(false);
  useDocumentTitle(email ? `Email to ${email.recipient_name}` : "Email");

  const load = useCallback(() => {
    scribeApi
      .email(id)
      .then(setEmail)
      .catch((problem: unknown) => setError(problem instanceof Error ? problem.message : String(problem)));
  }, [id]);
  useEffect(load, [load]);

  /** Regenerate, then follow the task until the new version is stored and show it. */
  async function regenerate() {
    const { task_id } = await scribeApi.regenerate(id);
    setRewriting(true);
    try {
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const status = await scribeApi.status(task_id);
        if (status.status !== "PENDING" && status.status !== "STARTED") {
          if (status.status === "FAILURE") toast(status.error ?? "Regeneration failed.", { kind: "error" });
          break;
        }
      }
    } finally {
      setRewriting(false);
      load();
    }
  }

  async function run(label: string, action: () => Promise<unknown>) {
    try {
      await action();
    } catch (problem) {
      toast(problem instanceof Error ? problem.message : `${label} failed.`, { kind: "error" });
    }
  }

  if (error) return <p className="alert alert-error">{error}</p>;
  if (!email) {
    return (
      <p className="muted" role="status">
        <span className="spinner" aria-hidden="true" /> Loading…
      </p>
    );
  }
  const sources = new Map(email.sources.map((source) => [source.source_key, source]));
  const cited = new Set(email.claims.flatMap((claim) => claim.source_ids));
  const uncited = email.sources.filter((source) => !cited.has(source.source_key));

  return (
    <div className="email-review">
      <section className="stack" aria-labelledby="email-title">
        <div className="spread">
          <div>
            <p className="small muted">
              <Link to="/scribe/emails">All emails</Link> · {email.template_type} · version {email.version} ·{" "}
              {email.composer === "llm" ? "written with a model" : "offline mail merge"}
            </p>
            <h2 id="email-title">To {email.recipient_name}</h2>
            <p className="small muted">
              {email.recipient_interest}
              {email.recipient_email ? ` · ${email.recipient_email}` : ""}
            </p>
          </div>
          {email.is_confident ? (
            <span className="badge badge-ok verdict">Ready to send</span>
          ) : (
            <span className="badge badge-warn verdict">Needs review</span>
          )}
        </div>
        {!email.displayed && <p className="alert alert-info small">This email is discarded. Restore it to see it in your history.</p>}
        {email.review_reasons.length > 0 && (
          <div className="alert review-reasons" role="note">
            <strong>Before sending, look at:</strong>
            <ul className="compact-list">
              {email.review_reasons.map((reason) => (
                <li key={reason}>{reason}</li>
              ))}
            </ul>
          </div>
        )}
        <div className="card email-card">
          {editing ? (
            <Editor email={email} onSaved={(saved) => (setEmail(saved), setEditing(false))} />
          ) : (
            <>
              <p className="email-subject" data-testid="email-subject">
                <span className="muted small">Subject</span> {email.subject}
              </p>
              <div className="email-body" data-testid="email-body">
                <BodyWithLeftovers
                  body={email.email_message}
                  placeholders={(email.metadata.placeholders as string[] | undefined) ?? []}
                />
              </div>
            </>
          )}
        </div>
        {!editing && (
          <div className="cluster">
            <button type="button" className="btn btn-primary" onClick={() => setEditing(true)}>
              Edit
            </button>
            <button type="button" className="btn" onClick={() => void run("Copy", async () => {
              await navigator.clipboard.writeText(`Subject: ${email.subject}\n\n${email.email_message}`);
              toast("Copied to the clipboard.", { kind: "ok" });
            })}>
              Copy
            </button>
            <button type="button" className="btn" onClick={() => void run("Export", () =>
              download(`/api/email/${email.id}/eml`, `${email.recipient_name.replace(/\W+/g, "-")}.eml`))}>
              Export .eml
            </button>
            <button type="button" className="btn" disabled={rewriting} onClick={() => void run("Regenerate", regenerate)}>
              {rewriting ? (
                <>
                  <span className="spinner" aria-hidden="true" /> Rewriting…
                </>
              ) : (
                "Regenerate"
              )}
            </button>
            <button type="button" className="btn btn-ghost" onClick={() => void run("Discard", async () =>
              setEmail(await scribeApi.updateEmail(email.id, { displayed: !email.displayed })))}>
              {email.displayed ? "Discard" : "Restore"}
            </button>
          </div>
        )}
        <details className="card checks">
          <summary>
            Checks: {email.checks.filter((check) => check.passed).length} of {email.checks.length} passed
          </summary>
          <ul className="check-list">
            {email.checks.map((check) => (
              <li key={check.name} className={check.passed ? "check-ok" : "check-fail"}>
                <span aria-hidden="true">{check.passed ? "✓" : "!"}</span>{" "}
                <strong>{CHECK_LABELS[check.name] ?? check.name}</strong>
                {check.detail && <span className="small muted"> · {check.detail}</span>}
              </li>
            ))}
          </ul>
        </details>
        {email.versions.length > 1 && (
          <details className="card">
            <summary>History: {email.versions.length} versions</summary>
            <ol className="version-list">
              {[...email.versions].reverse().map((version) => (
                <li key={version.version}>
                  <strong>v{version.version}</strong> {version.kind} · {formatDate(version.created_at)}
                  <div className="small muted version-subject">{version.subject}</div>
                </li>
              ))}
            </ol>
          </details>
        )}
      </section>
      <aside className="stack evidence" aria-labelledby="evidence-title">
        <h3 id="evidence-title">Evidence</h3>
        {email.claims.length === 0 && email.sources.length === 0 && (
          <p className="empty small">No verified sources: nothing personal was claimed.</p>
        )}
        {email.claims.map((claim, index) => (
          <article key={index} className="claim-card card" data-testid="claim-card">
            <p className="claim-text">“{claim.text}”</p>
            <div className="stack-sm">
              {claim.source_ids.map((key) => {
                const source = sources.get(key);
                return source ? <SourceCard key={key} source={source} /> : (
                  <p key={key} className="small field-error">Source {key} is missing.</p>
                );
              })}
            </div>
          </article>
        ))}
        {uncited.length > 0 && (
          <details>
            <summary className="small">Other sources consulted ({uncited.length})</summary>
            <div className="stack-sm">
              {uncited.map((source) => (
                <SourceCard key={source.id} source={source} />
              ))}
            </div>
          </details>
        )}
      </aside>
    </div>
  );
}
