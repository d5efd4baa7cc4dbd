/**
 * Image links and the browser cache. The cache is keyed by URL, so a page whose link changed is downloaded again
 * even though the picture is the same. The server keeps a page's link the same for half of its lifetime; here a
 * page keeps the link it already has while that link has more than `MARGIN_SECONDS` to live, so within a session
 * every page is fetched once per link lifetime, however many responses re-send it.
 */

import type { PageView } from "../types";

export const MARGIN_SECONDS = 30;

/** The link's expiry (unix seconds) from its `exp` parameter, or null for a link without one. */
export function expiresAt(url: string): number | null {
  const match = /[?&]exp=(\d+)/.exec(url);
  return match ? Number(match[1]) : null;
}

function pathOf(url: string): string {
  return url.split("?", 1)[0] ?? url;
}

/** The link to use for a page: the one held, when it points at the same image and stays valid a while longer. */
export function stableLink(held: string | null | undefined, fresh: string | null, nowSeconds: number): string | null {
  if (!held || !fresh || pathOf(held) !== pathOf(fresh)) return fresh;
  const expires = expiresAt(held);
  return expires !== null && expires - nowSeconds > MARGIN_SECONDS ? held : fresh;
}

/** `fresh` with the links of `held` kept where they are still good (see `stableLink`). */
export function keepLinks(held: PageView | undefined, fresh: PageView, nowSeconds: number): PageView {
  if (!held) return fresh;
  const image_url = stableLink(held.image_url, fresh.image_url, nowSeconds);
  const thumbnail_url = stableLink(held.thumbnail_url, fresh.thumbnail_url, nowSeconds);
  return image_url === fresh.image_url && thumbnail_url === fresh.thumbnail_url
    ? fresh
    : { ...fresh, image_url, thumbnail_url };
}
