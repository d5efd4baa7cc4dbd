/**
 * Shapes of the mail API (`/api/mail/*`, issue 14), aliased from the types generated from the OpenAPI document
 * (`api/schema.d.ts`), so a renamed or retyped field in `scribe/mail/schemas.py` fails the typecheck here. Where
 * the schema says `string` (a run's status) or an open dict (the verdict kept on an account), the alias narrows it
 * to what the server sends.
 */

import type { components } from "../../api/schema";

type Schemas = components["schemas"];

export type TlsMode = Schemas["ServerIn"]["tls"];
export type ServerLogin = Schemas["ServerIn"];
export type Preset = Schemas["PresetOut"];
export type Verdict = Schemas["RecordOut"];
export type DeliverabilityReport = Schemas["DeliverabilityOut"];
/** The last domain check as kept on the account (the report without the account's override and time). */
export type StoredVerdict = Omit<DeliverabilityReport, "checked_at" | "override_reason"> &
  Partial<Pick<DeliverabilityReport, "checked_at" | "override_reason">>;

export type MailAccount = Omit<Schemas["MailAccountOut"], "deliverability"> & { deliverability: StoredVerdict | null };
export type MailAccountIn = Schemas["MailAccountIn"];
export type MailAccountPatch = Schemas["MailAccountPatch"];

export type ProtocolResult = Schemas["ProtocolCheck"];
export type ConnectionReport = Schemas["ConnectionTestOut"];
export type ReplyScan = Schemas["ScanOut"];

export type RunKind = Schemas["MailRunIn"]["kind"];
export type RunStatus = "queued" | "running" | "paused" | "done" | "failed" | "cancelled";
/** queued, sending, sent, drafted, failed, bounced, uncertain or skipped (a plain string in the schema). */
export type DeliveryState = string;
export type RunItem = Schemas["RunItemOut"];
export type PreviewMessage = Schemas["PreviewOut"];
export type MailRun = Omit<Schemas["MailRunOut"], "status"> & { status: RunStatus };
export type MailRunIn = Schemas["MailRunIn"];

/** What the mailbox did with one email (`mail` on email responses, and `GET /api/mail/emails`). */
export type EmailMail = Partial<Schemas["EmailMailState"]>;
