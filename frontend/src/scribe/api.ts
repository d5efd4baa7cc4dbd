/**
 * Scribe calls, typed. Everything goes through the shared client (auth header, errors as `ApiError`); downloads
 * are fetched with the same header and handed to the browser as a blob, since a plain link cannot carry a token.
 */

import { apiFetch, apiUrl, eventSource, tokenStore, type StreamHandle } from "../api/client";
import type {
  Analysis,
  BatchResult,
  BatchReview,
  DuplicateFlag,
  EmailDetail,
  EmailPage,
  ImportResult,
  OutageRetry,
  Profile,
  QueueItem,
  RecipientRow,
  SavedTemplate,
} from "./types";

export const scribeApi = {
  profile: () => apiFetch<Profile>("/api/user/profile"),
  saveWorkingTemplate: (template: string) =>
    apiFetch<Profile>("/api/user/template", { method: "PATCH", body: { template } }),

  analyze: (email_template: string, signal?: AbortSignal) =>
    apiFetch<Analysis>("/api/templates/analyze", { method: "POST", body: { email_template }, signal }),
  templates: () => apiFetch<SavedTemplate[]>("/api/templates/?limit=100"),
  createTemplate: (template_text: string, name: string) =>
    apiFetch<SavedTemplate>("/api/templates/", { method: "POST", body: { template_text, name } }),
  deleteTemplate: (id: string) => apiFetch<void>(`/api/templates/${id}`, { method: "DELETE" }),
  templateFromResume: (file: File, instructions: string) => {
    const form = new FormData();
    form.append("file", file);
    if (instructions.trim()) form.append("user_instructions", instructions.trim());
    return apiFetch<SavedTemplate>("/api/templates/resume", { method: "POST", body: form });
  },

  importRecipients: (file: Blob, name = "recipients.csv") => {
    const form = new FormData();
    form.append("file", file, name);
    return apiFetch<ImportResult>("/api/recipients/import", { method: "POST", body: form });
  },
  checkRecipients: (items: RecipientRow[], signal?: AbortSignal) =>
    apiFetch<{ duplicates: DuplicateFlag[] }>("/api/recipients/check", { method: "POST", body: { items }, signal }),
  submitBatch: (email_template: string, items: RecipientRow[], skip_duplicates: boolean) =>
    apiFetch<BatchResult>("/api/queue/batch", { method: "POST", body: { email_template, items, skip_duplicates } }),

  queue: () => apiFetch<QueueItem[]>("/api/queue/"),
  cancel: (id: string) => apiFetch<unknown>(`/api/queue/${id}`, { method: "DELETE" }),
  retry: (id: string) => apiFetch<QueueItem>(`/api/queue/${id}/retry`, { method: "POST" }),
  watchQueue: (onSnapshot: (items: QueueItem[]) => void, onError: (message: string) => void): StreamHandle =>
    eventSource<{ snapshot: QueueItem[] }>(
      "/api/queue/stream",
      { snapshot: (items) => onSnapshot(items) },
      { onError: (error) => onError(error.message) },
    ),

  emails: (params: URLSearchParams) => apiFetch<EmailPage>(`/api/email/?envelope=true&${params.toString()}`),
  email: (id: string) => apiFetch<EmailDetail>(`/api/email/${id}`),
  updateEmail: (id: string, change: { subject?: string; email_message?: string; displayed?: boolean }) =>
    apiFetch<EmailDetail>(`/api/email/${id}`, { method: "PATCH", body: change }),
  /** Without `confirmReplaceEdit`, a 409 `edit_would_be_replaced` means the current text is the user's edit. */
  regenerate: (id: string, confirmReplaceEdit = false) =>
    apiFetch<{ task_id: string }>(
      `/api/email/${id}/regenerate${confirmReplaceEdit ? "?confirm_replace_edit=true" : ""}`,
      { method: "POST" },
    ),
  restoreVersion: (id: string, version: number) =>
    apiFetch<EmailDetail>(`/api/email/${id}/versions/${version}/restore`, { method: "POST" }),
  emailBatch: (id: string) => apiFetch<BatchReview>(`/api/email/${id}/batch`),
  batch: (batchId: string) => apiFetch<BatchReview>(`/api/queue/batches/${encodeURIComponent(batchId)}`),
  retryBatch: (batchId: string) =>
    apiFetch<OutageRetry>(`/api/queue/batches/${encodeURIComponent(batchId)}/retry`, { method: "POST" }),
  status: (taskId: string) =>
    apiFetch<{ status: "PENDING" | "STARTED" | "SUCCESS" | "FAILURE" | "REVOKED"; error: string | null }>(
      `/api/email/status/${taskId}`,
    ),
};

/** A file fetched but not saved yet, with the server's warning about what it holds (if any). */
export interface Fetched {
  blob: Blob;
  warning: string | null;
  /** Exported drafts that need review or hold unfilled placeholders (exports only). */
  flagged: number;
  /** Drafts that need review and were left out (exports only). */
  leftOut: number;
}

/** Fetch a file with the bearer token; the caller decides whether to save it after reading `warning`. */
export async function fetchFile(path: string): Promise<Fetched> {
  const headers = new Headers();
  const token = tokenStore.get();
  if (token) headers.set("Authorization", `Bearer ${token}`);
  const response = await fetch(apiUrl(path), { headers });
  if (!response.ok) throw new Error(`The download failed (HTTP ${response.status}).`);
  const count = (name: string) => Number(response.headers.get(name) ?? 0) || 0;
  return {
    blob: await response.blob(),
    warning: response.headers.get("X-Scriptorium-Warning"),
    flagged: count("X-Scriptorium-Flagged"),
    leftOut: count("X-Scriptorium-Left-Out"),
  };
}

/** Fetch a file with the bearer token and save it under `filename`. */
export async function download(path: string, filename: string): Promise<void> {
  saveBlob((await fetchFile(path)).blob, filename);
}

/** Hand a fetched file to the browser as a download. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export const STEP_LABELS: Record<string, string> = {
  template: "Reading the template",
  research: "Researching",
  papers: "Checking publications",
  compose: "Writing",
  checks: "Checking the draft",
};

export const STATUS_LABELS: Record<string, string> = {
  pending: "Waiting",
  processing: "Working",
  completed: "Ready",
  needs_review: "Needs review",
  failed: "Failed",
  cancelled: "Cancelled",
};

export const SOURCE_LABELS: Record<string, string> = {
  openalex: "OpenAlex",
  arxiv: "arXiv",
  semantic_scholar: "Semantic Scholar",
  web: "Profile page",
  search: "Web search",
};

export function statusBadge(status: string): string {
  return (
    {
      completed: "badge-ok",
      needs_review: "badge-warn",
      failed: "badge-danger",
      processing: "badge-info",
      cancelled: "badge-muted",
    }[status] ?? "badge-muted"
  );
}

export function formatDate(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
