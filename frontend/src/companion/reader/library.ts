/**
 * The comics and their episodes as a reader may see them: `GET /api/series` (name, blurb gated at the reader's
 * page, episode order) and `GET /api/episodes` (cards: cover only once reached, episode 1's always). Both send
 * the reader token, so a returning reader sees their own progress.
 */

import { useEffect, useState } from "react";
import { ApiError, apiFetch } from "../../api/client";
import { listEpisodes, readerToken } from "../api";
import type { EpisodeCard } from "../types";

export interface SeriesInfo {
  slug: string;
  title: string;
  description: string;
  language: string;
  episode_count: number;
  page_total: number;
  episode_slugs: string[];
}

export interface Shelf {
  series: SeriesInfo;
  episodes: EpisodeCard[];
}

export async function listSeries(signal?: AbortSignal): Promise<SeriesInfo[]> {
  const token = readerToken.get();
  const body = await apiFetch<{ series: SeriesInfo[] }>("/api/series", {
    headers: token ? { "X-Reader-Token": token } : {},
    signal,
  });
  return body.series;
}

/** Episodes grouped under their series, in the series' order. */
export function shelves(series: SeriesInfo[], cards: EpisodeCard[]): Shelf[] {
  const bySlug = new Map(cards.map((card) => [card.slug, card]));
  return series
    .map((info) => ({
      series: info,
      episodes: info.episode_slugs.map((slug) => bySlug.get(slug)).filter((card): card is EpisodeCard => !!card),
    }))
    .filter((shelf) => shelf.episodes.length > 0);
}

export function useLibrary(): { shelves: Shelf[] | null; error: string | null } {
  const [state, setState] = useState<{ shelves: Shelf[] | null; error: string | null }>({ shelves: null, error: null });
  useEffect(() => {
    const controller = new AbortController();
    // Episodes first: a stale reader token is replaced there, and the series call then sends the fresh one.
    listEpisodes(controller.signal)
      .then(async (cards) => ({ shelves: shelves(await listSeries(controller.signal), cards), error: null }))
      .then(setState)
      .catch((reason: unknown) => {
        if (controller.signal.aborted) return;
        setState({ shelves: null, error: reason instanceof ApiError ? reason.message : "Could not load the comics." });
      });
    return () => controller.abort();
  }, []);
  return state;
}
