/**
 * Reviewing one email: the draft beside its evidence. Every claim is a card that names the sources behind it
 * with the excerpt actually used, so checking a fact takes one glance. The verdict (ready or needs review), the
 * reasons and each check are shown above the draft; the sentence behind a reason is marked in the draft and
 * numbered after it, and linked to the reason's words (`aria-describedby`). Edit, regenerate, discard, copy and
 * export are one click; regenerating over the user's own edit, or exporting a draft that is not ready, asks first.
 * Above the draft, previous / next step through the batch the email came from.
 */

import { Fragment, useCallback, useEffect, useId, useState, type ReactNode } from "react";
import { Link, useParams } from "react-router-dom";
import { ApiError } from "../api/client";
import { useToast } from "../components/toast-context";
import { useDocumentTitle } from "../components/useDocumentTitle";
import { SOURCE_LABELS, fetchFile, formatDate, saveBlob, scribeApi } from "./api";
import { BatchSteps } from "./BatchSteps";
import { ConfirmBar, type Ask } from "./ConfirmBar";
import { reasonsAndFlags, segments, type Flag } from "./highlight";
import { useMailStates } from "./mail/hooks";
import { MailActions } from "./mail/MailActions";
import { mergeMail } from "./mail/logic";
import { EmailMailBadge } from "./mail/MailBadge";
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
  attribution: "Every sentence is template text, sourced or generic",
};

const VERSION_LABELS: Record<string, string> = {
  generated: "written",
  regenerated: "rewritten",
  edited: "your edit",
  restored: "restored",
  model_draft: "the model's draft (not used)",
};

/** Text with the flagged sentences marked (each linked to its reasons) and leftover placeholders marked inside. */
function Flagged({ text, flags, placeholders, idFor }: {
  text: string;
  flags: Flag[];
  placeholders: string[];
  idFor: (reason: number) => string;
}) {
  return (
    <>
      {segments(text, flags).map((part, index) =>
        part.reasons.length === 0 ? (
          <BodyWithLeftovers key={index} body={part.text} placeholders={placeholders} />
        ) : (
          <Fragment key={index}>
            <mark className="flagged" data-testid="flagged-sentence" aria-describedby={part.reasons.map(idFor).join(" ")}>
              <BodyWithLeftovers body={part.text} placeholders={placeholders} />
            </mark>
            <sup className="flag-ref" aria-hidden="true">{part.reasons.map((reason) => reason + 1).join(",")}</sup>
          </Fragment>
        ),
      )}
    </>
  );
}

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
  const [ask, setAsk] = useState<Ask | null>(null);
  const reasonPrefix = useId();
  const mailStates = useMailStates(id ? [id] : []);
  useDocumentTitle(email ? `Email to ${email.recipient_name}` : "Email");

  const load = useCallback(() => {
    scribeApi
      .email(id)
      .then(setEmail)
      .catch((problem: unknown) => setError(problem instanceof Error ? problem.message : String(problem)));
  }, [id]);
  useEffect(() => {
    setEditing(false);
    setAsk(null);
    load();
  }, [load]);
  const reloadMailStates = mailStates.reload;
  const onMailChanged = useCallback(() => (load(), reloadMailStates()), [load, reloadMailStates]);

  /** Regenerate, then follow the task until the new version is stored and show it. Over the user's own edit the
   * server answers 409 `edit_would_be_replaced`: ask, and only then send the confirmation. */
  async function regenerate(confirmed = false) {
    let task_id: string;
    try {
      ({ task_id } = await scribeApi.regenerate(id, confirmed));
    } catch (problem) {
      if (problem instanceof ApiError && problem.code === "edit_would_be_replaced" && !confirmed) {
        setAsk({
          title: "Replace your edit?",
          message:
            "The current text is your edit. Regenerating writes a new draft over it; your edit stays in the " +
            "version history, where you can restore it.",
          confirm: "Regenerate anyway",
          cancel: "Keep my edit",
          onConfirm: () => void run("Regenerate", () => regenerate(true)),
        });
        return;
      }
      throw problem;
    }
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

  /** Download the .eml; when the server warns (needs review, unfilled placeholders), say so before saving. */
  async function exportEml(current: EmailDetail) {
    const name = `${current.recipient_name.replace(/\W+/g, "-")}.eml`;
    const { blob, warning } = await fetchFile(`/api/email/${current.id}/eml`);
    const why = warning ?? (current.status === "needs_review" ? "this draft needs review" : null);
    if (!why) return saveBlob(blob, name);
    setAsk({
      title: "This draft is not ready to send",
      message: `${why[0]?.toUpperCase()}${why.slice(1)}.`,
      confirm: "Download anyway",
      onConfirm: () => saveBlob(blob, name),
    });
  }

  async function restore(version: number) {
    setEmail(await scribeApi.restoreVersion(id, version));
    toast(`Version ${version} is the current text again.`, { kind: "ok" });
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
  // What research did and skipped (sources unreachable, sentences dropped as instructions to the letter's writer).
  const researchNotes = email.research_notes ?? [];
  const { reasons, flags } = reasonsAndFlags(email.review_reasons, email.checks, CHECK_LABELS);
  const reasonId = (index: number) => `${reasonPrefix}-reason-${index}`;
  const placeholders = (email.metadata.placeholders as string[] | undefined) ?? [];
  // Issue 14: what the mailbox did with it (its own `mail`, updated by the states asked again after a run).
  const mail = mergeMail(email.mail, mailStates.states[email.id]);

  return (
    <div className="email-review">
      <section className="stack" aria-labelledby="email-title">
        <BatchSteps emailId={email.id} revision={email.version} />
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
          <span className="cluster">
            {email.is_confident ? (
              <span className="badge badge-ok verdict">Ready to send</span>
            ) : (
              <span className="badge badge-warn verdict">Needs review</span>
            )}
            <EmailMailBadge mail={mail} />
          </span>
        </div>
        {!email.displayed && <p className="alert alert-info small">This email is discarded. Restore it to see it in your history.</p>}
        {reasons.length > 0 && (
          <div className="alert review-reasons" role="note" data-testid="review-reasons">
            <strong>Before sending, look at:</strong>
            <ul className="compact-list">
              {reasons.map((reason, index) => (
                <li key={index} id={reasonId(index)}>
                  {reason.flagged && (
                    <span className="flag-ref" title="Marked in the draft">
                      {index + 1}
                    </span>
                  )}{" "}
                  {reason.text}
                </li>
              ))}
            </ul>
            {flags.length > 0 && (
              <p className="small muted">The sentences behind the numbered reasons are marked in the draft.</p>
            )}
          </div>
        )}
        <ConfirmBar ask={ask} onClose={() => setAsk(null)} />
        <div className="card email-card">
          {editing ? (
            <Editor email={email} onSaved={(saved) => (setEmail(saved), setEditing(false))} />
          ) : (
            <>
              <p className="email-subject" data-testid="email-subject">
                <span className="muted small">Subject</span>{" "}
                <Flagged text={email.subject} flags={flags} placeholders={placeholders} idFor={reasonId} />
              </p>
              <div className="email-body" data-testid="email-body">
                <Flagged text={email.email_message} flags={flags} placeholders={placeholders} idFor={reasonId} />
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
            <button type="button" className="btn" onClick={() => void run("Export", () => exportEml(email))}>
              Export .eml
            </button>
            <button type="button" className="btn" disabled={rewriting}
              onClick={() => void run("Regenerate", () => regenerate())}>
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
        {!editing && email.displayed && (
          <MailActions target={{ emailIds: [email.id] }} count={1} onChanged={onMailChanged}
            needsApproval={!email.is_confident && !mail?.approved} />
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
            <ol className="version-list" reversed>
              {[...email.versions].reverse().map((version) => (
                <li key={version.version} data-testid="version">
                  <div className="spread">
                    <span>
                      <strong>v{version.version}</strong> {VERSION_LABELS[version.kind] ?? version.kind} ·{" "}
                      {formatDate(version.created_at)}
                      {version.version === email.version && <span className="badge badge-muted version-current">current</span>}
                    </span>
                    {version.version !== email.version && (
                      <button type="button" className="btn btn-ghost btn-sm"
                        onClick={() => void run("Restore", () => restore(version.version))}>
                        Restore v{version.version}
                      </button>
                    )}
                  </div>
                  <details>
                    <summary className="small">Show v{version.version}</summary>
                    <div className="small version-subject">{version.subject}</div>
                    <div className="version-body small">{version.body}</div>
                  </details>
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
        {researchNotes.length > 0 && (
          <details data-testid="research-notes">
            <summary className="small">Research notes ({researchNotes.length})</summary>
            <ul className="small stack-sm">
              {researchNotes.map((note, index) => (
                <li key={index}>{note}</li>
              ))}
            </ul>
          </details>
        )}
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
