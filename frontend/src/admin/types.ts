/**
 * Shapes of `/api/admin/*`, copied field for field from the Python schemas so a rename there shows up here:
 * src/scriptorium/scribe/admin.py (AdminOverview, DryRunFigures, AdminUserRow, AdminActivity, AdminError),
 * src/scriptorium/scribe/api/admin.py (PaginatedEmails) and src/scriptorium/scribe/schemas.py (EmailResponse,
 * QueueItemResponse, TemplateResponse). Datetimes arrive as ISO strings.
 */

/** Deployment probes (`dry_run` submissions) over the last `days` days, kept apart from every user figure. */
export interface DryRunFigures {
  days: number;
  runs: number;
  failed: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

export interface AdminOverview {
  total_users: number;
  total_emails: number;
  /** Percent (0–100, two decimals) of finished queue items that produced an email. */
  success_rate: number;
  avg_gen_time_seconds: number;
  total_templates: number;
  /** Percent (0–100) of stored emails marked confident. */
  confidence_rate: number;
  /** Queue items that failed (all time, probes excluded). */
  error_count: number;
  emails_this_week: number;
  active_users_this_week: number;
  needs_review_count: number;
  pending_count: number;
  processing_count: number;
  dry_runs: DryRunFigures;
}

export interface AdminUserRow {
  id: string;
  email: string | null;
  display_name: string;
  generation_count: number;
  template_count: number;
  onboarded: boolean;
  created_at: string;
  actual_email_count: number;
  queue_submissions: number;
  failed_count: number;
  email_template: string | null;
  role: string;
}

export interface AdminActivity {
  /** Monday of the ISO week (UTC), `YYYY-MM-DD`. Weeks without any email are absent. */
  week: string;
  emails_generated: number;
  active_users: number;
}

export interface AdminError {
  id: string;
  user_id: string;
  user_email: string | null;
  user_display_name: string;
  recipient_name: string;
  current_step: string | null;
  error_message: string | null;
  created_at: string;
  started_at: string | null;
}

export interface AdminCheck {
  name: string;
  passed: boolean;
  detail: string;
}

export interface AdminEmail {
  id: string;
  user_id: string;
  recipient_name: string;
  recipient_interest: string;
  email_message: string;
  template_type: string;
  metadata: Record<string, unknown>;
  is_confident: boolean;
  displayed: boolean;
  created_at: string;
  subject: string;
  status: string;
  recipient_email: string | null;
  review_reasons: string[];
  checks: AdminCheck[];
  claims: { text: string; source_ids: string[] }[];
  composer: string;
  version: number;
  queue_item_id: string | null;
  updated_at: string;
}

export interface PaginatedEmails {
  items: AdminEmail[];
  total: number;
  page: number;
  per_page: number;
  pages: number;
}

export interface AdminQueueItem {
  id: string;
  recipient_name: string;
  status: string;
  position: number | null;
  email_id: string | null;
  error_message: string | null;
  current_step: string | null;
  created_at: string;
  recipient_interest: string;
  batch_id: string | null;
  origin: string;
  attempts: number;
  progress: number;
  step_timings: Record<string, number>;
  started_at: string | null;
  completed_at: string | null;
  updated_at: string;
}

export interface AdminTemplate {
  id: string;
  user_id: string;
  pdf_url: string | null;
  template_text: string;
  user_instructions: string | null;
  created_at: string;
  name: string;
  template_type: string | null;
  origin: string;
  resume_filename: string | null;
  placeholders: string[];
  warnings: string[];
  updated_at: string;
}
