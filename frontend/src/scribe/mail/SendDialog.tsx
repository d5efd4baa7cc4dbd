/**
 * Sending, carefully: the dialog always starts with a dry run that shows exactly who gets what (and who is left
 * out, and why), with the run's limit (a first send from an account is limited to `first_send_limit` unless
 * raised here), and only then sends the same emails for real, with a progress bar while the run goes.
 * A native modal `<dialog>`: focus stays inside it and Escape closes it.
 */

import { useEffect, useId, useRef, useState } from "react";
import { Link } from "react-router-dom";
import { ApiError } from "../../api/client";
import { mailApi } from "./api";
import { useRunFollower } from "./hooks";
import { problemWords, runFinished } from "./logic";
import { RunProgress } from "./RunProgress";
import type { MailAccount, MailRun, MailRunIn } from "./types";

export interface Target {
  emailIds?: string[];
  batchId?: string;
  /** For a batch: the emails that are ready (confident), offered when the server refuses drafts needing review. */
  readyIds?: string[];
}

function plural(count: number, one: string): string {
  return `${count} ${one}${count === 1 ? "" : "s"}`;
}

export function SendDialog({
  account,
  target,
  onClose,
  onFinished,
}: {
  account: MailAccount;
  target: Target;
  /** Called with the run still going, if any, so the page can keep showing its progress. */
  onClose: (running: MailRun | null) => void;
  onFinished?: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const limitId = useId();
  const firstLimit = account.has_sent ? undefined : account.first_send_limit;
  const [scope, setScope] = useState<Pick<MailRunIn, "batch_id" | "email_ids">>(
    target.emailIds ? { email_ids: target.emailIds } : { batch_id: target.batchId },
  );
  const [preview, setPreview] = useState<MailRun | null>(null);
  const [limit, setLimit] = useState(firstLimit ? String(firstLimit) : "");
  const [problem, setProblem] = useState<{ words: string; code: string } | null>(null);
  const [working, setWorking] = useState(false);
  const follower = useRunFollower();
  const finishedOnce = useRef(false);

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);

  async function dryRun(wanted: number | undefined, on = scope) {
    setWorking(true);
    setProblem(null);
    try {
      const run = await mailApi.startRun({ account_id: account.id, kind: "send", dry_run: true, ...on, ...(wanted ? { limit: wanted } : {}) });
      setPreview(run);
      setLimit(run.limit ? String(run.limit) : "");
    } catch (error) {
      setPreview(null);
      setProblem({ words: problemWords(error, "The dry run did not work."), code: error instanceof ApiError ? error.code : "" });
    } finally {
      setWorking(false);
    }
  }

  useEffect(() => {
    void dryRun(firstLimit); // once, as the dialog opens; later dry runs follow a change of the limit
  }, []);

  const wanted = Number(limit);
  const limitValid = limit === "" || (Number.isInteger(wanted) && wanted >= 1);
  const limitChanged = preview !== null && limit !== (preview.limit ? String(preview.limit) : "");
  const messages = preview?.preview ?? [];
  const leftOut = (preview?.items ?? []).filter((item) => item.state === "skipped");

  async function send() {
    if (!preview) return;
    setWorking(true);
    setProblem(null);
    try {
      const limitPart = preview.limit ? { limit: preview.limit } : {};
      follower.follow(await mailApi.startRun({ account_id: account.id, kind: "send", dry_run: false, ...scope, ...limitPart }));
    } catch (error) {
      setProblem({ words: problemWords(error, "Sending did not start."), code: error instanceof ApiError ? error.code : "" });
    } finally {
      setWorking(false);
    }
  }

  function onlyReady() {
    const next = { email_ids: target.readyIds ?? [] };
    setScope(next);
    void dryRun(limit === "" ? undefined : wanted, next);
  }

  const run = follower.run;
  const close = () => onClose(run && !runFinished(run.status) ? run : null);
  useEffect(() => {
    if (run && runFinished(run.status) && !finishedOnce.current) {
      finishedOnce.current = true;
      onFinished?.();
    }
  }, [run, onFinished]);

  return (
    <dialog ref={dialog} className="mail-dialog" aria-labelledby={titleId} onCancel={close} data-testid="send-dialog">
      <div className="stack">
        <div className="spread">
          <h2 id={titleId} className="h-section mail-wrap">
            {run ? "Sending" : `Send from ${account.address}`}
          </h2>
          <button type="button" className="btn btn-ghost btn-sm" onClick={close}>
            {run && !runFinished(run.status) ? "Close (sending goes on)" : "Close"}
          </button>
        </div>
        {problem && (
          <div className="alert alert-error small stack-sm" role="alert">
            <p>{problem.words}</p>
            {problem.code === "not_sendable" && (target.readyIds?.length ?? 0) > 0 && !scope.email_ids ? (
              <div className="cluster">
                <button type="button" className="btn btn-sm" onClick={onlyReady}>
                  Leave them out: preview the {plural(target.readyIds?.length ?? 0, "ready email")}
                </button>
              </div>
            ) : (
              ["sending_disabled", "deliverability_would_fail"].includes(problem.code) && (
                <Link to="/scribe/mail" onClick={close}>Open the Mail settings</Link>
              )
            )}
          </div>
        )}
        {run ? (
          <RunProgress run={run} error={follower.error} onCancel={() => {
            mailApi.cancelRun(run.id).then(follower.follow).catch((error: unknown) =>
              setProblem({ words: problemWords(error, "Could not stop the run."), code: "" }));
          }} />
        ) : preview === null ? (
          !problem && (
            <p className="muted" role="status">
              <span className="spinner" aria-hidden="true" /> Preparing the dry run…
            </p>
          )
        ) : (
          <>
            <p className="alert alert-info small" data-testid="dry-run-note">
              Dry run: nothing has been sent.{" "}
              {messages.length === 0
                ? "None of these emails would be sent (see why below)."
                : `This run would send ${plural(messages.length, "email")}, exactly as shown${
                    messages.length > 1 ? " (open one to read its text)" : ""
                  }.`}
              {preview.words ? ` ${preview.words}` : ""}
            </p>
            {messages.length > 0 && (
              <ol className="mail-preview" data-testid="dry-run" aria-label="What would be sent">
                {messages.map((message, index) => (
                  <li key={`${message.to}-${index}`}>
                    <details open={messages.length === 1 || undefined}>
                      <summary>
                        <span className="mail-to">To {message.to}</span>
                        <br />
                        <span className="mail-subject">{message.subject}</span>
                      </summary>
                      <pre className="mail-body">{message.body}</pre>
                    </details>
                  </li>
                ))}
              </ol>
            )}
            {leftOut.length > 0 && (
              <details className="small">
                <summary>{plural(leftOut.length, "email")} not in this run</summary>
                <ul className="compact-list">
                  {leftOut.map((item) => (
                    <li key={item.email_id}>
                      <strong>{item.recipient_name}</strong>: {item.reason}
                    </li>
                  ))}
                </ul>
              </details>
            )}
            <div className="field mail-limit">
              <label htmlFor={limitId}>Send at most</label>
              <input id={limitId} className="input" type="number" min={1} inputMode="numeric" value={limit}
                placeholder="all" aria-describedby={`${limitId}-hint`} onChange={(event) => setLimit(event.target.value)} />
              <p id={`${limitId}-hint`} className="hint">
                {account.has_sent
                  ? ""
                  : `This is the first send from ${account.address}: at most ${plural(account.first_send_limit, "email")} unless you raise this number. Check it arrives as you expect, then send the rest. `}
                Mail goes out at most {account.rate_per_minute} a minute and {account.daily_cap} a day
                {account.sent_last_24h ? ` (${account.sent_last_24h} sent in the last 24 hours)` : ""}.
              </p>
              {!limitValid && <p className="field-error">The limit is a whole number, 1 or more.</p>}
            </div>
            <div className="cluster">
              {limitChanged ? (
                <button type="button" className="btn btn-primary" disabled={working || !limitValid}
                  onClick={() => void dryRun(limit === "" ? undefined : wanted)}>
                  Preview again
                </button>
              ) : (
                <button type="button" className="btn btn-primary" disabled={working || messages.length === 0}
                  onClick={() => void send()}>
                  {working ? "Starting…" : `Send ${plural(messages.length, "email")} now`}
                </button>
              )}
              <button type="button" className="btn btn-ghost" onClick={close}>Cancel</button>
            </div>
          </>
        )}
      </div>
    </dialog>
  );
}
