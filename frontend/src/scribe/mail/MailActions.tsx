/**
 * The way out of Scribe for one email or a whole batch: "Put in my Drafts" (the default, idempotent: a second
 * time adds nothing) and "Send…" (a dialog that starts with a dry run). With no mailbox connected it says where
 * to connect one; with several, the user picks the one to use.
 */

import { useEffect, useId, useState } from "react";
import { Link } from "react-router-dom";
import { mailApi } from "./api";
import { useAccounts, useRunFollower } from "./hooks";
import { problemWords, runFinished } from "./logic";
import { RunProgress } from "./RunProgress";
import { SendDialog, type Target } from "./SendDialog";
import "./mail.css";

export function MailActions({
  target,
  count,
  needsApproval = false,
  onChanged,
  inCard = false,
}: {
  target: Target;
  /** How many emails the target holds (for the buttons' words). */
  count: number;
  /** A single email that is neither confident nor approved yet: offer to approve it for sending. */
  needsApproval?: boolean;
  onChanged?: () => void;
  /** Inside another card (the batch stepper): no card of its own. */
  inCard?: boolean;
}) {
  const { accounts, error } = useAccounts();
  const [chosen, setChosen] = useState<string>("");
  const [sending, setSending] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [approving, setApproving] = useState(false);
  const [approvedNow, setApprovedNow] = useState(false); // until the page's mail state says so itself
  const drafts = useRunFollower(); // the run on screen: a drafts run, or a send still going after its dialog
  const fromId = useId();
  const many = count > 1;
  const mustApprove = needsApproval && !approvedNow;
  const draftRun = drafts.run;
  const drafting = draftRun !== null && !runFinished(draftRun.status);
  const draftDone = draftRun !== null && runFinished(draftRun.status);
  useEffect(() => {
    if (draftDone) onChanged?.(); // the page shows the new badges; the finished run stays on screen here
  }, [draftDone, onChanged]);
  const batchId = target.batchId;
  const followRun = drafts.follow;
  useEffect(() => {
    // A batch's run that is still going (the page was reloaded, or its dialog closed) is shown again.
    if (!batchId) return;
    let live = true;
    mailApi
      .runs(batchId)
      .then((runs) => {
        const active = runs.find((run) => !run.dry_run && !runFinished(run.status));
        if (live && active) followRun(active);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [batchId, followRun]);

  if (error) return <p className="small muted">{error}</p>;
  if (accounts === null) return null;
  if (accounts.length === 0) {
    return (
      <p className="small muted" data-testid="mail-connect-hint">
        To put {many ? "these emails" : "this email"} in your mailbox&apos;s Drafts or send{" "}
        {many ? "them" : "it"}, <Link to="/scribe/mail">connect your mailbox</Link>.
      </p>
    );
  }
  const account = accounts.find((a) => a.id === chosen) ?? accounts[0];
  if (!account) return null;

  async function putInDrafts() {
    setProblem(null);
    try {
      drafts.follow(await mailApi.startRun({
        account_id: account!.id,
        kind: "draft",
        dry_run: false,
        ...(target.batchId ? { batch_id: target.batchId } : {}),
        ...(target.emailIds ? { email_ids: target.emailIds } : {}),
      }));
    } catch (failure) {
      setProblem(problemWords(failure, "Could not put the drafts in your mailbox."));
    }
  }

  async function approve() {
    setApproving(true);
    setProblem(null);
    try {
      await mailApi.approve(target.emailIds?.[0] ?? "");
      setApprovedNow(true);
      onChanged?.();
    } catch (failure) {
      setProblem(problemWords(failure, "Could not approve this email."));
    } finally {
      setApproving(false);
    }
  }

  return (
    <section className={`stack-sm mail-actions ${inCard ? "mail-actions-inline" : "card"}`} aria-label={many ? "Mail this batch" : "Mail this email"}
      data-testid="mail-actions">
      <div className="cluster">
        {accounts.length > 1 && (
          <span className="cluster mail-from">
            <label className="small" htmlFor={fromId}>From</label>
            <select id={fromId} className="select" value={account.id} onChange={(event) => setChosen(event.target.value)}>
              {accounts.map((a) => (
                <option key={a.id} value={a.id}>{a.address}</option>
              ))}
            </select>
          </span>
        )}
        <button type="button" className="btn" disabled={drafting} onClick={() => void putInDrafts()}>
          {drafting && draftRun?.kind === "draft"
            ? "Putting in Drafts…"
            : many
              ? `Put all ${count} in my Drafts`
              : "Put in my Drafts"}
        </button>
        {mustApprove ? (
          <button type="button" className="btn" disabled={approving} onClick={() => void approve()}>
            Approve for sending
          </button>
        ) : (
          <button type="button" className="btn" onClick={() => (setProblem(null), setSending(true))}>
            {many ? `Send these ${count}…` : "Send…"}
          </button>
        )}
      </div>
      {mustApprove && (
        <p className="small muted">This draft needs review: read it, then approve it before it can be sent.</p>
      )}
      {approvedNow && <p className="small" role="status">Approved: this text can be sent. Editing it asks again.</p>}
      {!account.sending_enabled && !mustApprove && !inCard && (
        <p className="small muted">
          Sending is off for {account.address}: Scribe only puts drafts in your mailbox. Turn it on in{" "}
          <Link to="/scribe/mail">Mail</Link>.
        </p>
      )}
      {problem && <p className="alert alert-error small" role="alert">{problem}</p>}
      {draftRun && (
        <RunProgress run={draftRun} error={drafts.error} onCancel={() => {
          mailApi.cancelRun(draftRun.id).then(drafts.follow).catch((failure: unknown) =>
            setProblem(problemWords(failure, "Could not stop the run.")));
        }} />
      )}
      {sending && (
        <SendDialog account={account} target={target} onClose={(running) => {
          setSending(false);
          if (running) drafts.follow(running);
        }} onFinished={onChanged} />
      )}
    </section>
  );
}
