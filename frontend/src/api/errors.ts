/**
 * One error type for every failed API call. The server answers errors as `{detail, code, request_id}`; a 422's
 * `detail` is a list of `{field, msg}`. `ApiError.message` is always a sentence a person can read, so components
 * can show `error.message` without knowing which of these shapes arrived.
 */

import { parseFrames } from "./sse";

export interface FieldError {
  /** The server's path to the value (`items.0.recipient_email`): for finding the control to highlight. */
  field: string;
  /** The message without pydantic's "Value error, " prefix. */
  msg: string;
  /** The field as the UI names it ("Row 1, Email"): what a person reads. */
  label: string;
}

/**
 * What the UI calls the API's field names. A field not listed is named from its path's last word
 * (`sender_name` → "Sender name"); a list index in the path becomes "Row N" (1-based, as the tables number rows).
 */
const FIELD_LABELS: Record<string, string> = {
  recipient_name: "Name",
  recipient_interest: "Research interest",
  recipient_email: "Email",
  institution: "Institution",
  profile_urls: "Profile URL",
  profile_url: "Profile URL",
  email_template: "Template",
  template_id: "Template",
  message: "Question",
  episode_slug: "Episode",
  current_page: "Page",
  password: "Password",
  email: "Email",
  display_name: "Name",
};

function humanize(word: string): string {
  const text = word.replace(/_/g, " ").trim();
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : "";
}

/** "items.0.recipient_email" → "Row 1, Email"; "email_template" → "Template"; "" → "". */
export function fieldLabel(field: string): string {
  const parts = field.split(".").filter(Boolean);
  if (parts[0] === "body" || parts[0] === "query") parts.shift();
  let row: number | null = null;
  let name = "";
  for (const part of parts) {
    if (/^\d+$/.test(part)) {
      // An index right after the top-level list is the row; later ones (the 2nd profile URL) are not shown.
      if (row === null && !name) row = Number(part) + 1;
      continue;
    }
    if (part === "items" || part === "recipients") continue;
    name = part;
  }
  const label = FIELD_LABELS[name] ?? humanize(name);
  if (row === null) return label;
  return label ? `Row ${row}, ${label}` : `Row ${row}`;
}

/** Pydantic prefixes a validator's own message with "Value error, " / "Assertion failed, ": noise to a person. */
export function cleanMessage(msg: string): string {
  const text = msg.replace(/^(Value error|Assertion failed),\s*/i, "").trim();
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : "Not valid";
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | null;
  readonly fieldErrors: FieldError[];
  readonly retryAfter: number | null;

  constructor(
    message: string,
    options: {
      status: number;
      code: string;
      requestId?: string | null;
      fieldErrors?: FieldError[];
      retryAfter?: number | null;
    },
  ) {
    super(message);
    this.name = "ApiError";
    this.status = options.status;
    this.code = options.code;
    this.requestId = options.requestId ?? null;
    this.fieldErrors = options.fieldErrors ?? [];
    this.retryAfter = options.retryAfter ?? null;
  }

  /** The message for one form field (`"email"`, `"recipients.0.name"`), if the server named it. */
  fieldMessage(field: string): string | undefined {
    return this.fieldErrors.find((error) => error.field === field)?.msg;
  }
}

const STATUS_MESSAGES: Record<number, string> = {
  400: "The request was not accepted.",
  401: "Please sign in to continue.",
  403: "You do not have access to this.",
  404: "Not found.",
  408: "The server took too long to answer. Try again.",
  409: "This conflicts with the current state. Reload and try again.",
  413: "That is too large for the server to accept.",
  422: "Some fields are not valid.",
  429: "Too many requests. Wait a moment and try again.",
};

function statusMessage(status: number): string {
  if (STATUS_MESSAGES[status]) return STATUS_MESSAGES[status];
  if (status >= 500) return `The server had a problem (HTTP ${status}). Try again shortly.`;
  return `The request failed (HTTP ${status}).`;
}

function asFieldErrors(detail: unknown): FieldError[] {
  if (!Array.isArray(detail)) return [];
  return detail
    .filter((item): item is Record<string, unknown> => typeof item === "object" && item !== null)
    .map((item) => {
      const field =
        typeof item.field === "string" ? item.field : Array.isArray(item.loc) ? item.loc.slice(1).join(".") : "";
      return {
        field,
        msg: cleanMessage(typeof item.msg === "string" ? item.msg : "invalid value"),
        label: fieldLabel(field),
      };
    });
}

function fieldSummary(errors: FieldError[]): string {
  return errors
    .slice(0, 5)
    .map((error) => (error.label ? `${error.label}: ${error.msg}` : error.msg))
    .join("; ");
}

/** Build an `ApiError` from a non-2xx response, whatever its body (JSON error, HTML from a proxy, nothing). */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    const text = await response.text();
    // The Companion's chat route refuses with an event stream holding one `error` frame (its status kept).
    const frame = (response.headers.get("Content-Type") ?? "").includes("text/event-stream")
      ? parseFrames(text)[0]?.data
      : undefined;
    body = frame ? JSON.parse(frame) : text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  const record = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const retryHeader = response.headers.get("Retry-After");
  const retryAfter = retryHeader && /^\d+$/.test(retryHeader) ? Number(retryHeader) : null;
  const fieldErrors = asFieldErrors(record.detail);
  let message: string;
  if (typeof record.detail === "string" && record.detail.trim()) message = record.detail;
  else if (fieldErrors.length) message = fieldSummary(fieldErrors);
  else message = statusMessage(response.status);
  if (response.status === 429 && retryAfter !== null && !/\d+\s*s/.test(message)) {
    message = `${message} (retry in ${retryAfter} s)`;
  }
  if (typeof record.field === "string" && !fieldErrors.length) {
    fieldErrors.push({ field: record.field, msg: message, label: fieldLabel(record.field) });
  }
  return new ApiError(message, {
    status: response.status,
    code: typeof record.code === "string" ? record.code : `http_${response.status}`,
    requestId:
      typeof record.request_id === "string" ? record.request_id : response.headers.get("X-Request-ID"),
    fieldErrors,
    retryAfter,
  });
}

/** The error for a request that never got an answer (server down, offline, CORS refusal). */
export function networkError(): ApiError {
  return new ApiError("Could not reach the server. Check your connection and try again.", {
    status: 0,
    code: "network_error",
  });
}

/** True for the error `fetch` throws when its AbortController fires: callers usually ignore it. */
export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException
    ? error.name === "AbortError"
    : typeof error === "object" && error !== null && (error as { name?: unknown }).name === "AbortError";
}
