/**
 * Sending, carefully: the dialog always starts with a dry run that shows exactly who gets what, with the run's
 * limit (a first send from an account is one email unless raised here), and only then sends for real, with a
 * progress bar while the run goes. A native modal `<dialog>`: focus stays inside, Escape closes it.
 */

import { useEffect, useId, useRef, useState } from "react";
import { Link } from "react-router-dom";
import { mailApi } from "./api";
import { useRunFollower } from "./hooks";
import { problemWords, runFinished } from "./logic";
import { RunProgress } from "./RunProgress";
import type { MailAccount, MailRun } from "./types";

export interface Target {
  emailIds?: string[];
  batchId?: string;
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
  onClose: () => void;
  onFinished?: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const limitId = useId();
  const [preview, setPreview] = useState<MailRun | null>(null);
  const [limit, setLimit] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [working, setWorking] = useState(false);
  const follower = useRunFollower();
  const finishedOnce = useRef(false);

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);

  async function dryRun(wanted?: number) {
    setWorking(true);
    setProblem(null);
    try {
      const run = await mailApi.startRun({
        account_id: account.id,
        kind: "send",
        dry_run: true,
        ...(target.batchId ? { batch_id: target.batchId } : {}),
        ...(target.emailIds ? { email_ids: target.emailIds } : {}),
        ...(wanted ? { limit: wanted } : {}),
      });
      setPreview(run);
      setLimit(run.limit ? String(run.limit) : "");
    } catch (error) {
      setPreview(null);
      setProblem(problemWords(error, "The dry run did not work."));
    } finally {
      setWorking(false);
    }
  }

  useEffect(() => {
    void dryRun();
    // Once, when the dialog opens: later dry runs are asked for with the limit field.
  }, []);

  const wanted = Number(limit);
  const limitValid = limit === "" || (Number.isInteger(wanted) && wanted >= 1);
  const limitChanged = preview !== null && limit !== (preview.limit ? String(preview.limit) : "");
  const messages = preview?.preview ?? [];
  const willSend = preview ? Math.min(preview.limit ?? messages.length, messages.length) : 0;

  async function send() {
    if (!preview) return;
    setWorking(true);
    setProblem(null);
    try {
      const run = await mailApi.startRun({
        account_id: account.id,
        kind: "send",
        dry_run: false,
        ...(target.batchId ? { batch_id: target.batchId } : {}),
        ...(target.emailIds ? { email_ids: target.emailIds } : {}),
        ...(preview.limit ? { limit: preview.limit } : {}),
      });
      follower.follow(run);
    } catch (error) {
      setProblem(problemWords(error, "Sending did not start."));
    } finally {
      setWorking(false);
    }
  }

  const run = follower.run;
  useEffect(() => {
    if (run && runFinished(run.status) && !finishedOnce.current) {
      finishedOnce.current = true;
      onFinished?.();
    }
  }, [run, onFinished]);

  return (
    <dialog ref={dialog} className="mail-dialog" aria-labelledby={titleId} onCancel={onClose} data-testid="send-dialog">
      <div className="stack">
        <div className="spread">
          <h2 id={titleId} className="h-section">
            {run ? "Sending" : "Send from " + account.address}
          </h2>
          <button type="button" className="btn btn-ghost btn-sm" onClick={onClose}>
            {run && !runFinished(run.status) ? "Close (sending goes on)" : "Close"}
          </button>
        </div>
        {problem && (
          <div className="alert alert-error small" role="alert">
            <p>{problem}</p>
            <Link to="/scribe/mail" onClick={onClose}>Open the Mail settings</Link>
          </div>
        )}
        {run ? (
          <RunProgress run={run} error={follower.error} onCancel={() => {
            mailApi.cancelRun(run.id).then(follower.follow).catch((error: unknown) =>
              setProblem(problemWords(error, "Could not stop the run.")));
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
              Dry run: nothing has been sent. {messages.length === 0
                ? "No email here can be sent (each needs an address, and to be ready or approved)."
                : `This run would send ${plural(willSend, "email")}${
                    willSend < messages.length ? ` of the ${messages.length} below` : ""
                  }, exactly as shown.`}{preview.words ? ` ${preview.words}` : ""}
            </p>
            <ol className="mail-preview" data-testid="dry-run">
              {messages.map((message, index) => (
                <li key={`${message.to}-${index}`} className={index < willSend ? undefined : "mail-later"}>
                  <details>
                    <summary>
                      <span className="mail-to">To {message.to}</span>{" "}
                      <span className="mail-subject">{message.subject}</span>
                      {index >= willSend && <span className="badge badge-muted">not in this run</span>}
                    </summary>
                    <pre className="mail-body">{message.body}</pre>
                  </details>
                </li>
              ))}
            </ol>
            <div className="field mail-limit">
              <label htmlFor={limitId}>Send at most</label>
              <input id={limitId} className="input" type="number" min={1} inputMode="numeric" value={limit}
                aria-describedby={`${limitId}-hint`} onChange={(event) => setLimit(event.target.value)} />
              <p id={`${limitId}-hint`} className="hint">
                {account.has_sent
                  ? ""
                  : `This is the first send from ${account.address}: it sends at most ${plural(account.first_send_limit, "email")} unless you raise this number. Check it arrives as you expect, then send the rest. `}
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
                <button type="button" className="btn btn-primary" disabled={working || willSend === 0} onClick={() => void send()}>
                  {working ? "Starting…" : `Send ${plural(willSend, "email")} now`}
                </button>
              )}
              <button type="button" className="btn btn-ghost" onClick={onClose}>Cancel</button>
            </div>
          </>
        )}
      </div>
    </dialog>
  );
}
