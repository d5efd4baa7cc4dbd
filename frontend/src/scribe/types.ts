/** Shapes of the Scribe API (see src/scriptorium/scribe/schemas.py); field names follow the original service. */

export type TemplateType = "research" | "book" | "general";
export type QueueStatus = "pending" | "processing" | "completed" | "needs_review" | "failed" | "cancelled";
export type Step = "template" | "research" | "papers" | "compose" | "checks";

export interface Quota {
  daily_limit: number;
  used_today: number;
  remaining: number | null;
  resets_at: string;
}

export interface Profile {
  id: string;
  email: string | null;
  display_name: string;
  generation_count: number;
  template_count: number;
  onboarded: boolean;
  email_template: string | null;
  role: string;
  quota: Quota;
  usage: { emails: number; input_tokens: number; output_tokens: number; cost_usd: number };
}

export interface RecipientRow {
  recipient_name: string;
  recipient_interest: string;
  recipient_email?: string | null;
  institution?: string | null;
  profile_urls?: string[];
}

export interface DuplicateFlag {
  index: number;
  recipient_name: string;
  reason: "in_batch" | "recently_emailed";
  detail: string;
  first_index: number | null;
  previous_email_id: string | null;
  previous_at: string | null;
}

export interface ImportRowError {
  line: number;
  field: string;
  message: string;
}

export interface ImportResult {
  items: RecipientRow[];
  errors: ImportRowError[];
  duplicates: DuplicateFlag[];
  columns: string[];
}

export interface BatchResult {
  queue_item_ids: string[];
  message: string;
  batch_id: string;
  duplicates: DuplicateFlag[];
  skipped: number[];
}

export interface QueueItem {
  id: string;
  recipient_name: string;
  recipient_interest: string;
  status: QueueStatus;
  position: number | null;
  email_id: string | null;
  error_message: string | null;
  current_step: Step | null;
  progress: number;
  attempts: number;
  batch_id: string | null;
  origin: string;
  step_timings: Partial<Record<Step, number>>;
  created_at: string;
  completed_at: string | null;
}

export interface Analysis {
  template_type: TemplateType;
  placeholders: string[];
  warnings: string[];
}

export interface SavedTemplate extends Analysis {
  id: string;
  name: string;
  template_text: string;
  origin: "manual" | "resume";
  resume_filename: string | null;
  user_instructions: string | null;
  created_at: string;
}

export interface Claim {
  text: string;
  source_ids: string[];
}

export interface Check {
  name: string;
  passed: boolean;
  detail: string;
  /** The draft's offending sentences verbatim; absent on emails stored before checks named them. */
  sentences?: string[];
}

export interface Source {
  id: string;
  source_key: string;
  kind: "openalex" | "arxiv" | "semantic_scholar" | "web" | "search" | string;
  url: string | null;
  title: string;
  excerpt: string;
  retrieved_at: string;
}

export interface Version {
  version: number;
  /** generated, regenerated, edited, restored, or a kind added later (e.g. a model draft kept aside). */
  kind: string;
  subject: string;
  body: string;
  created_at: string;
}

export interface EmailSummary {
  id: string;
  recipient_name: string;
  recipient_interest: string;
  recipient_email: string | null;
  subject: string;
  email_message: string;
  template_type: TemplateType;
  status: "completed" | "needs_review";
  is_confident: boolean;
  displayed: boolean;
  review_reasons: string[];
  checks: Check[];
  claims: Claim[];
  composer: "offline" | "llm";
  version: number;
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface EmailDetail extends EmailSummary {
  sources: Source[];
  versions: Version[];
  usage: { model: string; input_tokens: number; output_tokens: number; cost_usd: number }[];
  /** What research did and could not do, in words (absent from servers older than this field). */
  research_notes?: string[];
}

export interface EmailPage {
  items: EmailSummary[];
  total: number;
  limit: number;
  offset: number;
}

export interface BatchEmail {
  id: string;
  recipient_name: string;
  status: "completed" | "needs_review";
  is_confident: boolean;
  review_reasons: string[];
  unreachable: string[];
  regenerating: boolean;
}

export interface Outage {
  sources: string[];
  labels: string[];
  message: string;
  email_ids: string[];
}

export interface BatchReview {
  batch_id: string;
  emails: BatchEmail[];
  position: number | null;
  previous_id: string | null;
  next_id: string | null;
  pending: number;
  failed: number;
  outage: Outage | null;
}

export interface OutageRetry {
  queued: { email_id: string; task_id: string }[];
  skipped: { email_id: string; reason: string }[];
  message: string;
}
