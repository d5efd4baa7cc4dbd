/**
 * A run as it goes: a progress bar, one sentence that a screen reader hears as it changes (the only live
 * region), and the list of emails with their state badges (not live: a long list read aloud helps nobody).
 */

import type { CSSProperties } from "react";
import { StateBadge } from "./MailBadge";
import { runFinished, runProgress, runSummary } from "./logic";
import type { MailRun } from "./types";

export function RunProgress({
  run,
  error,
  onCancel,
}: {
  run: MailRun;
  error?: string | null;
  onCancel?: () => void;
}) {
  const { percent } = runProgress(run);
  const what = run.kind === "draft" ? "Putting in Drafts" : "Sending";
  const finished = runFinished(run.status);
  return (
    <div className="stack-sm mail-run" data-testid="mail-run" data-status={run.status}>
      <div
        className="progress-bar"
        role="progressbar"
        aria-label={`${what}: progress`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
      >
        <div
          className={`progress-fill${finished ? "" : " progress-live"}`}
          style={{ "--value": `${percent}%` } as CSSProperties}
        />
      </div>
      <div className="spread">
        <p className="small" role="status" aria-live="polite" data-testid="mail-run-summary">
          {runSummary(run)}
        </p>
        {!finished && onCancel && (
          <button type="button" className="btn btn-ghost btn-sm" onClick={onCancel}>
            Stop
          </button>
        )}
      </div>
      {run.status === "paused" && run.next_attempt_at && (
        <p className="small muted">Carries on by itself at {new Date(run.next_attempt_at).toLocaleTimeString()}.</p>
      )}
      {run.words && (
        <p className={`small ${run.status === "failed" ? "alert alert-error" : "muted"}`} data-testid="mail-run-words">
          {run.words}
        </p>
      )}
      {error && <p className="alert alert-info small">{error}</p>}
      {run.items.length > 0 && (
        <ul className="mail-items">
          {run.items.map((item) => (
            <li key={item.email_id} className="mail-item" data-testid="mail-item">
              <span className="mail-who">
                <strong>{item.recipient_name}</strong>
                {item.to_address && <span className="small muted"> · {item.to_address}</span>}
              </span>
              <StateBadge state={item.state} reason={item.reason} />
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
