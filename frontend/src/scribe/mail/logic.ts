/**
 * The mail UI's decisions, kept out of the components so they can be tested in Node: what a delivery state is
 * called and how it looks, how far a run has got, what an account form starts from, and what a refused run means.
 */

import { ApiError } from "../../api/client";
import type { DeliveryState, EmailMail, MailAccountIn, MailRun, Preset, RunStatus, TlsMode } from "./types";

export type Tone = "ok" | "warn" | "danger" | "info" | "muted";

export interface Badge {
  label: string;
  tone: Tone;
}

const STATE_BADGES: Record<string, Badge> = {
  queued: { label: "Waiting", tone: "muted" },
  sending: { label: "Sending", tone: "info" },
  sent: { label: "Sent", tone: "ok" },
  drafted: { label: "In Drafts", tone: "info" },
  failed: { label: "Failed", tone: "danger" },
  bounced: { label: "Bounced", tone: "danger" },
  uncertain: { label: "Not sure it was sent", tone: "warn" },
  skipped: { label: "Skipped", tone: "muted" },
  replied: { label: "Replied", tone: "ok" },
};

/** The badge for one delivery state; an unknown state is shown by its own name rather than hidden. */
export function stateBadge(state: DeliveryState): Badge {
  return STATE_BADGES[state] ?? { label: state.charAt(0).toUpperCase() + state.slice(1), tone: "muted" };
}

/**
 * The one badge an email shows for its mail, most telling first: a reply beats a bounce beats the last
 * delivery state; sent and drafted are read from their timestamps when the state is missing. None when nothing
 * has happened yet.
 */
export function mailBadge(mail: EmailMail | null | undefined): Badge | null {
  if (!mail) return null;
  if (mail.replied_at) return STATE_BADGES.replied ?? null;
  if (mail.bounced_at) return STATE_BADGES.bounced ?? null;
  if (mail.state) return stateBadge(mail.state);
  if (mail.sent_at) return STATE_BADGES.sent ?? null;
  if (mail.drafted_at) return STATE_BADGES.drafted ?? null;
  return null;
}

/**
 * An email's mail state from its own response, updated by a later answer of the mail states endpoint (asked
 * again when a run finishes): the later answer's facts win where it has them; approval only comes with the email.
 */
export function mergeMail(own: EmailMail | null | undefined, later: EmailMail | null | undefined): EmailMail | null {
  if (!own && !later) return null;
  const merged: EmailMail = { ...(own ?? {}) };
  for (const [key, value] of Object.entries(later ?? {}) as [keyof EmailMail, EmailMail[keyof EmailMail]][]) {
    if (key !== "approved" && value !== null && value !== undefined) Object.assign(merged, { [key]: value });
  }
  merged.approved = Boolean(own?.approved || later?.approved);
  return merged;
}

const FINISHED_STATES = new Set(["sent", "drafted", "failed", "bounced", "uncertain", "skipped"]);
const FINISHED_RUNS = new Set<RunStatus>(["done", "failed", "cancelled"]);

export function runFinished(status: RunStatus): boolean {
  return FINISHED_RUNS.has(status);
}

export interface Progress {
  done: number;
  total: number;
  percent: number;
}

/** How many of the run's messages are finished, out of what this run will handle (its limit, when lower). */
export function runProgress(run: MailRun): Progress {
  const total = run.items.length || run.total;
  const done = run.items.filter((item) => FINISHED_STATES.has(item.state)).length;
  const planned = run.limit !== null && run.limit > 0 ? Math.min(run.limit, total) : total;
  const percent = runFinished(run.status) ? 100 : Math.min(100, Math.round((done / Math.max(planned, 1)) * 100));
  return { done, total: planned, percent };
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** A run in one sentence: "2 of 5 put in Drafts · 1 failed", "Sent 1 of 1", "Paused: …". */
export function runSummary(run: MailRun): string {
  const { done, total } = runProgress(run);
  const count = (state: string) => run.items.filter((item) => item.state === state).length;
  const verb = run.kind === "draft" ? "put in Drafts" : "sent";
  const good = count(run.kind === "draft" ? "drafted" : "sent");
  const parts = [runFinished(run.status) ? `${good} of ${plural(total, "email")} ${verb}` : `${done} of ${total} done`];
  if (count("failed")) parts.push(`${count("failed")} failed`);
  if (count("uncertain")) parts.push(`${count("uncertain")} not sure`);
  if (count("skipped")) parts.push(`${count("skipped")} skipped`);
  if (run.status === "paused") parts.push("paused while the mail server asks us to wait");
  if (run.status === "cancelled") parts.push("stopped");
  if (run.status === "failed") parts.push("the run stopped with an error");
  return parts.join(" · ");
}

/** The part of an address after "@", lower-cased ("" when there is none). */
export function domainOf(address: string): string {
  const at = address.lastIndexOf("@");
  return at < 0 ? "" : address.slice(at + 1).trim().toLowerCase();
}

export interface AccountForm {
  preset: string;
  label: string;
  address: string;
  display_name: string;
  username: string;
  password: string;
  dkim_selector: string;
  imap_host: string;
  imap_port: string;
  imap_tls: TlsMode;
  smtp_host: string;
  smtp_port: string;
  smtp_tls: TlsMode;
}

export function emptyForm(): AccountForm {
  return {
    preset: "",
    label: "",
    address: "",
    display_name: "",
    username: "",
    password: "",
    dkim_selector: "",
    imap_host: "",
    imap_port: "993",
    imap_tls: "ssl",
    smtp_host: "",
    smtp_port: "465",
    smtp_tls: "ssl",
  };
}

/**
 * The form with a provider's servers filled in, and its name as the label unless the user typed one (a label
 * that is only the previous provider's name follows the choice). "Other" keeps the servers, to be edited.
 */
export function applyPreset(form: AccountForm, preset: Preset | undefined, previous?: Preset): AccountForm {
  const label = !form.label || form.label === previous?.label ? (preset?.label ?? "") : form.label;
  if (!preset) return { ...form, preset: "", label };
  return {
    ...form,
    preset: preset.key,
    label,
    imap_host: preset.imap.host,
    imap_port: String(preset.imap.port),
    imap_tls: preset.imap.tls,
    smtp_host: preset.smtp.host,
    smtp_port: String(preset.smtp.port),
    smtp_tls: preset.smtp.tls,
  };
}

const HOST = /^[A-Za-z0-9._:\-[\]]+$/;

/** What is missing or wrong in the form, in words; empty when it can be sent. */
export function formProblems(form: AccountForm): string[] {
  const problems: string[] = [];
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(form.address.trim())) problems.push("Enter the email address you send from.");
  if (!form.password) problems.push("Enter the app password your provider gave you.");
  for (const [name, host, port] of [
    ["IMAP", form.imap_host, form.imap_port],
    ["SMTP", form.smtp_host, form.smtp_port],
  ] as const) {
    if (!host.trim()) problems.push(`Enter the ${name} server (or choose your provider above).`);
    else if (!HOST.test(host.trim())) {
      problems.push(`The ${name} server is a name like ${name.toLowerCase()}.example.com, without spaces or "://".`);
    }
    const number = Number(port);
    if (!Number.isInteger(number) || number < 1 || number > 65535) {
      problems.push(`The ${name} port is a whole number from 1 to 65535.`);
    }
  }
  return problems;
}

/** The form as the API takes it: one user name for both servers (the address when left empty). */
export function accountFromForm(form: AccountForm): MailAccountIn {
  const address = form.address.trim();
  const username = form.username.trim() || address;
  return {
    label: form.label.trim() || address,
    address,
    display_name: form.display_name.trim(),
    imap: { host: form.imap_host.trim(), port: Number(form.imap_port), tls: form.imap_tls, username },
    smtp: { host: form.smtp_host.trim(), port: Number(form.smtp_port), tls: form.smtp_tls, username },
    password: form.password,
    dkim_selector: form.dkim_selector.trim() || null,
  };
}

const FIELD_WORDS: Record<string, string> = {
  address: "Email address",
  display_name: "Your name",
  label: "Name for this account",
  password: "App password",
  dkim_selector: "DKIM selector",
  "imap.host": "IMAP server",
  "imap.port": "IMAP port",
  "imap.tls": "IMAP encryption",
  "imap.username": "User name",
  "smtp.host": "SMTP server",
  "smtp.port": "SMTP port",
  "smtp.tls": "SMTP encryption",
  "smtp.username": "User name",
};

/** A field the server refused, named as the form names it, with a pattern's regex replaced by plain words. */
export function fieldProblem(field: string, message: string): string {
  const name = FIELD_WORDS[field.replace(/^body\./, "")] ?? "A value";
  const words = /pattern/i.test(message) ? "has characters it cannot have" : message.charAt(0).toLowerCase() + message.slice(1);
  return `${name}: ${words}`;
}

/** What to do about a refused run, added after the server's own words (which say what happened). */
const NEXT_STEP: Record<string, string> = {
  sending_disabled: "Turn on sending for this account in the Mail tab.",
  deliverability_would_fail: "Check the domain in the Mail tab, fix its records, or give a reason to send anyway.",
  not_sendable: "Review those emails and approve them, or leave them out.",
  first_send_limited: "Your first real send is limited; send one first, or raise the limit.",
};

/** A refused or failed call in words: the server's sentence, then what to do next when we know it. */
export function problemWords(problem: unknown, fallback: string): string {
  if (!(problem instanceof ApiError)) return problem instanceof Error && problem.message ? problem.message : fallback;
  const next = NEXT_STEP[problem.code];
  return next && !problem.message.includes(next) ? `${problem.message} ${next}` : problem.message;
}
