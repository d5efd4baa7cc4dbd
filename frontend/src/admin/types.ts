/**
 * Shapes of `/api/admin/*`, aliased from the types generated from the OpenAPI document (`api/schema.d.ts`,
 * `make api-types`): the models are in src/scriptorium/scribe/admin.py (AdminOverview, DryRunFigures,
 * AdminUserRow, AdminActivity, AdminError), src/scriptorium/scribe/api/admin.py (PaginatedEmails) and
 * src/scriptorium/scribe/schemas.py (EmailResponse, QueueItemResponse, TemplateResponse). Datetimes arrive as ISO
 * strings.
 */

import type { components } from "../api/schema";

type Schemas = components["schemas"];

/** Deployment probes (`dry_run` submissions) over the last `days` days, kept apart from every user figure. */
export type DryRunFigures = Schemas["DryRunFigures"];
export type AdminOverview = Schemas["AdminOverview"];
export type AdminUserRow = Schemas["AdminUserRow"];
/** `week` is the Monday of the ISO week (UTC), `YYYY-MM-DD`; weeks without any email are absent. */
export type AdminActivity = Schemas["AdminActivity"];
export type AdminError = Schemas["AdminError"];
export type AdminCheck = Schemas["CheckOut"];
export type AdminEmail = Schemas["EmailResponse"];
export type PaginatedEmails = Schemas["PaginatedEmails"];
export type AdminQueueItem = Schemas["QueueItemResponse"];
export type AdminTemplate = Schemas["TemplateResponse"];
