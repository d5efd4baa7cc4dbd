/**
 * Previous / next through the batch an email came from, in the order it was submitted, with each email's verdict
 * and reasons in the list, and the batch's research outage (if any) said once with its retry. A lone email is not
 * a batch: nothing is shown for it unless there is an outage to report. The whole batch can be put in Drafts or
 * sent from here (issue 14).
 */

import { useCallback, useEffect, useState } from "react";
import { Link } from "react-router-dom";
import { STATUS_LABELS, scribeApi, statusBadge } from "./api";
import { MailActions } from "./mail/MailActions";
import { OutageBanner } from "./OutageBanner";
import type { BatchReview } from "./types";

export function BatchSteps({ emailId, revision }: { emailId: string; revision: number }) {
  const [batch, setBatch] = useState<BatchReview | null>(null);
  const load = useCallback(() => {
    scribeApi
      .emailBatch(emailId)
      .then(setBatch)
      .catch(() => setBatch(null)); // an email from before batches, or a network blip: just no stepper
  }, [emailId]);
  useEffect(() => {
    load();
  }, [load, revision]);

  if (!batch || batch.position === null || batch.position === undefined) return null;
  const total = batch.emails.length;
  if (total < 2 && !batch.outage) return null;
  const byId = new Map(batch.emails.map((email) => [email.id, email]));
  const previous = batch.previous_id ? byId.get(batch.previous_id) : undefined;
  const next = batch.next_id ? byId.get(batch.next_id) : undefined;
  const needReview = batch.emails.filter((email) => email.status === "needs_review").length;

  return (
    <nav className="card batch-steps stack-sm" aria-label="Emails in this batch" data-testid="batch-steps">
      {batch.outage && <OutageBanner batchId={batch.batch_id} outage={batch.outage} onRetried={load} />}
      {total > 1 && (
        <div className="spread">
          {previous ? (
            <Link className="btn btn-sm" rel="prev" to={`/scribe/emails/${previous.id}`}>
              ← Previous<span className="visually-hidden">: {previous.recipient_name}</span>
            </Link>
          ) : (
            <span className="btn btn-sm" aria-disabled="true">← Previous</span>
          )}
          <span className="small" data-testid="batch-position">
            Email {batch.position + 1} of {total} in this batch
            {needReview > 0 ? ` · ${needReview} need${needReview === 1 ? "s" : ""} review` : ""}
          </span>
          {next ? (
            <Link className="btn btn-sm" rel="next" to={`/scribe/emails/${next.id}`}>
              Next<span className="visually-hidden">: {next.recipient_name}</span> →
            </Link>
          ) : (
            <span className="btn btn-sm" aria-disabled="true">Next →</span>
          )}
        </div>
      )}
      {total > 1 && (
        <details>
          <summary className="small">All {total} emails in this batch</summary>
          <ol className="batch-list">
            {batch.emails.map((email) => (
              <li key={email.id} aria-current={email.id === emailId ? "page" : undefined}>
                <Link to={`/scribe/emails/${email.id}`}>{email.recipient_name}</Link>{" "}
                <span className={`badge ${statusBadge(email.status)}`}>{STATUS_LABELS[email.status]}</span>
                {email.regenerating && <span className="badge badge-info">rewriting</span>}
                {email.review_reasons.length > 0 && (
                  <ul className="small muted compact-list">
                    {email.review_reasons.map((reason) => (
                      <li key={reason}>{reason}</li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ol>
        </details>
      )}
      {total > 1 && (
        <MailActions count={total} onChanged={load} inCard target={{
          batchId: batch.batch_id,
          readyIds: batch.emails.filter((email) => email.is_confident).map((email) => email.id),
        }} />
      )}
    </nav>
  );
}
