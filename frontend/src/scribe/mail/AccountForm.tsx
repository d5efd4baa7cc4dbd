/**
 * Connecting a mailbox: pick Gmail, Outlook or Fastmail (servers filled in, with the provider's page on app
 * passwords) or "Other" (servers typed in). The password goes in a password field and is never shown again.
 */

import { useEffect, useState, type FormEvent } from "react";
import { ApiError } from "../../api/client";
import { mailApi } from "./api";
import { accountFromForm, applyPreset, emptyForm, fieldProblem, formProblems, type AccountForm as Form } from "./logic";
import type { MailAccount, Preset, TlsMode } from "./types";

const TLS_LABELS: Record<TlsMode, string> = {
  ssl: "SSL/TLS from the start",
  starttls: "STARTTLS",
  none: "None (not encrypted)",
};

function ServerFields({ name, form, onChange }: { name: "imap" | "smtp"; form: Form; onChange: (form: Form) => void }) {
  const label = name.toUpperCase();
  const host = `${name}_host` as const;
  const port = `${name}_port` as const;
  const tls = `${name}_tls` as const;
  return (
    <fieldset className="mail-server">
      <legend>{label} ({name === "imap" ? "reading, Drafts and replies" : "sending"})</legend>
      <div className="field">
        <label htmlFor={`mail-${host}`}>{label} server</label>
        <input id={`mail-${host}`} className="input" value={form[host]} autoComplete="off" spellCheck={false}
          onChange={(event) => onChange({ ...form, [host]: event.target.value })} />
      </div>
      <div className="mail-server-row">
        <div className="field">
          <label htmlFor={`mail-${port}`}>{label} port</label>
          <input id={`mail-${port}`} className="input" inputMode="numeric" value={form[port]}
            onChange={(event) => onChange({ ...form, [port]: event.target.value })} />
        </div>
        <div className="field">
          <label htmlFor={`mail-${tls}`}>{label} encryption</label>
          <select id={`mail-${tls}`} className="select" value={form[tls]}
            onChange={(event) => onChange({ ...form, [tls]: event.target.value as TlsMode })}>
            {(Object.keys(TLS_LABELS) as TlsMode[]).map((mode) => (
              <option key={mode} value={mode}>{TLS_LABELS[mode]}</option>
            ))}
          </select>
        </div>
      </div>
    </fieldset>
  );
}

export function AccountForm({ onCreated, onCancel }: { onCreated: (account: MailAccount) => void; onCancel?: () => void }) {
  const [presets, setPresets] = useState<Preset[]>([]);
  const [form, setForm] = useState<Form>(emptyForm());
  const [problems, setProblems] = useState<string[]>([]);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    mailApi.presets().then(setPresets).catch(() => setPresets([])); // without presets, servers are typed in
  }, []);
  const preset = presets.find((p) => p.key === form.preset);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found = formProblems(form);
    setProblems(found);
    if (found.length) return;
    setSaving(true);
    try {
      const created = await mailApi.createAccount(accountFromForm(form));
      setForm(emptyForm());
      onCreated(created);
    } catch (problem) {
      // A 422 names fields by path: say them in words instead (the ApiError message already does).
      const words = problem instanceof ApiError
        ? problem.fieldErrors.length
          ? problem.fieldErrors.map((error) => fieldProblem(error.field, error.msg))
          : [problem.message]
        : ["Could not save the account."];
      setProblems(words);
    } finally {
      setSaving(false);
    }
  }

  return (
    <form className="card stack mail-form" onSubmit={(event) => void submit(event)} aria-labelledby="mail-form-title"
      noValidate>
      <h2 id="mail-form-title" className="h-section">Connect a mailbox</h2>
      <fieldset className="mail-presets">
        <legend className="small">Your provider</legend>
        <div className="cluster">
          {[...presets, { key: "", label: "Other" } as Pick<Preset, "key" | "label">].map((option) => (
            <label key={option.key || "other"} className="checkbox mail-preset">
              <input type="radio" name="mail-preset" value={option.key} checked={form.preset === option.key}
                onChange={() => setForm(applyPreset(form, presets.find((p) => p.key === option.key), preset))} />
              {option.label}
            </label>
          ))}
        </div>
      </fieldset>
      {preset && (
        <p className="small muted">
          {preset.label} needs an app password, not your usual one.{" "}
          <a href={preset.help_url} target="_blank" rel="noopener noreferrer">How to make one at {preset.label}</a>.
        </p>
      )}
      <div className="mail-grid">
        <div className="field">
          <label htmlFor="mail-address">Email address</label>
          <input id="mail-address" className="input" type="email" autoComplete="email" value={form.address}
            onChange={(event) => setForm({ ...form, address: event.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="mail-display-name">Your name (as recipients see it)</label>
          <input id="mail-display-name" className="input" autoComplete="name" value={form.display_name}
            onChange={(event) => setForm({ ...form, display_name: event.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="mail-username">User name</label>
          <input id="mail-username" className="input" autoComplete="off" spellCheck={false} value={form.username}
            placeholder={form.address || "usually your address"} aria-describedby="mail-username-hint"
            onChange={(event) => setForm({ ...form, username: event.target.value })} />
          <p id="mail-username-hint" className="hint">Leave empty to use your address.</p>
        </div>
        <div className="field">
          <label htmlFor="mail-password">App password</label>
          <input id="mail-password" className="input" type="password" autoComplete="new-password" value={form.password}
            aria-describedby="mail-password-hint" onChange={(event) => setForm({ ...form, password: event.target.value })} />
          <p id="mail-password-hint" className="hint">Stored encrypted; never shown again.</p>
        </div>
        <div className="field">
          <label htmlFor="mail-label">Name for this account</label>
          <input id="mail-label" className="input" value={form.label} placeholder="e.g. University mail"
            onChange={(event) => setForm({ ...form, label: event.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="mail-dkim">DKIM selector (optional)</label>
          <input id="mail-dkim" className="input" value={form.dkim_selector} spellCheck={false}
            aria-describedby="mail-dkim-hint" onChange={(event) => setForm({ ...form, dkim_selector: event.target.value })} />
          <p id="mail-dkim-hint" className="hint">For the domain check, when your provider told you one.</p>
        </div>
      </div>
      <details className="mail-servers" open={form.preset === ""}>
        <summary className="small">Servers{preset ? ` (filled in for ${preset.label})` : ""}</summary>
        <div className="mail-grid">
          <ServerFields name="imap" form={form} onChange={setForm} />
          <ServerFields name="smtp" form={form} onChange={setForm} />
        </div>
      </details>
      {problems.length > 0 && (
        <div className="alert alert-error small" role="alert">
          <ul className="compact-list">
            {problems.map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        </div>
      )}
      <div className="cluster">
        <button type="submit" className="btn btn-primary" disabled={saving}>
          {saving ? "Saving…" : "Save account"}
        </button>
        {onCancel && (
          <button type="button" className="btn btn-ghost" onClick={onCancel}>Cancel</button>
        )}
      </div>
    </form>
  );
}
