/**
 * Shapes of the mail API (`/api/mail/*`, issue 14), written against the contract shared with the server's
 * `scribe/api/mail.py`. Kept apart from `../types.ts`, which is being replaced by types generated from OpenAPI.
 */

export type TlsMode = "ssl" | "starttls" | "none";

export interface ServerSettings {
  host: string;
  port: number;
  tls: TlsMode;
}

export interface ServerLogin extends ServerSettings {
  username: string;
}

export interface Preset {
  key: string;
  label: string;
  imap: ServerSettings;
  smtp: ServerSettings;
  /** Where the provider explains app passwords. */
  help_url: string;
}

export interface Verdict {
  found: boolean;
  ok: boolean;
  record: string | null;
  words: string;
}

export interface DeliverabilityReport {
  domain: string;
  spf: Verdict;
  dkim: Verdict;
  dmarc: Verdict;
  would_fail: boolean;
  words: string;
  override_reason: string | null;
  checked_at?: string;
}

export interface MailAccount {
  id: string;
  label: string;
  address: string;
  display_name: string;
  imap: ServerLogin;
  smtp: ServerLogin;
  /** The password itself never comes back; only whether one is stored. */
  has_password: boolean;
  dkim_selector: string | null;
  sending_enabled: boolean;
  rate_per_minute: number;
  daily_cap: number;
  first_send_limit: number;
  /** Whether a real send from this account ever went out (the first one is limited to `first_send_limit`). */
  has_sent: boolean;
  sent_last_24h: number;
  deliverability_override_reason: string | null;
  /** The last domain check, as the server kept it with the account. */
  deliverability: DeliverabilityReport | null;
  deliverability_checked_at: string | null;
  replies_scanned_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface MailAccountIn {
  label: string;
  address: string;
  display_name: string;
  imap: ServerLogin;
  smtp: ServerLogin;
  password: string;
  dkim_selector?: string | null;
}

export type MailAccountPatch = Partial<Omit<MailAccountIn, "password">> & {
  password?: string;
  sending_enabled?: boolean;
  rate_per_minute?: number;
  daily_cap?: number;
  first_send_limit?: number;
  deliverability_override_reason?: string | null;
};

export interface ProtocolResult {
  ok: boolean;
  words: string;
}

export interface ConnectionReport {
  imap: ProtocolResult;
  smtp: ProtocolResult;
}

export type RunKind = "draft" | "send";
export type RunStatus = "queued" | "running" | "paused" | "done" | "failed" | "cancelled";
export type DeliveryState =
  | "queued"
  | "sending"
  | "sent"
  | "drafted"
  | "failed"
  | "bounced"
  | "uncertain"
  | "skipped"
  | string;

export interface RunItem {
  email_id: string;
  recipient_name: string;
  to_address: string | null;
  subject: string;
  state: DeliveryState;
  reason: string | null;
}

export interface PreviewMessage {
  to: string;
  subject: string;
  body: string;
}

export interface MailRun {
  id: string;
  kind: RunKind;
  dry_run: boolean;
  status: RunStatus;
  /** Why the run stopped, paused or was refused, in words (when there is something to say). */
  words: string | null;
  limit: number | null;
  total: number;
  counts: Partial<Record<string, number>>;
  items: RunItem[];
  preview?: PreviewMessage[] | null;
  next_attempt_at?: string | null;
  batch_id: string | null;
  account_id: string;
  created_at: string;
  finished_at: string | null;
}

export interface MailRunIn {
  account_id: string;
  kind: RunKind;
  batch_id?: string;
  email_ids?: string[];
  dry_run: boolean;
  limit?: number;
}

/** What an email or history row says about its mail (`mail` on email responses). */
export interface EmailMail {
  drafted_at?: string | null;
  sent_at?: string | null;
  state?: DeliveryState | null;
  reason?: string | null;
  replied_at?: string | null;
  bounced_at?: string | null;
  /** Approved for sending after review (confident emails need no approval). */
  approved?: boolean;
}

/** A replies scan: how many sent or drafted emails were looked for, and what was found. */
export interface ReplyScan {
  asked: number;
  replied: number;
  bounced: number;
}
