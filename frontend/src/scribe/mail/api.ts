/** Mail calls, typed, through the shared client (auth header, errors as `ApiError` with the server's words). */

import { apiFetch } from "../../api/client";
import type {
  ConnectionReport,
  DeliverabilityReport,
  EmailMail,
  MailAccount,
  MailAccountIn,
  MailAccountPatch,
  MailRun,
  MailRunIn,
  Preset,
  ReplyScan,
} from "./types";

export const mailApi = {
  presets: () => apiFetch<Preset[]>("/api/mail/presets"),
  accounts: () => apiFetch<MailAccount[]>("/api/mail/accounts"),
  createAccount: (account: MailAccountIn) =>
    apiFetch<MailAccount>("/api/mail/accounts", { method: "POST", body: account }),
  updateAccount: (id: string, change: MailAccountPatch) =>
    apiFetch<MailAccount>(`/api/mail/accounts/${id}`, { method: "PATCH", body: change }),
  deleteAccount: (id: string) => apiFetch<void>(`/api/mail/accounts/${id}`, { method: "DELETE" }),
  testConnection: (id: string) => apiFetch<ConnectionReport>(`/api/mail/accounts/${id}/test`, { method: "POST" }),
  deliverability: (id: string) =>
    apiFetch<DeliverabilityReport>(`/api/mail/accounts/${id}/deliverability`, { method: "POST" }),

  startRun: (run: MailRunIn) => apiFetch<MailRun>("/api/mail/runs", { method: "POST", body: run }),
  run: (id: string) => apiFetch<MailRun>(`/api/mail/runs/${id}`),
  runs: (batchId: string) => apiFetch<MailRun[]>(`/api/mail/runs?batch_id=${encodeURIComponent(batchId)}`),
  cancelRun: (id: string) => apiFetch<MailRun>(`/api/mail/runs/${id}/cancel`, { method: "POST" }),

  /** What the mailbox did with these emails, by id (emails nothing happened to yet are left out or empty). */
  states: (ids: string[]) =>
    apiFetch<Record<string, EmailMail>>(`/api/mail/emails?ids=${ids.map(encodeURIComponent).join(",")}`),
  scanReplies: (id: string) =>
    apiFetch<ReplyScan>(`/api/mail/accounts/${id}/replies`, { method: "POST" }),

  approve: (emailId: string) => apiFetch<unknown>(`/api/email/${emailId}/approve`, { method: "POST" }),
};
