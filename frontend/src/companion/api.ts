/**
 * Companion calls, typed. The reader token (an anonymous, server-signed id) lives in localStorage so a returning
 * reader resumes where they were; it is sent as `X-Reader-Token` and replaced if the server no longer accepts it.
 */

import { ApiError, apiFetch, sse, type SseHandlers } from "../api/client";
import type {
  ChatFrames,
  EntityDetail,
  EpisodeCard,
  EpisodeDetail,
  GraphMode,
  Mode,
  Moved,
  SessionCreated,
  SessionState,
  WorldGraph,
} from "./types";

const READER_KEY = "scriptorium.reader";

export const readerToken = {
  get(): string | null {
    try {
      return localStorage.getItem(READER_KEY);
    } catch {
      return null;
    }
  },
  set(token: string): void {
    try {
      localStorage.setItem(READER_KEY, token);
    } catch {
      /* private mode: the reader just won't be resumed next time */
    }
  },
  clear(): void {
    try {
      localStorage.removeItem(READER_KEY);
    } catch {
      /* nothing stored */
    }
  },
};

function readerHeaders(): HeadersInit {
  const token = readerToken.get();
  return token ? { "X-Reader-Token": token } : {};
}

export async function listEpisodes(signal?: AbortSignal): Promise<EpisodeCard[]> {
  try {
    const body = await apiFetch<{ episodes: EpisodeCard[] }>("/api/episodes", { headers: readerHeaders(), signal });
    return body.episodes;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      readerToken.clear();
      return listEpisodes(signal);
    }
    throw error;
  }
}

/** Open (or resume) the reader's session in an episode; `resume=false` starts a new chat at the same page. */
export async function openSession(episodeSlug: string, resume = true): Promise<SessionCreated> {
  try {
    const created = await apiFetch<SessionCreated>("/api/sessions", {
      method: "POST",
      headers: readerHeaders(),
      body: { episode_slug: episodeSlug, resume },
    });
    readerToken.set(created.reader_token);
    return created;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401 && readerToken.get()) {
      readerToken.clear();
      return openSession(episodeSlug, resume);
    }
    throw error;
  }
}

export function getEpisode(slug: string, sessionId: string, signal?: AbortSignal): Promise<EpisodeDetail> {
  const query = new URLSearchParams({ session_id: sessionId });
  return apiFetch<EpisodeDetail>(`/api/episodes/${encodeURIComponent(slug)}?${query}`, { signal });
}

export function getSession(sessionId: string, signal?: AbortSignal): Promise<SessionState> {
  return apiFetch<SessionState>(`/api/sessions/${sessionId}`, { signal });
}

/** Show `page`; with `spread` the page after it is on screen too (the server then counts it as reached). */
export function movePage(sessionId: string, page: number, spread = false, signal?: AbortSignal): Promise<Moved> {
  return apiFetch<Moved>(`/api/sessions/${sessionId}`, {
    method: "PATCH",
    body: { current_page: page, spread },
    signal,
  });
}

export function ask(
  sessionId: string,
  body: { mode: Mode; message: string; spread: boolean },
  handlers: SseHandlers<ChatFrames>,
  signal: AbortSignal,
): Promise<unknown> {
  return sse<ChatFrames>(`/api/sessions/${sessionId}/messages`, { body, signal }, handlers);
}

export function getWorldGraph(
  sessionId: string,
  mode: GraphMode,
  spread: boolean,
  signal?: AbortSignal,
): Promise<WorldGraph> {
  const query = new URLSearchParams({ session_id: sessionId, mode, spread: String(spread) });
  return apiFetch<WorldGraph>(`/api/world-graph?${query}`, { signal });
}

export function getEntity(sessionId: string, slug: string, signal?: AbortSignal): Promise<EntityDetail> {
  const query = new URLSearchParams({ session_id: sessionId });
  return apiFetch<EntityDetail>(`/api/world-graph/entities/${encodeURIComponent(slug)}?${query}`, { signal });
}

/** A page the next forward turn will show: its signed link, to preload (see `GET /api/sessions/{id}/ahead`). */
export interface AheadPage {
  page_number: number;
  image_url: string;
  width: number;
  height: number;
}

/** The next turn's page(s) after the furthest reached: 1, or 2 when turning by spreads. Asking moves nothing. */
export async function getAhead(sessionId: string, count: 1 | 2, signal?: AbortSignal): Promise<AheadPage[]> {
  const query = new URLSearchParams({ count: String(count) });
  const body = await apiFetch<{ furthest_page: number; pages: AheadPage[] }>(
    `/api/sessions/${sessionId}/ahead?${query}`,
    { signal },
  );
  return body.pages;
}

/**
 * Continue an earlier conversation: it becomes the reader's session again, at the place of the session they are
 * in now (`fromSessionId`), never at its old place (`POST /api/sessions/{id}/continue`).
 */
export async function continueSession(sessionId: string, fromSessionId: string): Promise<SessionCreated> {
  const created = await apiFetch<SessionCreated>(`/api/sessions/${sessionId}/continue`, {
    method: "POST",
    headers: readerHeaders(),
    body: { from_session_id: fromSessionId },
  });
  readerToken.set(created.reader_token);
  return created;
}
