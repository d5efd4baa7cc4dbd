/** `GET /api/sessions`: the reader's earlier conversations in an episode (their signed reader token names them). */

import { apiFetch } from "../../api/client";
import { readerToken } from "../api";

export interface SessionSummary {
  session_id: string;
  title: string;
  message_count: number;
  current_page: number;
  furthest_page: number;
  created_at: string;
  updated_at: string;
}

export async function listEarlierChats(episodeSlug: string, signal?: AbortSignal): Promise<SessionSummary[]> {
  const token = readerToken.get();
  if (!token) return [];
  const query = new URLSearchParams({ episode_slug: episodeSlug });
  const body = await apiFetch<{ sessions: SessionSummary[] }>(`/api/sessions?${query}`, {
    headers: { "X-Reader-Token": token },
    signal,
  });
  return body.sessions;
}

/** "Today 14:05", "3 Dec": short enough for a list row. */
export function when(iso: string, now = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const sameDay = date.toDateString() === now.toDateString();
  return sameDay
    ? `Today ${date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}`
    : date.toLocaleDateString([], { day: "numeric", month: "short" });
}
