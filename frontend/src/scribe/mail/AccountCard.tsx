/**
 * One connected mailbox: its servers, "Test connection" (IMAP and SMTP each said in words), the domain check,
 * sending on/off with its limits, replacing the password (never shown, only "saved"), and removing the account.
 */

import { useEffect, useId, useState } from "react";
import { ConfirmBar, type Ask } from "../ConfirmBar";
import { mailApi } from "./api";
import { DeliverabilityPanel } from "./DeliverabilityPanel";
import { problemWords } from "./logic";
import type { ConnectionReport, MailAccount, MailAccountPatch, ProtocolResult, ReplyScan } from "./types";

function Result({ name, result }: { name: string; result: ProtocolResult }) {
  return (
    <li className={result.ok ? "check-ok" : "check-fail"} data-testid={`test-${name.toLowerCase()}`}>
      <span aria-hidden="true">{result.ok ? "✓" : "!"}</span>{" "}
      {!result.words.startsWith(name) && <strong>{name}: </strong>}
      <span className="visually-hidden">{result.ok ? "works. " : "failed. "}</span>
      <span className="small">{result.words}</span>
    </li>
  );
}

function Limits({ account, onSave }: { account: MailAccount; onSave: (change: MailAccountPatch) => Promise<boolean> }) {
  const id = useId();
  const [values, setValues] = useState({
    rate_per_minute: String(account.rate_per_minute),
    daily_cap: String(account.daily_cap),
    first_send_limit: String(account.first_send_limit),
  });
  const fields: { key: keyof typeof values; label: string }[] = [
    { key: "rate_per_minute", label: "At most a minute" },
    { key: "daily_cap", label: "At most a day" },
    { key: "first_send_limit", label: "First send" },
  ];
  const valid = Object.values(values).every((value) => Number.isInteger(Number(value)) && Number(value) >= 1);
  const changed = fields.some(({ key }) => values[key] !== String(account[key]));
  return (
    <form className="stack-sm" onSubmit={(event) => {
      event.preventDefault();
      void onSave({
        rate_per_minute: Number(values.rate_per_minute),
        daily_cap: Number(values.daily_cap),
        first_send_limit: Number(values.first_send_limit),
      });
    }}>
      <div className="mail-limits">
        {fields.map(({ key, label }) => (
          <div className="field" key={key}>
            <label htmlFor={`${id}-${key}`}>{label}</label>
            <input id={`${id}-${key}`} className="input" type="number" min={1} inputMode="numeric" value={values[key]}
              onChange={(event) => setValues({ ...values, [key]: event.target.value })} />
          </div>
        ))}
      </div>
      {!valid && <p className="field-error">Each limit is a whole number, 1 or more.</p>}
      {changed && (
        <div className="cluster">
          <button type="submit" className="btn btn-sm" disabled={!valid}>Save limits</button>
        </div>
      )}
    </form>
  );
}

/** The switch answers at once; it goes back (with the server's words above) if the change is refused. */
function SendingSwitch({ account, onSave }: { account: MailAccount; onSave: (change: MailAccountPatch) => Promise<boolean> }) {
  const [on, setOn] = useState(account.sending_enabled);
  useEffect(() => setOn(account.sending_enabled), [account.sending_enabled]);
  return (
    <label className="checkbox">
      <input type="checkbox" checked={on} onChange={(event) => {
        const wanted = event.target.checked;
        setOn(wanted);
        void onSave({ sending_enabled: wanted }).then((saved) => saved || setOn(!wanted));
      }} />
      Allow sending from this account
    </label>
  );
}

export function AccountCard({
  account,
  onChanged,
  onRemoved,
}: {
  account: MailAccount;
  onChanged: (account: MailAccount) => void;
  onRemoved: (id: string) => void;
}) {
  const id = useId();
  const [report, setReport] = useState<ConnectionReport | null>(null);
  const [testing, setTesting] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [password, setPassword] = useState("");
  const [ask, setAsk] = useState<Ask | null>(null);
  const [scan, setScan] = useState<ReplyScan | null>(null);
  const [scanning, setScanning] = useState(false);

  async function scanReplies() {
    setScanning(true);
    setProblem(null);
    try {
      setScan(await mailApi.scanReplies(account.id));
    } catch (error) {
      setProblem(problemWords(error, "Could not look for replies."));
    } finally {
      setScanning(false);
    }
  }

  async function test() {
    setTesting(true);
    setProblem(null);
    setReport(null);
    try {
      setReport(await mailApi.testConnection(account.id));
    } catch (error) {
      setProblem(problemWords(error, "The connection test did not run."));
    } finally {
      setTesting(false);
    }
  }

  async function save(change: MailAccountPatch): Promise<boolean> {
    setProblem(null);
    try {
      onChanged(await mailApi.updateAccount(account.id, change));
      return true;
    } catch (error) {
      setProblem(problemWords(error, "Could not save that change."));
      return false;
    }
  }

  const server = (s: MailAccount["imap"]) => `${s.host}:${s.port} · ${s.tls === "none" ? "not encrypted" : s.tls.toUpperCase()}`;

  return (
    <article className="card stack mail-account" aria-labelledby={`${id}-title`} data-testid="mail-account">
      <div className="spread">
        <div>
          <h2 id={`${id}-title`} className="h-section">{account.label || account.address}</h2>
          <p className="small muted mail-wrap">
            {account.display_name ? `${account.display_name} <${account.address}>` : account.address}
          </p>
        </div>
        <span className="cluster">
          {account.has_password && <span className="badge badge-muted">Password saved</span>}
          <span className={`badge ${account.sending_enabled ? "badge-ok" : "badge-muted"}`} data-testid="sending-badge">
            {account.sending_enabled ? "Sending on" : "Drafts only"}
          </span>
        </span>
      </div>
      <p className="small muted mail-wrap">IMAP {server(account.imap)} · SMTP {server(account.smtp)}</p>

      <div className="stack-sm">
        <div className="cluster">
          <button type="button" className="btn btn-primary btn-sm" disabled={testing} onClick={() => void test()}>
            {testing ? (
              <>
                <span className="spinner" aria-hidden="true" /> Testing…
              </>
            ) : (
              "Test connection"
            )}
          </button>
        </div>
        <div aria-live="polite">
          {report && (
            <ul className="check-list mail-test" aria-label="Connection test">
              <Result name="IMAP" result={report.imap} />
              <Result name="SMTP" result={report.smtp} />
            </ul>
          )}
        </div>
      </div>
      {problem && <p className="alert alert-error small" role="alert">{problem}</p>}

      <DeliverabilityPanel account={account} onChanged={onChanged} />

      <section className="stack-sm" aria-labelledby={`${id}-sending`}>
        <h3 id={`${id}-sending`} className="mail-h">Sending</h3>
        <SendingSwitch account={account} onSave={save} />
        <p className="small muted">
          Off, Scribe only puts drafts in your mailbox and you send them yourself. On, every send starts with a dry
          run, and the first one sends at most {account.first_send_limit}.
        </p>
        <Limits key={`${account.rate_per_minute}-${account.daily_cap}-${account.first_send_limit}`} account={account}
          onSave={(change) => save(change)} />
      </section>

      <section className="stack-sm" aria-labelledby={`${id}-replies`}>
        <h3 id={`${id}-replies`} className="mail-h">Replies</h3>
        <p className="small muted">
          Scribe looks in this mailbox for replies and bounces to what it drafted or sent, marks who answered, and
          warns before you write to them again.
          {account.replies_scanned_at ? ` Last looked ${new Date(account.replies_scanned_at).toLocaleString()}.` : ""}
        </p>
        <div className="cluster">
          <button type="button" className="btn btn-sm" disabled={scanning} onClick={() => void scanReplies()}>
            {scanning ? "Looking…" : "Look for replies now"}
          </button>
          <span className="small" aria-live="polite">
            {scan &&
              `Looked for ${scan.asked} email${scan.asked === 1 ? "" : "s"}: ${scan.replied} replied, ${scan.bounced} bounced.`}
          </span>
        </div>
      </section>

      <details className="mail-more">
        <summary className="small">Replace the password or remove the account</summary>
        <form className="cluster mail-password" onSubmit={(event) => {
          event.preventDefault();
          if (password) void save({ password }).then(() => setPassword(""));
        }}>
          <label className="visually-hidden" htmlFor={`${id}-password`}>New app password</label>
          <input id={`${id}-password`} className="input" type="password" autoComplete="new-password"
            placeholder="New app password" value={password} onChange={(event) => setPassword(event.target.value)} />
          <button type="submit" className="btn btn-sm" disabled={!password}>Replace password</button>
        </form>
        <ConfirmBar ask={ask} onClose={() => setAsk(null)} />
        <button type="button" className="btn btn-ghost btn-sm" onClick={() => setAsk({
          title: `Remove ${account.address}?`,
          message: "Scribe forgets this mailbox and its password. Drafts already in your mailbox stay there.",
          confirm: "Remove",
          onConfirm: () => {
            mailApi.deleteAccount(account.id).then(() => onRemoved(account.id)).catch((error: unknown) =>
              setProblem(problemWords(error, "Could not remove the account.")));
          },
        })}>
          Remove account
        </button>
      </details>
    </article>
  );
}
