/**
 * The recipients table: type rows, paste rows from a spreadsheet, or import a CSV. Pasted and imported text is
 * read by the server's CSV importer, so the browser and the API accept exactly the same files; rows it rejects
 * come back with their line and field. Duplicate warnings (same person twice, or emailed recently) are asked
 * for whenever the rows change and shown on the row they concern.
 */

import { useEffect, useId, useState } from "react";
import { ApiError, type FieldError } from "../api/client";
import { scribeApi } from "./api";
import type { DuplicateFlag, ImportRowError, RecipientRow } from "./types";

export interface Row extends RecipientRow {
  key: number;
  profile_url: string;
}

let nextKey = 1;
export function emptyRow(): Row {
  return { key: nextKey++, recipient_name: "", recipient_interest: "", recipient_email: "", institution: "", profile_url: "" };
}

function fromImport(item: RecipientRow): Row {
  return {
    key: nextKey++,
    recipient_name: item.recipient_name,
    recipient_interest: item.recipient_interest,
    recipient_email: item.recipient_email ?? "",
    institution: item.institution ?? "",
    profile_url: (item.profile_urls ?? []).join(" "),
  };
}

/** The rows as the API expects them; blank rows are left out. */
export function toItems(rows: Row[]): RecipientRow[] {
  return rows
    .filter((row) => row.recipient_name.trim() || row.recipient_interest.trim())
    .map((row) => ({
      recipient_name: row.recipient_name.trim(),
      recipient_interest: row.recipient_interest.trim(),
      recipient_email: row.recipient_email?.trim() || null,
      institution: row.institution?.trim() || null,
      profile_urls: row.profile_url.split(/\s+/).filter(Boolean),
    }));
}

/**
 * The cells a 422 names, as `row key → field keys`. The API numbers the rows it was sent (`items.2.recipient_email`),
 * which skip blank rows, so its index is mapped back to the table's row the way `toItems` filtered it.
 */
export function invalidCells(rows: Row[], errors: readonly FieldError[]): Map<number, Set<keyof Row>> {
  const sent = rows.filter((row) => row.recipient_name.trim() || row.recipient_interest.trim());
  const cells = new Map<number, Set<keyof Row>>();
  for (const error of errors) {
    const match = /^items\.(\d+)\.([a-z_]+)/.exec(error.field);
    const row = match ? sent[Number(match[1])] : undefined;
    if (!match || !row) continue;
    const key = (match[2] === "profile_urls" ? "profile_url" : match[2]) as keyof Row;
    if (!FIELDS.some((field) => field.key === key)) continue;
    cells.set(row.key, (cells.get(row.key) ?? new Set<keyof Row>()).add(key));
  }
  return cells;
}

/** Pasted rows as CSV, with a header added when the paste has none (then line numbers shift by one). */
function pastedAsCsv(text: string): { csv: string; added: number } {
  const lines = text.trim().split(/\r?\n/);
  const first = (lines[0] ?? "").toLowerCase();
  const hasHeader = /name/.test(first) && /interest|topic|area|field/.test(first);
  const delimiter = lines[0]?.includes("\t") ? "\t" : ",";
  const header = ["name", "interest", "email", "institution", "profile_url"].join(delimiter);
  return hasHeader ? { csv: text, added: 0 } : { csv: `${header}\n${text}`, added: 1 };
}

/** Issue 14: a recipient who answered an earlier email, or whose address bounced, is flagged whatever the time since. */
const FLAG_LABELS: Record<string, string> = { replied: "Replied to you before", bounced: "Address bounced" };

const FIELDS: { key: keyof Row; label: string; placeholder: string; type?: string }[] = [
  { key: "recipient_name", label: "Name", placeholder: "e.g. Dr. Maria Chen" },
  { key: "recipient_interest", label: "Research interest", placeholder: "e.g. protein folding" },
  { key: "recipient_email", label: "Email", placeholder: "optional", type: "email" },
  { key: "institution", label: "Institution", placeholder: "optional" },
  { key: "profile_url", label: "Profile URL", placeholder: "optional", type: "url" },
];

export function RecipientsTable({
  rows,
  onChange,
  duplicates,
  onDuplicates,
  fieldErrors = [],
}: {
  rows: Row[];
  onChange: (rows: Row[]) => void;
  duplicates: DuplicateFlag[];
  onDuplicates: (flags: DuplicateFlag[]) => void;
  /** From the last refused submit: the cells they name are highlighted. */
  fieldErrors?: readonly FieldError[];
}) {
  const invalid = invalidCells(rows, fieldErrors);
  const [pasting, setPasting] = useState(false);
  const [pasted, setPasted] = useState("");
  const [importErrors, setImportErrors] = useState<ImportRowError[]>([]);
  const [importProblem, setImportProblem] = useState<string | null>(null);
  const fileId = useId();

  useEffect(() => {
    // Only complete rows are checked; the flags are mapped back to row positions in the table.
    const complete = rows
      .map((row, position) => ({ item: toItems([row])[0], position }))
      .filter(({ item }) => item && item.recipient_name.length >= 2 && item.recipient_interest.length >= 2);
    if (complete.length === 0) {
      onDuplicates([]);
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      const at = (index: number | null | undefined) => (index === null || index === undefined ? null : (complete[index]?.position ?? null));
      scribeApi
        .checkRecipients(
          complete.map(({ item }) => item as RecipientRow),
          controller.signal,
        )
        .then((result) =>
          onDuplicates(
            result.duplicates.map((flag) => ({ ...flag, index: at(flag.index) ?? -1, first_index: at(flag.first_index) })),
          ),
        )
        .catch(() => undefined);
    }, 400);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [rows, onDuplicates]);

  async function importBlob(blob: Blob, name: string, linesAdded = 0) {
    setImportProblem(null);
    try {
      const result = await scribeApi.importRecipients(blob, name);
      const kept = rows.filter((row) => row.recipient_name.trim() || row.recipient_interest.trim());
      onChange([...kept, ...result.items.map(fromImport)]);
      setImportErrors(result.errors.map((error) => ({ ...error, line: error.line - linesAdded })));
      setPasted("");
      setPasting(false);
    } catch (error) {
      setImportProblem(error instanceof ApiError ? error.message : "Could not read that file.");
    }
  }

  function update(key: number, field: keyof Row, value: string) {
    onChange(rows.map((row) => (row.key === key ? { ...row, [field]: value } : row)));
  }

  const filled = toItems(rows);
  const flagsFor = (index: number) => duplicates.filter((flag) => flag.index === index);

  return (
    <div className="stack-sm">
      <div className="spread">
        <h2 className="h-section">Recipients</h2>
        <div className="cluster">
          <button type="button" className="btn btn-sm" onClick={() => setPasting((open) => !open)} aria-expanded={pasting}>
            Paste rows
          </button>
          <label className="btn btn-sm" htmlFor={fileId}>
            Import CSV
          </label>
          <input
            id={fileId}
            className="visually-hidden"
            type="file"
            accept=".csv,text/csv"
            onChange={(event) => {
              const file = event.target.files?.[0];
              if (file) void importBlob(file, file.name);
              event.target.value = "";
            }}
          />
        </div>
      </div>
      {pasting && (
        <div className="card stack-sm">
          <label htmlFor="scribe-paste" className="small">
            Paste from a spreadsheet: name, interest, then optionally email, institution, profile URL (tab or comma
            separated, header row optional).
          </label>
          <textarea
            id="scribe-paste"
            className="textarea mono small"
            value={pasted}
            onChange={(event) => setPasted(event.target.value)}
            placeholder={"Maria Chen\tprotein folding\tm.chen@example.edu"}
          />
          <div className="cluster">
            <button
              type="button"
              className="btn btn-primary btn-sm"
              disabled={!pasted.trim()}
              onClick={() => {
                const { csv, added } = pastedAsCsv(pasted);
                void importBlob(new Blob([csv], { type: "text/csv" }), "pasted.csv", added);
              }}
            >
              Add rows
            </button>
          </div>
        </div>
      )}
      {importProblem && <p className="alert alert-error small">{importProblem}</p>}
      {importErrors.length > 0 && (
        <div className="alert alert-error small" role="alert">
          <strong>Some rows were not added:</strong>
          <ul className="compact-list">
            {importErrors.map((error) => (
              <li key={`${error.line}-${error.field}`}>
                {error.field === "file" ? "" : `Line ${error.line}, ${error.field.replace("recipient_", "")}: `}
                {error.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="table-wrap">
        <table className="table recipients-table">
          <thead>
            <tr>
              <th scope="col">#</th>
              {FIELDS.map((field) => (
                <th key={field.key} scope="col">
                  {field.label}
                </th>
              ))}
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row, rowIndex) => {
              const flags = flagsFor(rowIndex);
              return (
                <tr key={row.key} className={flags.length ? "row-flagged" : undefined}>
                  <td className="muted">{rowIndex + 1}</td>
                  {FIELDS.map((field) => (
                    <td key={field.key} className={invalid.get(row.key)?.has(field.key) ? "cell-invalid" : undefined}>
                      <input
                        className="input input-cell"
                        aria-invalid={invalid.get(row.key)?.has(field.key) ? true : undefined}
                        type={field.type ?? "text"}
                        aria-label={`${field.label}, row ${rowIndex + 1}`}
                        placeholder={field.placeholder}
                        value={String(row[field.key] ?? "")}
                        onChange={(event) => update(row.key, field.key, event.target.value)}
                      />
                      {field.key === "recipient_name" &&
                        flags.map((flag) => (
                          <span key={flag.reason} className="badge badge-warn dup-flag" title={flag.detail}>
                            {flag.reason === "in_batch"
                              ? `Same as row ${(flag.first_index ?? 0) + 1}`
                              : (FLAG_LABELS[flag.reason] ?? "Emailed recently")}
                          </span>
                        ))}
                    </td>
                  ))}
                  <td>
                    <button
                      type="button"
                      className="btn btn-ghost btn-sm"
                      aria-label={`Remove row ${rowIndex + 1}`}
                      onClick={() => onChange(rows.length > 1 ? rows.filter((r) => r.key !== row.key) : [emptyRow()])}
                    >
                      ×
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <div className="spread">
        <button type="button" className="btn btn-sm" onClick={() => onChange([...rows, emptyRow()])}>
          Add a row
        </button>
        <span className="small muted">
          {filled.length} recipient{filled.length === 1 ? "" : "s"}
          {duplicates.length > 0 && ` · ${duplicates.length} duplicate warning${duplicates.length === 1 ? "" : "s"}`}
        </span>
      </div>
    </div>
  );
}
