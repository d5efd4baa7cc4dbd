/**
 * Shapes of the Scribe API, aliased from the types generated from the OpenAPI document (`api/schema.d.ts`,
 * `make api-types`), so a renamed or retyped field in src/scriptorium/scribe/schemas.py fails the typecheck here.
 * Field names follow the original service.
 */

import type { components } from "../api/schema";

type Schemas = components["schemas"];

/** Values the server sends in plain-string fields (the schema says `string`): for labels and exhaustive maps. */
export type TemplateType = "research" | "book" | "general";
export type QueueStatus = "pending" | "processing" | "completed" | "needs_review" | "failed" | "cancelled";
export type Step = "template" | "research" | "papers" | "compose" | "checks";

export type Quota = Schemas["QuotaOut"];
export type Profile = Schemas["UserResponse"];
export type RecipientRow = Schemas["BatchItem"];
export type DuplicateFlag = Schemas["DuplicateFlag"];
export type ImportRowError = Schemas["ImportRowError"];
export type ImportResult = Schemas["RecipientImportResponse"];
export type BatchResult = Schemas["BatchSubmitResponse"];
export type QueueItem = Schemas["QueueItemResponse"];
export type Analysis = Schemas["TemplateAnalysisOut"];
export type SavedTemplate = Schemas["TemplateResponse"];
export type Claim = Schemas["ClaimOut"];
export type Check = Schemas["CheckOut"];
export type Source = Schemas["SourceOut"];
export type Version = Schemas["VersionOut"];
export type EmailSummary = Schemas["EmailResponse"];
export type EmailDetail = Schemas["EmailDetail"];
export type EmailPage = Schemas["EmailPage"];
export type BatchEmail = Schemas["BatchEmail"];
export type Outage = Schemas["Outage"];
export type BatchReview = Schemas["BatchReview"];
export type OutageRetry = Schemas["OutageRetryResponse"];
