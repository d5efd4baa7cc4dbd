/**
 * The domain check before the first send: SPF, DKIM (when a selector is given) and DMARC, each found or not,
 * with its record and what it means in words. When the domain's own policy would make mail fail, sending is
 * refused unless the user writes down why it should go anyway.
 */

import { useId, useState } from "react";
import { mailApi } from "./api";
import { domainOf, problemWords } from "./logic";
import type { MailAccount, StoredVerdict, Verdict } from "./types";

function Row({ name, verdict }: { name: string; verdict: Verdict }) {
  const tone = verdict.ok ? "ok" : verdict.found ? "danger" : "warn";
  const label = verdict.ok ? "OK" : verdict.found ? "Problem" : "Not found";
  return (
    <li className="mail-record" data-testid={`record-${name.toLowerCase()}`}>
      <div className="spread">
        <strong>{name}</strong>
        <span className={`badge badge-${tone}`}>{label}</span>
      </div>
      <p className="small">{verdict.words}</p>
      {verdict.record && <code className="mail-record-text small">{verdict.record}</code>}
    </li>
  );
}

export function DeliverabilityPanel({ account, onChanged }: { account: MailAccount; onChanged: (a: MailAccount) => void }) {
  const [report, setReport] = useState<StoredVerdict | null>(account.deliverability ?? null);
  const [checking, setChecking] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [reason, setReason] = useState(account.deliverability_override_reason ?? "");
  const reasonId = useId();
  const domain = report?.domain ?? domainOf(account.address);

  async function check() {
    setChecking(true);
    setProblem(null);
    try {
      setReport(await mailApi.deliverability(account.id));
    } catch (error) {
      setProblem(problemWords(error, "The domain check did not work."));
    } finally {
      setChecking(false);
    }
  }

  async function saveOverride(value: string | null) {
    setProblem(null);
    try {
      onChanged(await mailApi.updateAccount(account.id, { deliverability_override_reason: value }));
      if (value === null) setReason("");
    } catch (error) {
      setProblem(problemWords(error, "Could not save the reason."));
    }
  }

  return (
    <section className="stack-sm" aria-labelledby={`${reasonId}-title`} data-testid="deliverability">
      <div className="spread">
        <h3 id={`${reasonId}-title`} className="mail-h">Will mail from {domain || "this domain"} arrive?</h3>
        <button type="button" className="btn btn-sm" disabled={checking} onClick={() => void check()}>
          {checking ? "Checking…" : report ? "Check again" : "Check the domain"}
        </button>
      </div>
      {!report && !problem && (
        <p className="small muted">
          Looks up the domain&apos;s SPF, DKIM and DMARC records. Do this before the first send from a domain.
        </p>
      )}
      {problem && <p className="alert alert-error small" role="alert">{problem}</p>}
      {report && (
        <>
          <p className={`alert small ${report.would_fail ? "alert-error" : "alert-ok"}`} data-testid="deliverability-words">
            {report.words}
          </p>
          <ul className="mail-records">
            <Row name="SPF" verdict={report.spf} />
            <Row name="DKIM" verdict={report.dkim} />
            <Row name="DMARC" verdict={report.dmarc} />
          </ul>
        </>
      )}
      {(report?.would_fail || account.deliverability_override_reason) && (
        <div className="field">
          <label htmlFor={reasonId}>Send anyway because…</label>
          <textarea id={reasonId} className="textarea mail-reason-input" value={reason}
            aria-describedby={`${reasonId}-hint`} onChange={(event) => setReason(event.target.value)} />
          <p id={`${reasonId}-hint`} className="hint">
            Sending from a domain whose policy fails is refused unless you say why (kept with the account).
          </p>
          <div className="cluster">
            {account.deliverability_override_reason && account.deliverability_override_reason === reason.trim() ? (
              <span className="badge badge-ok" role="status">Reason saved: sending is allowed</span>
            ) : (
              <button type="button" className="btn btn-sm" disabled={reason.trim().length < 5}
                onClick={() => void saveOverride(reason.trim())}>
                Save the reason
              </button>
            )}
            {account.deliverability_override_reason && (
              <button type="button" className="btn btn-ghost btn-sm" onClick={() => void saveOverride(null)}>
                Remove the override
              </button>
            )}
          </div>
        </div>
      )}
    </section>
  );
}
