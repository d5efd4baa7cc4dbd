/**
 * The template editor: a textarea over a mirror that paints each placeholder, so placeholders stand out while
 * the user types plain text. The server's analysis (debounced) names the placeholders, the detected type and
 * any warnings; until it answers, `{{x}}` placeholders are highlighted from a local pattern.
 */

import { useEffect, useRef, useState, type ReactNode } from "react";
import { scribeApi } from "./api";
import type { Analysis } from "./types";

const LOCAL_PATTERN = /\{\{[^{}\n]+\}\}/g;
const TYPE_HINTS: Record<string, string> = {
  research: "Research: Scribe will look for their recent papers",
  book: "Book: Scribe will look for books they wrote or edited",
  general: "General: Scribe will use their position and background",
};

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function paint(text: string, placeholders: string[]): ReactNode[] {
  const pattern =
    placeholders.length > 0 ? new RegExp(placeholders.map(escapeRegExp).join("|"), "g") : new RegExp(LOCAL_PATTERN);
  const parts: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const start = match.index ?? 0;
    parts.push(text.slice(last, start));
    parts.push(<mark key={start}>{match[0]}</mark>);
    last = start + match[0].length;
  }
  parts.push(text.slice(last));
  // A trailing newline needs a character after it to take up a line in the mirror.
  parts.push("\u200b");
  return parts;
}

export function TemplateEditor({
  value,
  onChange,
  onAnalysis,
}: {
  value: string;
  onChange: (value: string) => void;
  onAnalysis?: (analysis: Analysis | null) => void;
}) {
  const [analysis, setAnalysis] = useState<Analysis | null>(null);
  const mirror = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const controller = new AbortController();
    const timer = setTimeout(() => {
      if (value.trim().length === 0) {
        setAnalysis(null);
        onAnalysis?.(null);
        return;
      }
      scribeApi
        .analyze(value, controller.signal)
        .then((result) => {
          setAnalysis(result);
          onAnalysis?.(result);
        })
        .catch(() => undefined);
    }, 300);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [value, onAnalysis]);

  const length = value.trim().length;
  const lengthProblem = length > 0 && length < 20 ? "At least 20 characters." : length > 5000 ? "At most 5,000." : null;

  return (
    <div className="stack-sm">
      <div className="field">
        <div className="spread">
          <label htmlFor="scribe-template">Template</label>
          {analysis && (
            <span className="badge badge-info" data-testid="template-type" title={TYPE_HINTS[analysis.template_type]}>
              {analysis.template_type}
            </span>
          )}
        </div>
        <div className="template-editor">
          <div className="template-mirror" ref={mirror} aria-hidden="true">
            {paint(value, analysis?.placeholders ?? [])}
          </div>
          <textarea
            id="scribe-template"
            className="textarea template-input"
            value={value}
            spellCheck
            aria-describedby="scribe-template-hint"
            aria-invalid={lengthProblem ? true : undefined}
            onChange={(event) => onChange(event.target.value)}
            onScroll={(event) => {
              if (mirror.current) mirror.current.scrollTop = event.currentTarget.scrollTop;
            }}
          />
        </div>
        <p id="scribe-template-hint" className="hint">
          Write it in your own voice. Mark what changes per person as <code>{"{{paper_title}}"}</code>,{" "}
          <code>[University]</code> or <code>&lt;research area&gt;</code>. A first line <code>Subject: …</code> becomes
          the subject.
          {lengthProblem && <span className="field-error"> {lengthProblem}</span>}
        </p>
      </div>
      {analysis && (
        <div className="stack-sm">
          {analysis.placeholders.length > 0 && (
            <div className="cluster" aria-label="Placeholders found">
              <span className="small muted">{TYPE_HINTS[analysis.template_type]}. Placeholders:</span>
              {analysis.placeholders.map((placeholder) => (
                <code key={placeholder} className="placeholder-chip">
                  {placeholder}
                </code>
              ))}
            </div>
          )}
          {analysis.warnings.map((warning) => (
            <p key={warning} className="alert alert-info small">
              {warning}
            </p>
          ))}
        </div>
      )}
    </div>
  );
}
