/**
 * The admin calls, typed, through the shared client (bearer token, `ApiError` with the status). Every route answers
 * 403 to a signed-in user who is not an admin; the views turn that into "Admins only".
 */

import { apiFetch } from "../api/client";
import type {
  AdminActivity,
  AdminError,
  AdminOverview,
  AdminQueueItem,
  AdminTemplate,
  AdminUserRow,
  PaginatedEmails,
} from "./types";

/** The server's own page size limit for `limit` (larger values are clamped to it). */
export const LIST_MAX = 100;

function query(values: Record<string, number>): string {
  return new URLSearchParams(Object.entries(values).map(([key, value]) => [key, String(value)])).toString();
}

const user = (id: string) => `/api/admin/users/${encodeURIComponent(id)}`;

export const adminApi = {
  overview: (signal?: AbortSignal) => apiFetch<AdminOverview>("/api/admin/overview", { signal }),
  activity: (signal?: AbortSignal) => apiFetch<AdminActivity[]>("/api/admin/activity", { signal }),
  errors: (limit: number, offset: number, signal?: AbortSignal) =>
    apiFetch<AdminError[]>(`/api/admin/errors?${query({ limit, offset })}`, { signal }),
  users: (limit: number, offset: number, signal?: AbortSignal) =>
    apiFetch<AdminUserRow[]>(`/api/admin/users?${query({ limit, offset })}`, { signal }),
  user: (id: string, signal?: AbortSignal) => apiFetch<AdminUserRow>(user(id), { signal }),
  userEmails: (id: string, page: number, perPage: number, signal?: AbortSignal) =>
    apiFetch<PaginatedEmails>(`${user(id)}/emails?${query({ page, per_page: perPage })}`, { signal }),
  userQueue: (id: string, signal?: AbortSignal) =>
    apiFetch<AdminQueueItem[]>(`${user(id)}/queue?${query({ limit: LIST_MAX })}`, { signal }),
  userTemplates: (id: string, signal?: AbortSignal) =>
    apiFetch<AdminTemplate[]>(`${user(id)}/templates?${query({ limit: LIST_MAX })}`, { signal }),
};
