/**
 * Saved templates: use one in the composer, delete one, or have one written from a résumé PDF. With no model
 * configured the résumé template is assembled from lines of the résumé itself (school, degree, two highlights).
 */

import { useEffect, useState } from "react";
import { useNavigate } from "react-router-dom";
import { ApiError } from "../api/client";
import { useToast } from "../components/toast-context";
import { formatDate, scribeApi } from "./api";
import type { SavedTemplate } from "./types";

export const DRAFT_KEY = "scriptorium.scribe.template";

export function TemplatesView() {
  const [templates, setTemplates] = useState<SavedTemplate[] | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [instructions, setInstructions] = useState("");
  const [working, setWorking] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const toast = useToast();
  const navigate = useNavigate();

  useEffect(() => {
    scribeApi.templates().then(setTemplates).catch((problem: unknown) => setError(String(problem)));
  }, []);

  async function fromResume() {
    if (!file) return;
    setWorking(true);
    setError(null);
    try {
      const created = await scribeApi.templateFromResume(file, instructions);
      setTemplates((current) => [created, ...(current ?? [])]);
      setFile(null);
      toast("Template written from your résumé.", { kind: "ok" });
    } catch (problem) {
      setError(problem instanceof ApiError ? problem.message : "Could not use that file.");
    } finally {
      setWorking(false);
    }
  }

  function use(template: SavedTemplate) {
    try {
      localStorage.setItem(DRAFT_KEY, template.template_text);
    } catch {
      /* private mode: the composer starts from the profile's template instead */
    }
    navigate("/scribe");
  }

  async function remove(template: SavedTemplate) {
    await scribeApi.deleteTemplate(template.id);
    setTemplates((current) => (current ?? []).filter((t) => t.id !== template.id));
  }

  return (
    <div className="stack-lg">
      <section className="card stack-sm" aria-labelledby="resume-title">
        <h2 id="resume-title" className="h-section">Start from your résumé</h2>
        <p className="small muted">
          Upload a PDF (text, not a scan). Scribe writes a 150–250 word template in your voice with the standard
          placeholders, using only what the résumé says.
        </p>
        <div className="cluster">
          <label className="btn" htmlFor="resume-file">{file ? file.name : "Choose a PDF"}</label>
          <input id="resume-file" className="visually-hidden" type="file" accept="application/pdf,.pdf"
            onChange={(event) => setFile(event.target.files?.[0] ?? null)} />
          <input className="input resume-instructions" placeholder="Anything to emphasise? (optional)"
            aria-label="Instructions" value={instructions} onChange={(event) => setInstructions(event.target.value)} />
          <button type="button" className="btn btn-primary" disabled={!file || working} onClick={() => void fromResume()}>
            {working ? "Writing…" : "Write template"}
          </button>
        </div>
        {error && <p className="alert alert-error small">{error}</p>}
      </section>
      <section className="stack" aria-labelledby="saved-title">
        <h2 id="saved-title" className="h-section">Saved templates</h2>
        {templates === null ? (
          <p className="muted" role="status"><span className="spinner" aria-hidden="true" /> Loading…</p>
        ) : templates.length === 0 ? (
          <div className="empty">No saved templates yet. Save one from the composer or start from your résumé.</div>
        ) : (
          <div className="grid-cards">
            {templates.map((template) => (
              <article key={template.id} className="card stack-sm template-card">
                <div className="spread">
                  <h3 className="template-name">{template.name}</h3>
                  <span className="badge badge-info">{template.template_type}</span>
                </div>
                <p className="small muted">
                  {template.origin === "resume" ? `From ${template.resume_filename ?? "a résumé"}` : "Written by you"} ·{" "}
                  {formatDate(template.created_at)}
                </p>
                <pre className="template-preview">{template.template_text}</pre>
                <div className="cluster">
                  <button type="button" className="btn btn-primary btn-sm" onClick={() => use(template)}>Use</button>
                  <button type="button" className="btn btn-ghost btn-sm" onClick={() => void remove(template)}>Delete</button>
                </div>
              </article>
            ))}
          </div>
        )}
      </section>
    </div>
  );
}
