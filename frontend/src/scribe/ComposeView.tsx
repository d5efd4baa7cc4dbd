/**
 * Writing a batch: the template on the left, the recipients on the right, one Submit. The draft template is
 * kept in this browser between visits; "Save as my template" stores it on the account for every device.
 */

import { useCallback, useEffect, useState } from "react";
import { useNavigate } from "react-router-dom";
import { ApiError } from "../api/client";
import { useToast } from "../components/toast-context";
import { scribeApi } from "./api";
import { RecipientsTable, emptyRow, toItems, type Row } from "./RecipientsTable";
import { TemplateEditor } from "./TemplateEditor";
import { DRAFT_KEY } from "./TemplatesView";
import type { Analysis, DuplicateFlag, Profile } from "./types";

const SAMPLE = `Subject: Question about {{paper_title}}

Dear Professor {{last_name}},

I'm a second-year biology student. I read your paper "{{paper_title}}" and would love to learn how your group at {{university}} approaches {{research_area}}.

Would you have fifteen minutes for a call next week?

Best,
Sam`;

function storedDraft(): string | null {
  try {
    return localStorage.getItem(DRAFT_KEY);
  } catch {
    return null;
  }
}

export function ComposeView({ profile, onProfile }: { profile: Profile | null; onProfile: (p: Profile) => void }) {
  const [template, setTemplate] = useState<string>(() => storedDraft() ?? "");
  const [rows, setRows] = useState<Row[]>(() => [emptyRow()]);
  const [duplicates, setDuplicates] = useState<DuplicateFlag[]>([]);
  const [, setAnalysis] = useState<Analysis | null>(null);
  const [skipDuplicates, setSkipDuplicates] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const toast = useToast();
  const navigate = useNavigate();

  useEffect(() => {
    if (!template && profile) setTemplate(profile.email_template ?? SAMPLE);
  }, [profile, template]);
  useEffect(() => {
    try {
      if (template) localStorage.setItem(DRAFT_KEY, template);
    } catch {
      /* private mode */
    }
  }, [template]);

  const onDuplicates = useCallback((flags: DuplicateFlag[]) => setDuplicates(flags), []);
  const items = toItems(rows);

  async function submit() {
    setSubmitting(true);
    setError(null);
    try {
      const result = await scribeApi.submitBatch(template, items, skipDuplicates);
      const queued = result.queue_item_ids.length;
      toast(`Queued ${queued} email${queued === 1 ? "" : "s"}.`, { kind: "ok" });
      navigate("/scribe/queue");
    } catch (problem) {
      setError(problem instanceof ApiError ? problem : null);
      if (!(problem instanceof ApiError)) toast("Could not submit.", { kind: "error" });
    } finally {
      setSubmitting(false);
    }
  }

  async function saveWorking() {
    try {
      onProfile(await scribeApi.saveWorkingTemplate(template));
      toast("Saved as your working template.", { kind: "ok" });
    } catch (problem) {
      toast(problem instanceof Error ? problem.message : "Could not save.", { kind: "error" });
    }
  }

  async function saveNamed() {
    const name = window.prompt("Name this template", template.split("\n")[0]?.slice(0, 60) ?? "");
    if (name === null) return;
    try {
      await scribeApi.createTemplate(template, name);
      toast("Template saved.", { kind: "ok" });
    } catch (problem) {
      toast(problem instanceof Error ? problem.message : "Could not save.", { kind: "error" });
    }
  }

  const remaining = profile?.quota.remaining;
  const fieldError = (name: string) =>
    error?.fieldErrors.filter((f) => f.field === name || f.field.startsWith(`${name}.`)).map((f) => (f.label ? `${f.label}: ${f.msg}` : f.msg));

  return (
    <div className="compose">
      <section className="card stack" aria-label="Your template">
        <TemplateEditor value={template} onChange={setTemplate} onAnalysis={setAnalysis} />
        {fieldError("email_template")?.map((message) => (
          <p key={message} className="field-error">{message}</p>
        ))}
        <div className="cluster">
          <button type="button" className="btn btn-sm" onClick={() => void saveWorking()}>Save as my template</button>
          <button type="button" className="btn btn-sm btn-ghost" onClick={() => void saveNamed()}>Save a copy…</button>
        </div>
      </section>
      <section className="card stack" aria-label="Recipients and submit">
        <RecipientsTable
          rows={rows}
          onChange={setRows}
          duplicates={duplicates}
          onDuplicates={onDuplicates}
          fieldErrors={error?.fieldErrors}
        />
        {error && (
          <div className="alert alert-error" role="alert">
            {error.fieldErrors.length > 0 ? "Some entries need fixing:" : error.message}
            {error.fieldErrors.length > 0 && (
              <ul className="compact-list small">
                {error.fieldErrors.map((f) => (
                  <li key={`${f.field}-${f.msg}`}>{f.label ? `${f.label}: ${f.msg}` : f.msg}</li>
                ))}
              </ul>
            )}
          </div>
        )}
        <div className="spread submit-bar">
          <label className="checkbox small">
            <input type="checkbox" checked={skipDuplicates} onChange={(event) => setSkipDuplicates(event.target.checked)} />
            Leave out duplicates and people emailed recently
          </label>
          <div className="cluster">
            {remaining !== null && remaining !== undefined && (
              <span className="small muted">{remaining} left today</span>
            )}
            <button type="button" className="btn btn-primary" disabled={submitting || items.length === 0}
              onClick={() => void submit()}>
              {submitting ? "Submitting…" : `Write ${items.length || ""} email${items.length === 1 ? "" : "s"}`}
            </button>
          </div>
        </div>
      </section>
    </div>
  );
}
