import { describe, expect, it } from "vitest";
import type { EpisodeCard } from "../types";
import { shelves, type SeriesInfo } from "./library";

const card = (slug: string, n: number): EpisodeCard => ({
  id: slug,
  slug,
  title: slug,
  episode_number: n,
  page_count: 8,
  cover_image_url: null,
  plot_summary: null,
  reading_status: "unread",
  current_page: null,
});
const series = (slug: string, episodes: string[]): SeriesInfo => ({
  slug,
  title: slug,
  description: "",
  language: "en",
  episode_count: episodes.length,
  page_total: 0,
  episode_slugs: episodes,
});

describe("shelves", () => {
  it("puts each episode under its series in the series' order", () => {
    const result = shelves([series("b", ["b2", "b1"]), series("a", ["a1"])], [card("a1", 1), card("b1", 1), card("b2", 2)]);
    expect(result.map((s) => [s.series.slug, s.episodes.map((e) => e.slug)])).toEqual([
      ["b", ["b2", "b1"]],
      ["a", ["a1"]],
    ]);
  });
  it("leaves out a series with no episodes listed", () => {
    expect(shelves([series("empty", ["gone"])], [])).toEqual([]);
  });
});
